import { useState } from 'react';
import { Link } from 'react-router';
import { useUserName, dmPartner } from '../lib/names';
import { useAuth } from '../stores/auth';
import { isUnread, useChat } from '../stores/chat';
import { useTheme } from '../stores/theme';
import type { Channel } from '../api/client';
import { ChannelDialog, useCanManageChannels } from './ChannelDialog';
import { LockIcon } from './Icons';
import { InviteDialog } from './ServerDialogs';
import { endSession } from '../lib/session';

function ChannelLink({ channel, active }: { channel: Channel; active: boolean }) {
  const self = useAuth((s) => s.userId);
  const unread = useChat((s) => isUnread(s, channel.id, self));
  const partner = useUserName(dmPartner(channel, self));
  const name = channel.kind === 'dm' ? partner : channel.name;
  const kind =
    channel.kind === 'dm'
      ? `Direct message with ${name}, encrypted`
      : `${channel.kind === 'private' ? 'Private channel' : 'Channel'} ${name}`;
  const label = `${kind}${unread ? ', unread' : ''}`;
  return (
    <li>
      <Link
        to={`/channels/${channel.server_id ?? '@me'}/${channel.id}`}
        className={`channel${active ? ' active' : ''}${unread ? ' unread' : ''}`}
        aria-current={active ? 'page' : undefined}
        aria-label={label}
      >
        {channel.kind === 'dm' ? (
          <LockIcon />
        ) : (
          <span aria-hidden="true">{channel.kind === 'private' ? '⊘' : '#'}</span>
        )}{' '}
        {name}
        {unread && <span className="dot" aria-hidden="true" />}
      </Link>
    </li>
  );
}

function UserPanel() {
  const { username, logout } = useAuth();
  const { theme, toggle } = useTheme();
  return (
    <footer className="user-panel">
      <span className="me" title="Signed in as">
        {username ?? ''}
      </span>
      <button
        type="button"
        className="icon"
        onClick={toggle}
        aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
      >
        {theme === 'dark' ? '☀' : '☾'}
      </button>
      <Link to="/settings" className="button">
        Settings
      </Link>
      <button
        type="button"
        onClick={() => {
          endSession();
          void logout();
        }}
      >
        Sign out
      </button>
    </footer>
  );
}

export function ChannelSidebar({
  serverId,
  channelId,
}: {
  serverId: string;
  channelId: string | undefined;
}) {
  const server = useChat((s) => s.servers[serverId]);
  const allChannels = useChat((s) => s.channels);
  const [inviting, setInviting] = useState(false);
  const [creating, setCreating] = useState(false);
  const canManage = useCanManageChannels(server?.id);
  const channels = Object.values(allChannels).filter((c) =>
    serverId === '@me' ? c.kind === 'dm' : c.server_id === serverId,
  );
  return (
    <aside className="sidebar" aria-label="Channels">
      <header className="sidebar-header">
        <h2>{server?.name ?? 'Direct messages'}</h2>
        {server && (
          <button
            type="button"
            onClick={() => {
              setInviting(true);
            }}
          >
            Invite
          </button>
        )}
      </header>
      {canManage && (
        <div className="channels-header">
          <span>Channels</span>
          <button
            type="button"
            className="icon"
            aria-label="Create a channel"
            onClick={() => {
              setCreating(true);
            }}
          >
            +
          </button>
        </div>
      )}
      <ul className="channels">
        {channels.map((channel) => (
          <ChannelLink key={channel.id} channel={channel} active={channel.id === channelId} />
        ))}
        {serverId === '@me' && channels.length === 0 && (
          <li className="hint">Start a DM from a server&apos;s member list.</li>
        )}
      </ul>
      <UserPanel />
      {creating && server && (
        <ChannelDialog
          serverId={server.id}
          onClose={() => {
            setCreating(false);
          }}
        />
      )}
      {inviting && server && (
        <InviteDialog
          serverId={server.id}
          onClose={() => {
            setInviting(false);
          }}
        />
      )}
    </aside>
  );
}
