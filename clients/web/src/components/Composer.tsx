import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { Channel } from '../api/client';
import { formatSize } from '../lib/files';
import { editMessage, postMessage } from '../lib/messages';
import { currentGateway } from '../lib/session';
import { attachFiles } from '../lib/uploads';
import { filesReady, useComposer, type PendingFile } from '../stores/composer';

/** A typing start lapses after 8 s on the node (api.md "Ops"); it is renewed well before. */
const TYPING_RENEW_MS = 5000;

function PendingFiles({ files }: { files: readonly PendingFile[] }) {
  const remove = useComposer((s) => s.removeFile);
  if (files.length === 0) return null;
  return (
    <ul className="pending-files" aria-label="Attached files">
      {files.map((file) => (
        <li key={file.id} className={`pending-file ${file.status}`}>
          <span className="file-name">{file.name}</span>
          <span className="file-size">{formatSize(file.size)}</span>
          {file.status === 'failed' ? (
            <span className="error" role="alert">
              {file.error}
            </span>
          ) : (
            <progress
              max={100}
              value={Math.round(file.progress * 100)}
              aria-label={`Upload of ${file.name}`}
            />
          )}
          <button
            type="button"
            className="icon"
            aria-label={`Remove ${file.name}`}
            onClick={() => {
              remove(file.id);
            }}
          >
            ✕
          </button>
        </li>
      ))}
    </ul>
  );
}

export function Composer({ channel }: { channel: Channel }) {
  const { draft: text, setDraft: setText, replyTo, editing, files, cancel, clear } = useComposer();
  const [error, setError] = useState<string | null>(null);
  const lastTyping = useRef(0);
  const input = useRef<HTMLTextAreaElement>(null);
  const picker = useRef<HTMLInputElement>(null);

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

  const attach = (chosen: readonly File[]) => {
    if (chosen.length === 0 || editing) return;
    void attachFiles(channel, chosen);
  };

  const send = async () => {
    const body = text.trim();
    const attached = editing ? [] : files.filter((f) => f.status === 'done');
    if (body === '' && attached.length === 0) return;
    if (!editing && !filesReady(files.filter((f) => f.status !== 'failed'))) {
      setError('Wait for the files to finish uploading.');
      return;
    }
    setText('');
    typing(false);
    try {
      if (editing) await editMessage(channel, editing, body);
      else await postMessage(channel, body, replyTo?.id ?? null, attached);
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
      cancel();
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
          <button type="button" className="icon" aria-label="Cancel" onClick={cancel}>
            ✕
          </button>
        </div>
      )}
      {error !== null && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {!editing && <PendingFiles files={files} />}
      <div className="composer-row">
        <button
          type="button"
          className="icon attach"
          aria-label={
            channel.kind === 'dm' ? 'Attach files (encrypted before upload)' : 'Attach files'
          }
          disabled={editing !== null}
          onClick={() => picker.current?.click()}
        >
          +
        </button>
        <input
          ref={picker}
          type="file"
          multiple
          hidden
          aria-hidden="true"
          tabIndex={-1}
          onChange={(e) => {
            attach([...(e.target.files ?? [])]);
            e.target.value = '';
          }}
        />
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
          onPaste={(e) => {
            const pasted = [...e.clipboardData.files];
            if (pasted.length > 0) {
              e.preventDefault();
              attach(pasted);
            }
          }}
        />
        <button type="submit" aria-label="Send">
          Send
        </button>
      </div>
    </form>
  );
}
