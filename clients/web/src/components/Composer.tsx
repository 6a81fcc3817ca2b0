import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { Channel } from '../api/client';
import { editMessage, postMessage } from '../lib/messages';
import { currentGateway } from '../lib/session';
import { useComposer } from '../stores/composer';

/** A typing start lapses after 8 s on the node (api.md "Ops"); it is renewed well before. */
const TYPING_RENEW_MS = 5000;

export function Composer({ channel }: { channel: Channel }) {
  const { draft: text, setDraft: setText, replyTo, editing, clear } = useComposer();
  const [error, setError] = useState<string | null>(null);
  const lastTyping = useRef(0);
  const input = useRef<HTMLTextAreaElement>(null);

  // The composer is keyed by channel: a new channel starts with an empty draft.
  useEffect(() => clear, [clear]);

  useEffect(() => {
    if (editing ?? replyTo) input.current?.focus();
  }, [editing, replyTo]);

  const typing = (active: boolean) => {
    const now = Date.now();
    if (active && now - lastTyping.current < TYPING_RENEW_MS) return;
    lastTyping.current = active ? now : 0;
    currentGateway()?.send(active ? 'typing_start' : 'typing_stop', { channel_id: channel.id });
  };

  const send = async () => {
    const body = text.trim();
    if (body === '') return;
    setText('');
    typing(false);
    try {
      if (editing) await editMessage(channel, editing, body);
      else await postMessage(channel, body, replyTo?.id ?? null);
      clear();
      setError(null);
    } catch (e) {
      setText(body);
      setError(e instanceof Error ? e.message : 'The message was not sent.');
    }
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void send();
    } else if (event.key === 'Escape' && (editing ?? replyTo)) {
      clear();
    }
  };

  return (
    <form
      className="composer"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      {(editing ?? replyTo) && (
        <div className="composer-mode" role="status">
          {editing ? 'Editing message' : 'Replying'} — Escape to cancel
          <button
            type="button"
            className="icon"
            aria-label="Cancel"
            onClick={() => {
              clear();
              setText('');
            }}
          >
            ✕
          </button>
        </div>
      )}
      {error !== null && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <textarea
        ref={input}
        rows={1}
        aria-label={`Message ${channel.kind === 'dm' ? 'this encrypted conversation' : `#${channel.name}`}`}
        placeholder={channel.kind === 'dm' ? 'Encrypted message' : `Message #${channel.name}`}
        value={text}
        maxLength={4000}
        onChange={(e) => {
          setText(e.target.value);
          typing(e.target.value !== '');
        }}
        onKeyDown={onKeyDown}
      />
      <button type="submit" aria-label="Send">
        Send
      </button>
    </form>
  );
}
