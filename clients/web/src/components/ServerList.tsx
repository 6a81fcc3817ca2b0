import { useState } from 'react';
import { Link } from 'react-router';
import { useAuth } from '../stores/auth';
import { isUnread, useChat } from '../stores/chat';
import { CreateServerDialog, JoinServerDialog } from './ServerDialogs';

function initials(name: string): string {
  return name
    .split(/\s+/)
    .map((word) => word.charAt(0))
    .join('')
    .slice(0, 3)
    .toUpperCase();
}

export function ServerList({ current }: { current: string }) {
  const servers = useChat((s) => s.servers);
  const unread = useChat((s) => {
    const self = useAuth.getState().userId;
    const servers = new Set<string>();
    for (const channel of Object.values(s.channels)) {
      if (isUnread(s, channel.id, self)) servers.add(channel.server_id ?? '@me');
    }
    return [...servers].sort().join(',');
  });
  const [dialog, setDialog] = useState<'none' | 'create' | 'join'>('none');
  const unreadSet = new Set(unread.split(','));
  const entry = (id: string, name: string, label: string) => (
    <li key={id}>
      <Link
        to={`/channels/${id}`}
        className={`server${id === current ? ' active' : ''}${unreadSet.has(id) ? ' unread' : ''}`}
        aria-label={unreadSet.has(id) ? `${label}, unread messages` : label}
        aria-current={id === current ? 'page' : undefined}
        title={label}
      >
        {name}
      </Link>
    </li>
  );
  return (
    <nav className="servers" aria-label="Servers">
      <ul>
        {entry('@me', '@', 'Direct messages')}
        {Object.values(servers).map((server) =>
          entry(server.id, initials(server.name), server.name),
        )}
        <li>
          <button
            type="button"
            className="server add"
            aria-label="Create a server"
            title="Create a server"
            onClick={() => {
              setDialog('create');
            }}
          >
            +
          </button>
        </li>
        <li>
          <button
            type="button"
            className="server add"
            aria-label="Join a server"
            title="Join a server"
            onClick={() => {
              setDialog('join');
            }}
          >
            ⇥
          </button>
        </li>
      </ul>
      {dialog === 'create' && (
        <CreateServerDialog
          onClose={() => {
            setDialog('none');
          }}
        />
      )}
      {dialog === 'join' && (
        <JoinServerDialog
          onClose={() => {
            setDialog('none');
          }}
        />
      )}
    </nav>
  );
}
