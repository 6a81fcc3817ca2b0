/**
 * What the signed-in user sees: servers, channels, messages, members, presence, typing and
 * unread markers. Pure state transitions live here so they are tested without a browser; the
 * REST loaders (lib/loaders.ts) and the gateway (lib/gateway.ts) call them.
 */
import { create } from 'zustand';
import type { Channel, Member, Message, Server, User } from '../api/client';

export type Presence = 'online' | 'idle' | 'offline';

export interface ReadPoint {
  readonly messageId: string;
  readonly hlc: string;
}

export interface ChannelMessages {
  /** Oldest first, in HLC order (api.md "Pagination"). */
  readonly items: readonly Message[];
  /** False once a `before=` page came back shorter than asked: the channel's start. */
  readonly hasOlder: boolean;
}

interface ChatState {
  servers: Record<string, Server>;
  channels: Record<string, Channel>;
  messages: Record<string, ChannelMessages>;
  /** Members per server, by user id. */
  members: Record<string, Record<string, Member>>;
  /** Public profiles of users met outside any shared server (DM partners), by id. */
  users: Record<string, User>;
  presence: Record<string, Presence>;
  /** Who types in each channel: user id → expiry (ms). */
  typing: Record<string, Record<string, number>>;
  /** The user's read marker per channel. */
  readMarkers: Record<string, ReadPoint>;
  /** The newest message known in each channel, loaded or not: what unread markers compare. */
  latest: Record<string, { readonly hlc: string; readonly authorId: string }>;

  putServers: (servers: readonly Server[]) => void;
  removeServer: (serverId: string) => void;
  putChannels: (channels: readonly Channel[]) => void;
  removeChannel: (channelId: string) => void;
  putMembers: (serverId: string, members: readonly Member[]) => void;
  removeMember: (serverId: string, userId: string) => void;
  putUsers: (users: readonly User[]) => void;
  /** Merges a page into a channel; `older` marks a `before=` page and whether it was full. */
  putPage: (channelId: string, page: readonly Message[], older?: { full: boolean }) => void;
  /** Adds or replaces one message (posted, edited, deleted), keeping HLC order. */
  putMessage: (message: Message) => void;
  setPresence: (userId: string, status: Presence) => void;
  setTyping: (channelId: string, userId: string, active: boolean, now?: number) => void;
  setReadMarker: (channelId: string, point: ReadPoint) => void;
  reset: () => void;
}

const TYPING_LAPSE_MS = 8000;

const empty = {
  servers: {},
  channels: {},
  messages: {},
  members: {},
  users: {},
  presence: {},
  typing: {},
  readMarkers: {},
  latest: {},
};

function byId<T extends { id: string }>(items: readonly T[]): Record<string, T> {
  return Object.fromEntries(items.map((item) => [item.id, item]));
}

/** HLC strings sort as text within one node; the id breaks ties so the order is total. */
function compareMessages(a: Message, b: Message): number {
  if (a.hlc !== b.hlc) return a.hlc < b.hlc ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

type Latest = ChatState['latest'];

function withLatest(latest: Latest, messages: readonly Message[]): Latest {
  const next = { ...latest };
  for (const m of messages) {
    const known = next[m.channel_id];
    if (!m.deleted && (known === undefined || known.hlc < m.hlc)) {
      next[m.channel_id] = { hlc: m.hlc, authorId: m.author_id };
    }
  }
  return next;
}

function merge(existing: readonly Message[], incoming: readonly Message[]): Message[] {
  const all = new Map(existing.map((m) => [m.id, m]));
  for (const message of incoming) all.set(message.id, message);
  return [...all.values()].sort(compareMessages);
}

export const useChat = create<ChatState>()((set) => ({
  ...empty,

  putServers(servers) {
    set((s) => ({ servers: { ...s.servers, ...byId(servers) } }));
  },
  removeServer(serverId) {
    set((s) => {
      const { [serverId]: _removed, ...servers } = s.servers;
      const channels = Object.fromEntries(
        Object.entries(s.channels).filter(([, c]) => c.server_id !== serverId),
      );
      return { servers, channels };
    });
  },
  putChannels(channels) {
    set((s) => ({ channels: { ...s.channels, ...byId(channels) } }));
  },
  removeChannel(channelId) {
    set((s) => {
      const { [channelId]: _removed, ...channels } = s.channels;
      return { channels };
    });
  },
  putMembers(serverId, members) {
    set((s) => ({
      members: {
        ...s.members,
        [serverId]: {
          ...s.members[serverId],
          ...Object.fromEntries(members.map((m) => [m.user_id, m])),
        },
      },
    }));
  },
  removeMember(serverId, userId) {
    set((s) => {
      const { [userId]: _removed, ...rest } = s.members[serverId] ?? {};
      return { members: { ...s.members, [serverId]: rest } };
    });
  },
  putUsers(users) {
    set((s) => ({ users: { ...s.users, ...byId(users) } }));
  },
  putPage(channelId, page, older) {
    set((s) => {
      const current = s.messages[channelId];
      return {
        latest: withLatest(s.latest, page),
        messages: {
          ...s.messages,
          [channelId]: {
            items: merge(current?.items ?? [], page),
            hasOlder: older ? older.full : (current?.hasOlder ?? page.length > 0),
          },
        },
      };
    });
  },
  putMessage(message) {
    set((s) => {
      const current = s.messages[message.channel_id];
      const latest = withLatest(s.latest, [message]);
      // A channel never opened is loaded from REST when it is; storing one message would hide
      // the rest of its history.
      if (!current) return { latest };
      return {
        latest,
        messages: {
          ...s.messages,
          [message.channel_id]: { ...current, items: merge(current.items, [message]) },
        },
      };
    });
  },
  setPresence(userId, status) {
    set((s) => ({ presence: { ...s.presence, [userId]: status } }));
  },
  setTyping(channelId, userId, active, now = Date.now()) {
    set((s) => {
      const { [userId]: _previous, ...others } = s.typing[channelId] ?? {};
      const next = active ? { ...others, [userId]: now + TYPING_LAPSE_MS } : others;
      return { typing: { ...s.typing, [channelId]: next } };
    });
  },
  setReadMarker(channelId, point) {
    set((s) => {
      // Markers only move forward (api.md "Read markers").
      const known = s.readMarkers[channelId];
      if (known !== undefined && known.hlc >= point.hlc) return {};
      return { readMarkers: { ...s.readMarkers, [channelId]: point } };
    });
  },
  reset() {
    set(empty);
  },
}));

/** Whether a channel has a message by someone else newer than the user's read marker. */
export function isUnread(state: ChatState, channelId: string, userId: string | null): boolean {
  const latest = state.latest[channelId];
  if (latest === undefined || latest.authorId === userId) return false;
  const marker = state.readMarkers[channelId];
  return marker === undefined || latest.hlc > marker.hlc;
}

/** The users typing in a channel now, the caller excluded. */
export function typingIn(
  state: ChatState,
  channelId: string,
  self: string | null,
  now = Date.now(),
): string[] {
  return Object.entries(state.typing[channelId] ?? {})
    .filter(([user, until]) => user !== self && until > now)
    .map(([user]) => user);
}
