import { useEffect, useState, type SyntheticEvent } from 'react';
import { useNavigate } from 'react-router';
import { api, ApiError, call, type Invite } from '../api/client';
import { loadServer } from '../lib/session';
import { useChat } from '../stores/chat';
import { Modal } from './Modal';

function messageOf(error: unknown): string {
  if (error instanceof ApiError)
    return error.code === 'not_found' ? 'No such invite.' : error.message;
  return 'The node cannot be reached.';
}

export function CreateServerDialog({ onClose }: { onClose: () => void }) {
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const navigate = useNavigate();
  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    try {
      const server = await call(() => api.POST('/api/v1/servers', { body: { name } }));
      useChat.getState().putServers([server]);
      await loadServer(server.id);
      onClose();
      void navigate(`/channels/${server.id}/${server.general_channel_id}`);
    } catch (e) {
      setError(messageOf(e));
    }
  };
  return (
    <Modal title="Create a server" onClose={onClose}>
      <form onSubmit={(e) => void submit(e)}>
        <label>
          Server name
          <input
            name="server-name"
            required
            maxLength={100}
            value={name}
            onChange={(e) => {
              setName(e.target.value);
            }}
          />
        </label>
        {error !== null && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <button type="submit">Create</button>
      </form>
    </Modal>
  );
}

/** The code of an invite, from the code itself or from an invite link. */
export function inviteCode(text: string): string {
  return text.trim().split('/').filter(Boolean).at(-1) ?? '';
}

export function JoinServerDialog({
  initialCode,
  onClose,
}: {
  initialCode?: string;
  onClose: () => void;
}) {
  const [code, setCode] = useState(initialCode ?? '');
  const [preview, setPreview] = useState<Invite | null>(null);
  const [error, setError] = useState<string | null>(null);
  const navigate = useNavigate();

  useEffect(() => {
    const wanted = inviteCode(code);
    if (wanted.length !== 10) return;
    let live = true;
    call(() => api.GET('/api/v1/invites/{code}', { params: { path: { code: wanted } } })).then(
      (invite) => {
        if (live) setPreview(invite);
      },
      () => {
        if (live) setPreview(null);
      },
    );
    return () => {
      live = false;
    };
  }, [code]);

  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    try {
      const server = await call(() =>
        api.POST('/api/v1/invites/{code}', { params: { path: { code: inviteCode(code) } } }),
      );
      useChat.getState().putServers([server]);
      await loadServer(server.id);
      onClose();
      void navigate(`/channels/${server.id}/${server.general_channel_id}`);
    } catch (e) {
      if (e instanceof ApiError && e.code === 'already_exists' && preview) {
        onClose();
        void navigate(`/channels/${preview.server_id}`);
        return;
      }
      setError(messageOf(e));
    }
  };
  return (
    <Modal title="Join a server" onClose={onClose}>
      <form onSubmit={(e) => void submit(e)}>
        <label>
          Invite code or link
          <input
            name="invite-code"
            required
            value={code}
            onChange={(e) => {
              setCode(e.target.value);
            }}
          />
        </label>
        {preview && (
          <p>
            You are invited to <strong>{preview.server_name}</strong>.
          </p>
        )}
        {error !== null && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <button type="submit">Join</button>
      </form>
    </Modal>
  );
}

/** The node's default, said out loud: an invite for a week, without a use limit. */
const INVITE_LIFETIME_SECONDS = 7 * 24 * 3600;

export function InviteDialog({ serverId, onClose }: { serverId: string; onClose: () => void }) {
  const [invite, setInvite] = useState<Invite | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    call(() =>
      api.POST('/api/v1/servers/{server_id}/invites', {
        params: { path: { server_id: serverId } },
        body: { max_age_seconds: INVITE_LIFETIME_SECONDS },
      }),
    ).then(setInvite, (e: unknown) => {
      setError(messageOf(e));
    });
  }, [serverId]);
  const link = invite ? `${location.origin}/invite/${invite.code}` : '';
  return (
    <Modal title="Invite people" onClose={onClose}>
      {invite ? (
        <>
          <p>Share this code or link. It works for 7 days.</p>
          <p className="invite-code" data-testid="invite-code">
            {invite.code}
          </p>
          <input
            aria-label="Invite link"
            readOnly
            value={link}
            onFocus={(e) => {
              e.target.select();
            }}
          />
        </>
      ) : (
        <p aria-busy="true">{error ?? 'Creating an invite…'}</p>
      )}
    </Modal>
  );
}
