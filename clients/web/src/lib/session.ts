/**
 * What runs while a user is signed in: the gateway, the initial REST loads, and the routing of
 * gateway frames into the stores (api.md "Ops"; events.md for the dispatched events).
 */
import { api, call, type Message } from '../api/client';
import { useAuth } from '../stores/auth';
import { useChat, type Presence } from '../stores/chat';
import { DmCrypto, markIdentityChanged } from './e2ee';
import { Gateway, type Frame } from './gateway';

let gateway: Gateway | null = null;
let crypto: DmCrypto | null = null;

/**
 * Runs work nobody waits for. A failure once the session has ended (requests in flight at
 * sign-out) is expected and dropped; any other is reported without stopping the client.
 */
export function inBackground(work: () => Promise<unknown>): void {
  const session = gateway;
  Promise.resolve()
    .then(work)
    .catch((error: unknown) => {
      if (session !== null && gateway === session) console.warn('Hearth:', error);
    });
}

export function currentGateway(): Gateway | null {
  return gateway;
}

export function dmCrypto(): DmCrypto {
  if (crypto === null) throw new Error('not signed in');
  return crypto;
}

/** Servers, their channels, members and presence, the user's read markers and DMs. */
export async function loadEverything(): Promise<void> {
  const chat = useChat.getState();
  const servers = await call(() => api.GET('/api/v1/servers'));
  chat.putServers(servers);
  await Promise.all(servers.map((server) => loadServer(server.id)));
  const [markers, dms] = await Promise.all([
    call(() => api.GET('/api/v1/users/me/read-markers')),
    call(() => api.GET('/api/v1/users/me/dms')),
  ]);
  chat.putChannels(dms);
  await Promise.all([
    ...dms.map((dm) => latestOf(dm.id)),
    profilesOf(dms.flatMap((dm) => dm.dm_members ?? [])),
  ]);
  for (const marker of markers) {
    chat.setReadMarker(marker.channel_id, { messageId: marker.message_id, hlc: marker.hlc });
  }
}

export async function loadServer(serverId: string): Promise<void> {
  const chat = useChat.getState();
  const path = { params: { path: { server_id: serverId } } };
  const [channels, members, presence] = await Promise.all([
    call(() => api.GET('/api/v1/servers/{server_id}/channels', path)),
    call(() =>
      api.GET('/api/v1/servers/{server_id}/members', {
        ...path,
        params: { ...path.params, query: { limit: 1000 } },
      }),
    ),
    call(() => api.GET('/api/v1/servers/{server_id}/presence', path)),
  ]);
  chat.putChannels(channels);
  chat.putMembers(serverId, members);
  for (const [userId, status] of Object.entries(presence))
    chat.setPresence(userId, status as Presence);
  // The newest message of each channel, for unread markers.
  await Promise.all(channels.map((c) => latestOf(c.id)));
}

/** A channel first heard of through the gateway: a DM someone opened with this user. */
async function discoverChannel(channelId: string): Promise<void> {
  const channel = await call(() =>
    api.GET('/api/v1/channels/{channel_id}', { params: { path: { channel_id: channelId } } }),
  ).catch(() => null);
  if (channel === null) return;
  useChat.getState().putChannels([channel]);
  if (channel.kind === 'dm')
    await Promise.all([latestOf(channelId), profilesOf(channel.dm_members ?? [])]);
}

/** Public profiles of users who share no server with this user (api.md `GET /users/{id}`). */
async function profilesOf(userIds: readonly string[]): Promise<void> {
  const chat = useChat.getState();
  const self = useAuth.getState().userId;
  const unknown = [...new Set(userIds)].filter(
    (id) => id !== self && !(id in chat.users) && !Object.values(chat.members).some((m) => id in m),
  );
  const users = await Promise.all(
    unknown.map((id) =>
      call(() => api.GET('/api/v1/users/{user_id}', { params: { path: { user_id: id } } })),
    ),
  );
  chat.putUsers(users);
}

async function latestOf(channelId: string): Promise<void> {
  const page = await call(() =>
    api.GET('/api/v1/channels/{channel_id}/messages', {
      params: { path: { channel_id: channelId }, query: { limit: 1 } },
    }),
  );
  const last = page.at(-1);
  if (last)
    useChat.setState((s) => ({
      latest: { ...s.latest, [channelId]: { hlc: last.hlc, authorId: last.author_id } },
    }));
}

interface Dispatch {
  type: string;
  aggregate_id: string;
  hlc: string;
  channel_id?: string;
  server_id?: string;
  user_id?: string;
  data: Record<string, unknown>;
}

function messageOf(d: Dispatch): Message {
  const data = d.data;
  return {
    id: d.aggregate_id,
    channel_id: String(data.channel_id),
    author_id: String(data.author_id),
    content: (data.content ?? null) as string | null,
    ciphertext: (data.ciphertext ?? null) as string | null,
    header: (data.header ?? null) as string | null,
    initial: (data.initial ?? null) as Message['initial'],
    reply_to: (data.reply_to ?? null) as string | null,
    hlc: d.hlc,
    edited_hlc: null,
    deleted: false,
    expires_at_ms: (data.expires_at_ms ?? null) as number | null,
    attachments: (data.attachments ?? []) as string[],
  };
}

/** Applies an edit or a deletion to the copy of the message the client holds, if any. */
function changeMessage(d: Dispatch, change: (message: Message) => Message): void {
  const channelId = d.channel_id;
  if (channelId === undefined) return;
  const held = useChat.getState().messages[channelId]?.items.find((m) => m.id === d.aggregate_id);
  if (held) useChat.getState().putMessage(change(held));
}

export function applyDispatch(d: Dispatch): void {
  const chat = useChat.getState();
  const data = d.data;
  switch (d.type) {
    case 'MessagePosted': {
      const message = messageOf(d);
      if (!(message.channel_id in chat.channels))
        inBackground(() => discoverChannel(message.channel_id));
      chat.putMessage(message);
      return;
    }
    case 'MessageEdited':
      changeMessage(d, (m) => ({
        ...m,
        content: (data.content ?? null) as string | null,
        ciphertext: (data.ciphertext ?? null) as string | null,
        header: (data.header ?? null) as string | null,
        initial: (data.initial ?? null) as Message['initial'],
        edited_hlc: d.hlc,
      }));
      return;
    case 'MessageDeleted':
      if (crypto !== null) {
        const dm = crypto;
        inBackground(() => dm.forget(d.aggregate_id));
      }
      changeMessage(d, (m) => ({
        ...m,
        deleted: true,
        content: null,
        ciphertext: null,
        header: null,
      }));
      return;
    case 'ChannelCreated':
    case 'ChannelUpdated':
      if (d.server_id !== undefined || data.server_id)
        inBackground(() => loadServer(String(d.server_id ?? data.server_id)));
      return;
    case 'ChannelDeleted':
      if (d.channel_id !== undefined) chat.removeChannel(d.channel_id);
      return;
    case 'MemberJoined':
    case 'MemberLeft':
    case 'MemberRoleChanged':
    case 'ServerRenamed':
      inBackground(() => refreshServer(d));
      return;
    case 'IdentityKeyPublished':
      if (data.previous_identity_key !== null && data.user_id !== useAuth.getState().userId) {
        markIdentityChanged(String(data.user_id));
      }
      return;
    default:
  }
}

async function refreshServer(d: Dispatch): Promise<void> {
  const serverId = d.server_id ?? (d.data.server_id as string | undefined);
  if (serverId === undefined) return;
  const self = useAuth.getState().userId;
  if (d.type === 'MemberLeft' && d.user_id === self) {
    useChat.getState().removeServer(serverId);
    return;
  }
  if (d.type === 'MemberLeft' && d.user_id !== undefined)
    useChat.getState().removeMember(serverId, d.user_id);
  const server = await call(() =>
    api.GET('/api/v1/servers/{server_id}', { params: { path: { server_id: serverId } } }),
  );
  useChat.getState().putServers([server]);
  await loadServer(serverId);
}

function onFrame(frame: Frame): void {
  const chat = useChat.getState();
  switch (frame.op) {
    case 'dispatch':
      applyDispatch(frame.d as unknown as Dispatch);
      return;
    case 'presence':
      chat.setPresence(String(frame.d.user_id), frame.d.status as Presence);
      return;
    case 'typing':
      chat.setTyping(String(frame.d.channel_id), String(frame.d.user_id), frame.d.active === true);
      return;
    default:
  }
}

/** Re-reads what the client shows: after sign-in, and after a resume the node refused. */
async function resync(): Promise<void> {
  await loadEverything();
  const chat = useChat.getState();
  await Promise.all(Object.keys(chat.messages).map((channelId) => loadNewest(channelId)));
}

export async function loadNewest(channelId: string): Promise<void> {
  const page = await call(() =>
    api.GET('/api/v1/channels/{channel_id}/messages', {
      params: { path: { channel_id: channelId }, query: { limit: PAGE } },
    }),
  );
  useChat
    .getState()
    .putPage(
      channelId,
      page,
      useChat.getState().messages[channelId] ? undefined : { full: page.length === PAGE },
    );
}

export async function loadOlder(channelId: string): Promise<void> {
  const first = useChat.getState().messages[channelId]?.items[0];
  if (!first) return;
  const page = await call(() =>
    api.GET('/api/v1/channels/{channel_id}/messages', {
      params: { path: { channel_id: channelId }, query: { before: first.id, limit: PAGE } },
    }),
  );
  useChat.getState().putPage(channelId, page, { full: page.length === PAGE });
}

export const PAGE = 50;

export async function startSession(userId: string): Promise<void> {
  crypto = await DmCrypto.open(userId);
  // Published at sign-in, not at the first DM: others need this device's bundle to write first.
  void crypto.ensureKeys().catch(() => undefined);
  gateway = new Gateway({
    token: (fresh) =>
      fresh ? useAuth.getState().refresh() : Promise.resolve(useAuth.getState().accessToken),
    onFrame,
    onResync: () => {
      inBackground(resync);
    },
  });
  gateway.start();
  document.addEventListener('visibilitychange', reportPresence);
  inBackground(loadEverything);
  const dm = crypto;
  inBackground(() => dm.forgetExpired());
}

/** A hidden tab shows its user as idle (api.md "Presence": `idle` is the client's to set). */
function reportPresence(): void {
  const status = document.visibilityState === 'hidden' ? 'idle' : 'online';
  gateway?.send('presence_update', { status });
}

export function endSession(): void {
  document.removeEventListener('visibilitychange', reportPresence);
  gateway?.stop();
  gateway = null;
  crypto = null;
  useChat.getState().reset();
}
