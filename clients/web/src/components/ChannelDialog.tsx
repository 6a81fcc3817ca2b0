import { useState, type SyntheticEvent } from 'react';
import { useNavigate } from 'react-router';
import { api, ApiError, call, type Channel } from '../api/client';
import { useAuth } from '../stores/auth';
import { useChat } from '../stores/chat';
import { Modal } from './Modal';

/** domain/text.py: a channel name is one line of at most 100 characters, a topic 1024. */
const NAME_MAX = 100;
const TOPIC_MAX = 1024;

/** Whether the signed-in user may create and edit the server's channels (api.md "Channels"). */
export function useCanManageChannels(serverId: string | null | undefined): boolean {
  const self = useAuth((s) => s.userId);
  return useChat((s) => {
    if (serverId == null || self === null) return false;
    const role = s.members[serverId]?.[self]?.role;
    return role === 'owner' || role === 'moderator';
  });
}

/**
 * Creates a channel in a server, or edits one's name and topic. Whether a channel is public
 * or private is chosen when it is created (api.md: `PATCH` takes only name and topic).
 */
export function ChannelDialog({
  serverId,
  channel,
  onClose,
}: {
  serverId: string;
  /** The channel to edit; none to create one. */
  channel?: Channel;
  onClose: () => void;
}) {
  const [name, setName] = useState(channel?.name ?? '');
  const [topic, setTopic] = useState(channel?.topic ?? '');
  const [kind, setKind] = useState<'public' | 'private'>('public');
  const [error, setError] = useState<string | null>(null);
  const navigate = useNavigate();

  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    try {
      const saved =
        channel === undefined
          ? await call(() =>
              api.POST('/api/v1/servers/{server_id}/channels', {
                params: { path: { server_id: serverId } },
                body: { name: name.trim(), topic, kind },
              }),
            )
          : await call(() =>
              api.PATCH('/api/v1/channels/{channel_id}', {
                params: { path: { channel_id: channel.id } },
                body: { name: name.trim(), topic },
              }),
            );
      useChat.getState().putChannels([saved]);
      onClose();
      if (channel === undefined) void navigate(`/channels/${serverId}/${saved.id}`);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'The node cannot be reached.');
    }
  };

  return (
    <Modal title={channel === undefined ? 'Create a channel' : 'Edit channel'} onClose={onClose}>
      <form onSubmit={(e) => void submit(e)}>
        <label>
          Channel name
          <input
            required
            maxLength={NAME_MAX}
            value={name}
            onChange={(e) => {
              setName(e.target.value);
            }}
          />
        </label>
        <label>
          Topic
          <textarea
            rows={2}
            maxLength={TOPIC_MAX}
            value={topic}
            onChange={(e) => {
              setTopic(e.target.value);
            }}
          />
        </label>
        {channel === undefined && (
          <fieldset>
            <legend>Who can see it</legend>
            <label className="inline">
              <input
                type="radio"
                name="kind"
                checked={kind === 'public'}
                onChange={() => {
                  setKind('public');
                }}
              />
              Public: every member
            </label>
            <label className="inline">
              <input
                type="radio"
                name="kind"
                checked={kind === 'private'}
                onChange={() => {
                  setKind('private');
                }}
              />
              Private: moderators and the owner
            </label>
          </fieldset>
        )}
        {error !== null && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <button type="submit">{channel === undefined ? 'Create channel' : 'Save'}</button>
      </form>
    </Modal>
  );
}
