import { useEffect, useLayoutEffect, useRef, useState, type DragEvent } from 'react';
import { useE2ee } from '../lib/e2ee';
import { useConnection } from '../lib/gateway';
import { markRead } from '../lib/messages';
import { dmPartner, useUserName } from '../lib/names';
import { inBackground, loadNewest, loadOlder } from '../lib/session';
import { attachFiles } from '../lib/uploads';
import { useAuth } from '../stores/auth';
import { typingIn, useChat } from '../stores/chat';
import { useComposer } from '../stores/composer';
import { ChannelDialog, useCanManageChannels } from './ChannelDialog';
import { Composer } from './Composer';
import { LockIcon, MembersIcon } from './Icons';
import { MessageItem } from './MessageItem';
import { SafetyNumberDialog } from './SafetyNumberDialog';

const NEAR_TOP_PX = 80;

function TypingIndicator({ channelId }: { channelId: string }) {
  const self = useAuth((s) => s.userId);
  const typing = useChat((s) => typingIn(s, channelId, self).join(','));
  const [, tick] = useState(0);
  // Typing starts lapse by themselves (8 s): re-render so they disappear without a frame.
  useEffect(() => {
    if (typing === '') return;
    const timer = setInterval(() => {
      tick((n) => n + 1);
    }, 1000);
    return () => {
      clearInterval(timer);
    };
  }, [typing]);
  const first = useUserName(typing.split(',')[0] ?? null);
  const count = typing === '' ? 0 : typing.split(',').length;
  return (
    <p className="typing" aria-live="polite">
      {count === 0 ? '' : count === 1 ? `${first} is typing…` : `${count} people are typing…`}
    </p>
  );
}

function MessageList({ channelId }: { channelId: string }) {
  const page = useChat((s) => s.messages[channelId]);
  const list = useRef<HTMLOListElement>(null);
  const pinned = useRef(true);
  const anchor = useRef<{ height: number; top: number } | null>(null);
  const [loading, setLoading] = useState(false);

  // Loaded on opening, and again each time the gateway is live: a load that failed while the
  // node was away is retried, and what was missed is fetched.
  const live = useConnection((s) => s.status === 'live');
  useEffect(() => {
    pinned.current = true;
  }, [channelId]);
  useEffect(() => {
    if (live || page === undefined) inBackground(() => loadNewest(channelId));
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `page` only gates the first load.
  }, [channelId, live]);

  // Keep the view at the bottom for new messages, and in place when older ones are prepended.
  useLayoutEffect(() => {
    const el = list.current;
    if (!el) return;
    if (anchor.current) {
      el.scrollTop = anchor.current.top + (el.scrollHeight - anchor.current.height);
      anchor.current = null;
    } else if (pinned.current) {
      el.scrollTop = el.scrollHeight;
    }
  }, [page?.items]);

  const onScroll = () => {
    const el = list.current;
    if (!el) return;
    pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
    if (el.scrollTop < NEAR_TOP_PX && page?.hasOlder && !loading) {
      setLoading(true);
      anchor.current = { height: el.scrollHeight, top: el.scrollTop };
      inBackground(() =>
        loadOlder(channelId).finally(() => {
          setLoading(false);
        }),
      );
    }
  };

  return (
    <ol
      className="messages"
      ref={list}
      onScroll={onScroll}
      aria-label="Messages"
      tabIndex={0}
      aria-busy={loading}
    >
      {page?.hasOlder === false && (
        <li className="start">This is the start of the conversation.</li>
      )}
      {page?.items.map((message) => (
        <MessageItem key={message.id} message={message} />
      ))}
    </ol>
  );
}

/** Marks the newest message read while the pane shows it. */
function useReadMarker(channelId: string) {
  const self = useAuth((s) => s.userId);
  const last = useChat((s) => s.messages[channelId]?.items.findLast((m) => !m.deleted));
  const marker = useChat((s) => s.readMarkers[channelId]);
  useEffect(() => {
    if (last === undefined || (marker !== undefined && marker.hlc >= last.hlc)) return;
    if (document.visibilityState !== 'visible') return;
    void markRead(channelId, last).catch(() => undefined);
  }, [channelId, last, marker, self]);
}

export function MessagePane({
  channelId,
  onOpenPanel,
}: {
  channelId: string | undefined;
  onOpenPanel: (panel: 'channels' | 'members') => void;
}) {
  const channel = useChat((s) => (channelId === undefined ? undefined : s.channels[channelId]));
  const self = useAuth((s) => s.userId);
  const peer = channel ? dmPartner(channel, self) : null;
  const peerName = useUserName(peer);
  const changed = useE2ee((s) => (peer === null ? false : s.changedKeys[peer] === true));
  const [verifying, setVerifying] = useState(false);
  const [dragging, setDragging] = useState(false);
  const [editingChannel, setEditingChannel] = useState(false);
  const canManage = useCanManageChannels(channel?.server_id);
  const editing = useComposer((s) => s.editing !== null);
  useReadMarker(channelId ?? '');

  const header = (
    <header className="pane-header">
      <button
        type="button"
        className="icon narrow-only"
        aria-label="Show channels"
        onClick={() => {
          onOpenPanel('channels');
        }}
      >
        ☰
      </button>
      <h1>
        {channel?.kind === 'dm' ? (
          <>
            <LockIcon label="End-to-end encrypted" /> {peerName}
          </>
        ) : channel ? (
          `# ${channel.name}`
        ) : (
          'Hearth'
        )}
      </h1>
      {channel?.topic ? <p className="topic">{channel.topic}</p> : null}
      {canManage && channel?.server_id != null && (
        <button
          type="button"
          className="icon"
          aria-label="Edit channel"
          onClick={() => {
            setEditingChannel(true);
          }}
        >
          ✎
        </button>
      )}
      {peer !== null && (
        <button
          type="button"
          onClick={() => {
            setVerifying(true);
          }}
        >
          Safety number
        </button>
      )}
      {channel?.server_id != null && (
        <button
          type="button"
          className="icon narrow-only"
          aria-label="Show members"
          onClick={() => {
            onOpenPanel('members');
          }}
        >
          <MembersIcon />
        </button>
      )}
    </header>
  );
  if (!channel) {
    return (
      <main className="pane">
        {header}
        <p className="empty">Pick a channel, or create a server with “+”.</p>
      </main>
    );
  }
  const carriesFiles = (event: DragEvent) => event.dataTransfer.types.includes('Files');
  return (
    <main
      className={`pane${dragging ? ' dragging' : ''}`}
      onDragOver={(event) => {
        if (!carriesFiles(event) || editing) return;
        event.preventDefault();
        event.dataTransfer.dropEffect = 'copy';
        setDragging(true);
      }}
      onDragLeave={(event) => {
        if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setDragging(false);
      }}
      onDrop={(event) => {
        if (!carriesFiles(event) || editing) return;
        event.preventDefault();
        setDragging(false);
        void attachFiles(channel, [...event.dataTransfer.files]);
      }}
    >
      {dragging && (
        <div className="drop-hint" aria-hidden="true">
          {channel.kind === 'dm'
            ? 'Drop files to encrypt and attach them'
            : `Drop files to attach them to a message in #${channel.name}`}
        </div>
      )}
      {header}
      {changed && peer !== null && (
        <div className="warning" role="alert">
          {peerName}&apos;s identity key changed. Compare safety numbers before you trust this
          conversation.
          <button
            type="button"
            onClick={() => {
              setVerifying(true);
            }}
          >
            Verify
          </button>
        </div>
      )}
      <MessageList channelId={channel.id} />
      <TypingIndicator channelId={channel.id} />
      <Composer key={channel.id} channel={channel} />
      {editingChannel && channel.server_id !== null && (
        <ChannelDialog
          serverId={channel.server_id}
          channel={channel}
          onClose={() => {
            setEditingChannel(false);
          }}
        />
      )}
      {verifying && peer !== null && (
        <SafetyNumberDialog
          peerId={peer}
          onClose={() => {
            setVerifying(false);
          }}
        />
      )}
    </main>
  );
}
