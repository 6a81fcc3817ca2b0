import { useEffect, useState } from 'react';
import type { Message } from '../api/client';
import {
  downloadEncrypted,
  downloadFile,
  fileInfo,
  formatSize,
  isImage,
  type DmFile,
  type FileInfo,
} from '../lib/files';
import { LockIcon } from './Icons';

/** Images up to this size are fetched (and in a DM decrypted) to show a thumbnail. */
const THUMBNAIL_MAX_BYTES = 10 * 1024 * 1024;

/** Hands a blob to the browser as a download under its name. */
function save(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.rel = 'noopener';
  document.body.append(link);
  link.click();
  link.remove();
  // The download has started from the URL; it can go once the click has been handled.
  setTimeout(() => {
    URL.revokeObjectURL(url);
  }, 60_000);
}

/** A `blob:` URL of what `load` returns while the component shows it. */
function useBlobUrl(load: (() => Promise<Blob>) | null): { url: string | null; failed: boolean } {
  const [state, setState] = useState<{ url: string | null; failed: boolean }>({
    url: null,
    failed: false,
  });
  useEffect(() => {
    if (load === null) return;
    let url: string | null = null;
    let live = true;
    load().then(
      (blob) => {
        if (!live) return;
        url = URL.createObjectURL(blob);
        setState({ url, failed: false });
      },
      () => {
        if (live) setState({ url: null, failed: true });
      },
    );
    return () => {
      live = false;
      if (url !== null) URL.revokeObjectURL(url);
    };
  }, [load]);
  return state;
}

function AttachmentCard({
  info,
  load,
  encrypted,
}: {
  info: FileInfo;
  load: () => Promise<Blob>;
  encrypted: boolean;
}) {
  const thumbnail = isImage(info.contentType) && info.size <= THUMBNAIL_MAX_BYTES;
  const { url, failed } = useBlobUrl(thumbnail ? load : null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const download = () => {
    setBusy(true);
    setError(null);
    load()
      .then((blob) => {
        save(blob, info.name);
      })
      .catch(() => {
        setError(encrypted ? 'The file could not be decrypted.' : 'The file could not be loaded.');
      })
      .finally(() => {
        setBusy(false);
      });
  };
  return (
    <figure className="attachment" data-file-name={info.name}>
      {thumbnail && url !== null && <img className="thumbnail" src={url} alt={info.name} />}
      {thumbnail && failed && (
        <p className="error" role="alert">
          {encrypted ? 'This image could not be decrypted.' : 'This image could not be loaded.'}
        </p>
      )}
      <figcaption>
        {encrypted && <LockIcon label="Encrypted file" />}
        <span className="file-name">{info.name}</span>
        <span className="file-size">{formatSize(info.size)}</span>
        <button
          type="button"
          onClick={download}
          disabled={busy}
          aria-label={`Download ${info.name}, ${formatSize(info.size)}`}
        >
          Download
        </button>
      </figcaption>
      {error !== null && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </figure>
  );
}

/** A file of a server channel: name, size and type are asked of the node. */
function PlainAttachment({ fileId }: { fileId: string }) {
  const [info, setInfo] = useState<FileInfo | null | 'gone'>(null);
  useEffect(() => {
    let live = true;
    fileInfo(fileId).then(
      (found) => {
        if (live) setInfo(found);
      },
      () => {
        if (live) setInfo('gone');
      },
    );
    return () => {
      live = false;
    };
  }, [fileId]);
  const [load] = useState(() => () => downloadFile(fileId));
  if (info === null) return <p className="attachment loading">Loading file…</p>;
  if (info === 'gone') return <p className="attachment gone">File not available</p>;
  return <AttachmentCard info={info} load={load} encrypted={false} />;
}

/** A DM's file: described by the encrypted message, decrypted here after download. */
function EncryptedAttachment({ file }: { file: DmFile }) {
  const [load] = useState(() => () => downloadEncrypted(file));
  const info = { name: file.name, size: file.size, contentType: file.content_type };
  return <AttachmentCard info={info} load={load} encrypted />;
}

/** The files of a message: a DM's from its decrypted text, a channel's from `attachments`. */
export function Attachments({
  message,
  dmFiles,
}: {
  message: Message;
  dmFiles: readonly DmFile[] | null;
}) {
  if (dmFiles === null && message.attachments.length === 0) return null;
  if (dmFiles !== null && dmFiles.length === 0) return null;
  return (
    <div className="attachments">
      {dmFiles === null
        ? message.attachments.map((id) => <PlainAttachment key={id} fileId={id} />)
        : dmFiles
            .filter((f) => message.attachments.includes(f.file_id))
            .map((f) => <EncryptedAttachment key={f.file_id} file={f} />)}
    </div>
  );
}
