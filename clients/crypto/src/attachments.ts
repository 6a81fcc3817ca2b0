/**
 * Encrypted attachments (docs/protocol/files.md, "Encrypted attachments"): a file is sealed with
 * libsodium's crypto_secretstream_xchacha20poly1305 under a fresh per-file key before upload, so
 * the node stores and serves only an opaque blob.
 *
 * blob = 24-byte header || one ciphertext chunk per 65 536 bytes of plaintext, each 17 bytes
 * longer, tagged MESSAGE except the last, which is tagged FINAL. The FINAL tag is what lets a
 * reader tell a whole file from one cut short at a chunk boundary.
 *
 * secretstream comes from libsodium-wrappers (noble has no secretstream); its WebAssembly module
 * loads asynchronously, hence the async factories.
 */
import sodium, { type StateAddress } from 'libsodium-wrappers';

import { concatBytes } from './encoding.js';
import { AuthenticationError, InvalidArgumentError, MalformedInputError } from './errors.js';
import { checkBytes } from './validate.js';

/** files.md, "Format", step 1: crypto_secretstream_xchacha20poly1305_KEYBYTES. */
export const ATTACHMENT_KEY_LENGTH = 32;
/** files.md, step 2: crypto_secretstream_xchacha20poly1305_HEADERBYTES. */
export const ATTACHMENT_HEADER_LENGTH = 24;
/** files.md, step 3: plaintext bytes per chunk (the last chunk may be shorter). */
export const ATTACHMENT_CHUNK_LENGTH = 65_536;
/** files.md, step 3: crypto_secretstream_xchacha20poly1305_ABYTES, added to every chunk. */
export const ATTACHMENT_CHUNK_OVERHEAD = 17;

/** A fresh random 32-byte key (`crypto_secretstream_xchacha20poly1305_keygen`), one per file. */
export async function newAttachmentKey(): Promise<Uint8Array> {
  await sodium.ready;
  return sodium.crypto_secretstream_xchacha20poly1305_keygen();
}

/**
 * Seals one file chunk by chunk, for callers that read it piecewise: write {@link header}, then
 * the output of {@link encryptChunk} for each 65 536-byte chunk in order, the last with
 * `last = true`.
 */
export class AttachmentEncryptor {
  readonly header: Uint8Array;
  private readonly state: StateAddress;
  private finished = false;

  private constructor(key: Uint8Array) {
    const { state, header } = sodium.crypto_secretstream_xchacha20poly1305_init_push(key);
    this.state = state;
    this.header = header;
  }

  static async create(key: Uint8Array): Promise<AttachmentEncryptor> {
    checkBytes('key', key, ATTACHMENT_KEY_LENGTH);
    await sodium.ready;
    return new AttachmentEncryptor(key);
  }

  /** Every chunk but the last must be exactly 65 536 bytes, since readers cut the blob there. */
  encryptChunk(chunk: Uint8Array, last: boolean): Uint8Array {
    checkBytes('chunk', chunk);
    if (this.finished) throw new InvalidArgumentError('the last chunk was already encrypted');
    if (last && chunk.length > ATTACHMENT_CHUNK_LENGTH) {
      throw new InvalidArgumentError(`chunk must be at most ${ATTACHMENT_CHUNK_LENGTH} bytes`);
    }
    if (!last && chunk.length !== ATTACHMENT_CHUNK_LENGTH) {
      throw new InvalidArgumentError(
        `chunk must be ${ATTACHMENT_CHUNK_LENGTH} bytes unless it is the last`,
      );
    }
    this.finished = last;
    const tag = last
      ? sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
      : sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
    return sodium.crypto_secretstream_xchacha20poly1305_push(this.state, chunk, null, tag);
  }
}

/**
 * Opens one blob piece by piece: create it with the blob's first 24 bytes, pass each following
 * piece of 65 553 bytes (the last one shorter) to {@link decryptChunk}, then call
 * {@link finish}, which refuses a blob that ended before its FINAL chunk.
 */
export class AttachmentDecryptor {
  private readonly state: StateAddress;
  private finished = false;

  private constructor(key: Uint8Array, header: Uint8Array) {
    this.state = sodium.crypto_secretstream_xchacha20poly1305_init_pull(header, key);
  }

  static async create(key: Uint8Array, header: Uint8Array): Promise<AttachmentDecryptor> {
    checkBytes('key', key, ATTACHMENT_KEY_LENGTH);
    checkBytes('header', header, ATTACHMENT_HEADER_LENGTH);
    await sodium.ready;
    return new AttachmentDecryptor(key, header);
  }

  /** True once the FINAL chunk has been opened: the file is complete. */
  get done(): boolean {
    return this.finished;
  }

  decryptChunk(piece: Uint8Array): Uint8Array {
    checkBytes('piece', piece);
    if (piece.length > ATTACHMENT_CHUNK_LENGTH + ATTACHMENT_CHUNK_OVERHEAD) {
      throw new InvalidArgumentError(
        `piece must be at most ${ATTACHMENT_CHUNK_LENGTH + ATTACHMENT_CHUNK_OVERHEAD} bytes`,
      );
    }
    if (this.finished) throw new AuthenticationError('attachment has bytes after its last chunk');
    const opened =
      piece.length < ATTACHMENT_CHUNK_OVERHEAD
        ? false
        : sodium.crypto_secretstream_xchacha20poly1305_pull(this.state, piece, null);
    if (opened === false) throw new AuthenticationError('attachment chunk does not authenticate');
    if (opened.tag === sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
      this.finished = true;
    } else if (opened.tag !== sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE) {
      opened.message.fill(0);
      throw new MalformedInputError(`attachment chunk has tag ${opened.tag}, not MESSAGE or FINAL`);
    }
    return opened.message;
  }

  finish(): void {
    if (!this.finished) {
      throw new AuthenticationError('attachment ends before its last chunk: it was cut short');
    }
  }
}

/** The whole blob for a file held in memory; an empty file is one empty FINAL chunk. */
export async function encryptAttachment(
  key: Uint8Array,
  plaintext: Uint8Array,
): Promise<Uint8Array> {
  checkBytes('plaintext', plaintext);
  const encryptor = await AttachmentEncryptor.create(key);
  const parts = [encryptor.header];
  let offset = 0;
  do {
    const end = Math.min(offset + ATTACHMENT_CHUNK_LENGTH, plaintext.length);
    parts.push(encryptor.encryptChunk(plaintext.subarray(offset, end), end === plaintext.length));
    offset = end;
  } while (offset < plaintext.length);
  return concatBytes(...parts);
}

/**
 * The plaintext of a whole blob. Refuses (AuthenticationError) a blob with a chunk that does not
 * authenticate, bytes after the FINAL chunk, or no FINAL chunk at all.
 */
export async function decryptAttachment(key: Uint8Array, blob: Uint8Array): Promise<Uint8Array> {
  checkBytes('blob', blob);
  if (blob.length < ATTACHMENT_HEADER_LENGTH + ATTACHMENT_CHUNK_OVERHEAD) {
    throw new AuthenticationError('attachment is too short to hold its last chunk');
  }
  const decryptor = await AttachmentDecryptor.create(
    key,
    blob.subarray(0, ATTACHMENT_HEADER_LENGTH),
  );
  const pieceLength = ATTACHMENT_CHUNK_LENGTH + ATTACHMENT_CHUNK_OVERHEAD;
  const parts: Uint8Array[] = [];
  try {
    for (let offset = ATTACHMENT_HEADER_LENGTH; offset < blob.length; offset += pieceLength) {
      parts.push(decryptor.decryptChunk(blob.subarray(offset, offset + pieceLength)));
    }
    decryptor.finish();
    return concatBytes(...parts);
  } finally {
    for (const part of parts) part.fill(0);
  }
}
