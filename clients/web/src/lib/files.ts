/**
 * Files (docs/protocol/files.md): uploads with progress, downloads with the bearer token, and
 * end-to-end encrypted attachments for DMs.
 *
 * Uploads go through XMLHttpRequest because `fetch` reports no upload progress. Downloads are
 * fetched as blobs and shown through `blob:` URLs: the access token is never put in a URL, and
 * an encrypted file has to be decrypted in the page anyway.
 */
import { decryptAttachment, encryptAttachment, newAttachmentKey } from '@hearth/crypto';
import { ApiError, authorization, authorizedFetch, errorOf, refreshToken } from '../api/client';

/** The node's answer to `POST /api/v1/upload` (files.md "Upload"). */
export interface UploadedFile {
  readonly file_id: string;
  readonly size: number;
  readonly content_type: string;
  readonly name: string;
  readonly encrypted: boolean;
}

/** What a DM's encrypted plaintext says of one attached file (files.md "Encrypted attachments"). */
export interface DmFile {
  readonly file_id: string;
  /** base64url of the 32-byte secretstream key. */
  readonly key: string;
  readonly name: string;
  readonly size: number;
  readonly content_type: string;
}

/** What the client shows of a file: its name, size and type. */
export interface FileInfo {
  readonly name: string;
  readonly size: number;
  readonly contentType: string;
}

/** The default `HEARTH_UPLOAD_MAX_BYTES`: checked before reading or encrypting a large file. */
export const MAX_UPLOAD_BYTES = 25 * 1024 * 1024;

function send(
  body: FormData,
  encrypted: boolean,
  onProgress: (fraction: number) => void,
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', `/api/v1/upload${encrypted ? '?encrypted=true' : ''}`);
    for (const [name, value] of Object.entries(authorization()))
      request.setRequestHeader(name, value);
    request.responseType = 'json';
    request.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    };
    request.onload = () => {
      resolve({ status: request.status, body: request.response as unknown });
    };
    request.onerror = () => {
      reject(new Error('The node cannot be reached.'));
    };
    request.onabort = () => {
      reject(new Error('The upload was cancelled.'));
    };
    request.send(body);
  });
}

/**
 * Uploads one file, reporting progress from 0 to 1; retried once after a refresh if the access
 * token had expired. `encrypted` marks a client-encrypted blob.
 */
export async function uploadFile(
  blob: Blob,
  name: string,
  encrypted: boolean,
  onProgress: (fraction: number) => void = () => undefined,
): Promise<UploadedFile> {
  const form = new FormData();
  form.append('file', blob, name);
  let answer = await send(form, encrypted, onProgress);
  if (answer.status === 401 && errorOf(401, answer.body).code === 'invalid_token') {
    if (await refreshToken()) answer = await send(form, encrypted, onProgress);
  }
  if (answer.status !== 201) throw errorOf(answer.status, answer.body);
  onProgress(1);
  return answer.body as UploadedFile;
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

/**
 * Encrypts a file under a fresh key and uploads the blob as `blob` (the node learns neither the
 * name nor the type); the returned description goes inside the DM's encrypted plaintext.
 */
export async function uploadEncrypted(
  file: File,
  onProgress: (fraction: number) => void = () => undefined,
): Promise<DmFile> {
  const key = await newAttachmentKey();
  const sealed = await encryptAttachment(key, new Uint8Array(await file.arrayBuffer()));
  const uploaded = await uploadFile(
    new Blob([sealed as Uint8Array<ArrayBuffer>]),
    'blob',
    true,
    onProgress,
  );
  return {
    file_id: uploaded.file_id,
    key: toBase64Url(key),
    name: file.name || 'file',
    size: file.size,
    content_type: file.type || 'application/octet-stream',
  };
}

/** The bytes of a file as the node serves them. */
export async function downloadFile(fileId: string): Promise<Blob> {
  return (await authorizedFetch(`/api/v1/files/${fileId}`)).blob();
}

/** Downloads and decrypts a DM attachment; a blob that does not authenticate is refused. */
export async function downloadEncrypted(file: DmFile): Promise<Blob> {
  const sealed = new Uint8Array(await (await downloadFile(file.file_id)).arrayBuffer());
  const plain = await decryptAttachment(fromBase64Url(file.key), sealed);
  return new Blob([plain as Uint8Array<ArrayBuffer>], { type: file.content_type });
}

/** The exact name of RFC 8187's `filename*=UTF-8''…`, else the ASCII `filename="…"`. */
export function nameFromDisposition(header: string | null): string {
  if (header === null) return 'file';
  const exact = /filename\*=UTF-8''([^;]+)/i.exec(header);
  if (exact?.[1] !== undefined) {
    try {
      return decodeURIComponent(exact[1]);
    } catch {
      // Not valid percent-encoding: fall back to the ASCII name.
    }
  }
  return /filename="([^"]*)"/i.exec(header)?.[1] ?? 'file';
}

/**
 * Name, size and type of a plaintext attachment, from a one-byte range request: the node
 * answers the same headers as for the whole file (files.md "Download"), and `Content-Range`
 * carries the size.
 */
export async function fileInfo(fileId: string): Promise<FileInfo> {
  const response = await authorizedFetch(`/api/v1/files/${fileId}`, {
    headers: { range: 'bytes=0-0' },
  });
  await response.body?.cancel();
  const total = /\/(\d+)$/.exec(response.headers.get('content-range') ?? '')?.[1];
  return {
    name: nameFromDisposition(response.headers.get('content-disposition')),
    size: Number(total ?? response.headers.get('content-length') ?? 0),
    contentType: (response.headers.get('content-type') ?? '').split(';')[0] ?? '',
  };
}

/** "1.4 MB": sizes as people read them (SI units, as file managers show them). */
export function formatSize(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB'];
  let value = bytes;
  let unit = -1;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

export function isImage(contentType: string): boolean {
  return /^image\/(png|jpeg|gif|webp|avif|bmp)$/.test(contentType);
}

/** A readable reason for a failed upload. */
export function uploadError(error: unknown): string {
  if (error instanceof ApiError && error.code === 'too_large') return 'The file is too large.';
  return error instanceof Error ? error.message : 'The file was not uploaded.';
}
