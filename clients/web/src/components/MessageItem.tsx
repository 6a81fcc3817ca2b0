import { useEffect, memo, useMemo } from 'react';
import type { Message } from '../api/client';
import { decodeDmPayload, type DmPayload } from '../lib/dm-payload';
import { useE2ee, versionKey } from '../lib/e2ee';
import { renderMarkdown } from '../lib/markdown';
import { deleteMessage } from '../lib/messages';
import { useUserName } from '../lib/names';
import { dmCrypto, inBackground } from '../lib/session';
import { useAuth } from '../stores/auth';
import { useChat } from '../stores/chat';
import { useComposer } from '../stores/composer';
import { Attachments } from './Attachment';

/** A DM message's plaintext as this device decrypted or sent it; null in other channels. */
function usePlaintext(message: Message | undefined): string | null | undefined {
  const self = useAuth((s) => s.userId);
  const key = message ? versionKey(message) : '';
  const decrypted = useE2ee((s) => s.plaintexts[key]);
  const encrypted = message?.ciphertext != null;
  useEffect(() => {
    if (message && encrypted && decrypted === undefined && self !== null) {
      inBackground(() => dmCrypto().decrypt(message, self));
    }
  }, [message, encrypted, decrypted, self]);
  if (!message || message.deleted || !encrypted) return null;
  return decrypted;
}

/**
 * What a DM message says (its text and files), decrypted on this device: undefined while it
 * cannot be read; null for messages of other channels, whose text is their `content`.
 */
function useDmPayload(message: Message | undefined): DmPayload | null | undefined {
  const plaintext = usePlaintext(message);
  return useMemo(
    () => (typeof plaintext === 'string' ? decodeDmPayload(plaintext) : plaintext),
    [plaintext],
  );
}

/** A message's text: its content, or in a DM what this device decrypted or sent. */
export function useMessageText(message: Message | undefined): string | null {
  const payload = useDmPayload(message);
  if (!message || message.deleted) return null;
  if (payload === null) return message.content;
  return payload?.text ?? null;
}

/** Wall-clock milliseconds are the HLC's first field (envelope.md "Hybrid logical clock"). */
function timeOf(hlc: string): string {
  const ms = Number(hlc.split('-')[0]);
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

function ReplyPreview({ message }: { message: Message }) {
  const original = useChat((s) =>
    s.messages[message.channel_id]?.items.find((m) => m.id === message.reply_to),
  );
  const author = useUserName(original?.author_id ?? null);
  const text = useMessageText(original);
  return (
    <p className="reply-preview">
      ↪ {original ? <strong>{author}</strong> : null}{' '}
      {text !== null ? renderMarkdown(text) : original?.deleted ? 'deleted message' : '…'}
    </p>
  );
}

export const MessageItem = memo(function MessageItem({ message }: { message: Message }) {
  const self = useAuth((s) => s.userId);
  const author = useUserName(message.author_id);
  const payload = useDmPayload(message);
  const text = useMessageText(message);
  const own = message.author_id === self;
  const reply = useComposer((s) => s.reply);
  const edit = useComposer((s) => s.edit);

  if (message.deleted) {
    return (
      <li className="message deleted" data-message-id={message.id}>
        <em>Message deleted</em>
      </li>
    );
  }
  return (
    <li className="message" data-message-id={message.id}>
      {message.reply_to !== null && <ReplyPreview message={message} />}
      <header>
        <strong className="author">{author}</strong>
        <time dateTime={new Date(Number(message.hlc.split('-')[0])).toISOString()}>
          {timeOf(message.hlc)}
        </time>
        {message.edited_hlc !== null && <span className="edited">(edited)</span>}
      </header>
      <div className="body">
        {text === null ? (
          <em className="undecryptable">Encrypted message this device cannot read</em>
        ) : (
          text !== '' && renderMarkdown(text)
        )}
      </div>
      {text !== null && <Attachments message={message} dmFiles={payload?.files ?? null} />}
      <div className="actions">
        <button
          type="button"
          onClick={() => {
            reply(message);
          }}
          aria-label="Reply"
        >
          Reply
        </button>
        {own && text !== null && (
          <button
            type="button"
            onClick={() => {
              edit(message, text);
            }}
            aria-label="Edit message"
          >
            Edit
          </button>
        )}
        {own && (
          <button
            type="button"
            onClick={() => void deleteMessage(message)}
            aria-label="Delete message"
          >
            Delete
          </button>
        )}
      </div>
    </li>
  );
});
