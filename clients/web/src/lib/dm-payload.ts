/**
 * The plaintext inside a DM's Double Ratchet message (docs/protocol/e2ee.md "Message
 * plaintext"): UTF-8 JSON `{"text", "files"?}`, where each file describes an encrypted
 * attachment (files.md "Encrypted attachments"). A plaintext that is not such an object is read
 * as bare text, which is what the first clients sent.
 */
import type { DmFile } from './files';

export interface DmPayload {
  readonly text: string;
  readonly files: readonly DmFile[];
}

const FILE_ID = /^[0-9a-f]{64}$/;
const KEY = /^[A-Za-z0-9_-]{43}$/;

function isDmFile(value: unknown): value is DmFile {
  if (typeof value !== 'object' || value === null) return false;
  const file = value as Record<string, unknown>;
  return (
    typeof file.file_id === 'string' &&
    FILE_ID.test(file.file_id) &&
    typeof file.key === 'string' &&
    KEY.test(file.key) &&
    typeof file.name === 'string' &&
    typeof file.content_type === 'string' &&
    typeof file.size === 'number' &&
    Number.isSafeInteger(file.size) &&
    file.size >= 0
  );
}

export function encodeDmPayload(payload: DmPayload): string {
  return JSON.stringify(
    payload.files.length > 0
      ? { text: payload.text, files: payload.files }
      : { text: payload.text },
  );
}

/** Reads a decrypted plaintext; file entries that do not describe a file are dropped. */
export function decodeDmPayload(plaintext: string): DmPayload {
  let value: unknown;
  try {
    value = JSON.parse(plaintext);
  } catch {
    return { text: plaintext, files: [] };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { text: plaintext, files: [] };
  }
  const { text, files } = value as { text?: unknown; files?: unknown };
  if (typeof text !== 'string') return { text: plaintext, files: [] };
  return { text, files: Array.isArray(files) ? files.filter(isDmFile) : [] };
}
