import { useNavigate } from 'react-router';
import { api, call } from '../api/client';
import { useAuth } from '../stores/auth';
import { useChat } from '../stores/chat';

export function MemberList({ serverId }: { serverId: string }) {
  const members = useChat((s) => s.members[serverId]);
  const presence = useChat((s) => s.presence);
  const self = useAuth((s) => s.userId);
  const navigate = useNavigate();

  const openDm = async (userId: string) => {
    const channel = await call(() => api.POST('/api/v1/dms', { body: { user_id: userId } }));
    useChat.getState().putChannels([channel]);
    void navigate(`/channels/@me/${channel.id}`);
  };
  const sorted = Object.values(members ?? {}).sort((a, b) =>
    (a.display_name ?? '').localeCompare(b.display_name ?? ''),
  );
  return (
    <aside className="members" aria-label="Members">
      <h2>Members — {sorted.length}</h2>
      <ul>
        {sorted.map((member) => {
          const status = presence[member.user_id] ?? 'offline';
          const name = member.display_name ?? member.username ?? 'deleted user';
          return (
            <li key={member.user_id} className={`member ${status}`}>
              <span className={`presence ${status}`} role="img" aria-label={status} />
              <span className="name">{name}</span>
              {member.role !== 'member' && <span className="role">{member.role}</span>}
              {member.user_id !== self && member.username !== null && (
                <button
                  type="button"
                  className="icon"
                  aria-label={`Send ${name} an encrypted direct message`}
                  title="Encrypted direct message"
                  onClick={() => void openDm(member.user_id)}
                >
                  ✉
                </button>
              )}
            </li>
          );
        })}
      </ul>
    </aside>
  );
}
