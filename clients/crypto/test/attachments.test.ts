/**
 * Encrypted attachments (docs/protocol/files.md, "Encrypted attachments"), including the
 * committed vectors in docs/protocol/vectors/files/secretstream.json that the node's Python
 * tests read too. The header is random, so the vectors are checked by decrypting.
 */
import { readFileSync } from 'node:fs';

import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import sodium from 'libsodium-wrappers';
import { describe, expect, it } from 'vitest';

import {
  ATTACHMENT_CHUNK_LENGTH,
  ATTACHMENT_CHUNK_OVERHEAD,
  ATTACHMENT_HEADER_LENGTH,
  ATTACHMENT_KEY_LENGTH,
  AttachmentDecryptor,
  AttachmentEncryptor,
  AuthenticationError,
  decryptAttachment,
  encryptAttachment,
  InvalidArgumentError,
  MalformedInputError,
  newAttachmentKey,
} from '../src/index.js';
import { concatBytes, fromBase64Url } from '../src/encoding.js';
import { flipBit } from './support/bits.js';
import { hex, unhex } from './support/hex.js';

const CHUNK = ATTACHMENT_CHUNK_LENGTH;
const PIECE = ATTACHMENT_CHUNK_LENGTH + ATTACHMENT_CHUNK_OVERHEAD;

/** The vectors' plaintexts: byte i is i mod 251. */
function pattern(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => i % 251);
}

function expectedBlobLength(plaintextLength: number): number {
  const chunks = Math.max(1, Math.ceil(plaintextLength / CHUNK));
  return ATTACHMENT_HEADER_LENGTH + plaintextLength + chunks * ATTACHMENT_CHUNK_OVERHEAD;
}

interface VectorCase {
  name: string;
  key: string;
  plaintext_length: number;
  blob_length: number;
  file_id: string;
  blob: string;
}

interface InvalidCase {
  name: string;
  case: string;
  truncate_to?: number;
  flip_byte?: number;
  append_hex?: string;
}

const vectors = JSON.parse(
  readFileSync(
    new URL('../../../docs/protocol/vectors/files/secretstream.json', import.meta.url),
    'utf8',
  ),
) as { cases: VectorCase[]; invalid: InvalidCase[] };

function vectorCase(name: string): VectorCase {
  const found = vectors.cases.find((c) => c.name === name);
  if (found === undefined) throw new Error(`no vector case named ${name}`);
  return found;
}

/** The key and the altered blob an invalid case describes. */
function altered(change: InvalidCase): [Uint8Array, Uint8Array] {
  const source = vectorCase(change.case);
  let blob: Uint8Array = fromBase64Url(source.blob, 'blob').slice(0, change.truncate_to);
  if (change.flip_byte !== undefined) blob = flipBit(blob, 8 * change.flip_byte);
  return [unhex(source.key), concatBytes(blob, unhex(change.append_hex ?? ''))];
}

describe('secretstream.json', () => {
  it.each(vectors.cases.map((c) => [c.name, c] as const))(
    '%s decrypts to its plaintext',
    async (_name, vector) => {
      const blob = fromBase64Url(vector.blob, 'blob');
      expect(blob.length).toBe(vector.blob_length);
      expect(blob.length).toBe(expectedBlobLength(vector.plaintext_length));
      expect(hex(sha256(blob))).toBe(vector.file_id);
      const plaintext = await decryptAttachment(unhex(vector.key), blob);
      expect(hex(plaintext)).toBe(hex(pattern(vector.plaintext_length)));
    },
  );

  it.each(vectors.invalid.map((c) => [c.name, c] as const))(
    '%s is refused',
    async (_name, change) => {
      await expect(decryptAttachment(...altered(change))).rejects.toThrow(AuthenticationError);
    },
  );
});

describe('attachment encryption', () => {
  it('uses the sizes and tags the format documents', async () => {
    await sodium.ready;
    expect(ATTACHMENT_KEY_LENGTH).toBe(sodium.crypto_secretstream_xchacha20poly1305_KEYBYTES);
    expect(ATTACHMENT_HEADER_LENGTH).toBe(sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES);
    expect(ATTACHMENT_CHUNK_OVERHEAD).toBe(sodium.crypto_secretstream_xchacha20poly1305_ABYTES);
    expect(sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE).toBe(0);
    expect(sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL).toBe(3);

    const key = await newAttachmentKey();
    const blob = await encryptAttachment(key, pattern(2 * CHUNK + 1));
    const state = sodium.crypto_secretstream_xchacha20poly1305_init_pull(
      blob.subarray(0, ATTACHMENT_HEADER_LENGTH),
      key,
    );
    const tags = [0, 1, 2].map((i) => {
      const start = ATTACHMENT_HEADER_LENGTH + i * PIECE;
      const opened = sodium.crypto_secretstream_xchacha20poly1305_pull(
        state,
        blob.subarray(start, start + PIECE),
        null,
      );
      if (opened === false) throw new Error(`chunk ${i} does not authenticate`);
      return opened.tag;
    });
    expect(tags).toEqual([0, 0, 3]);
  });

  it('round-trips files of any length, at the documented blob size', async () => {
    const key = await newAttachmentKey();
    expect(key.length).toBe(32);
    const lengths = fc.oneof(
      fc.constantFrom(0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK),
      fc.integer({ min: 0, max: 3 * CHUNK + 5 }),
    );
    await fc.assert(
      fc.asyncProperty(lengths, async (length) => {
        const plaintext = pattern(length);
        const blob = await encryptAttachment(key, plaintext);
        expect(blob.length).toBe(expectedBlobLength(length));
        expect(hex(await decryptAttachment(key, blob))).toBe(hex(plaintext));
      }),
      { numRuns: 20 },
    );
  });

  it('gives a new header, so a new blob, each time', async () => {
    const key = await newAttachmentKey();
    const first = await encryptAttachment(key, pattern(10));
    const second = await encryptAttachment(key, pattern(10));
    expect(hex(first.subarray(0, ATTACHMENT_HEADER_LENGTH))).not.toBe(
      hex(second.subarray(0, ATTACHMENT_HEADER_LENGTH)),
    );
    expect(await newAttachmentKey()).not.toEqual(key);
  });

  it('refuses a blob cut short, at a chunk boundary or inside a chunk', async () => {
    const key = await newAttachmentKey();
    const blob = await encryptAttachment(key, pattern(2 * CHUNK + 100));
    for (const boundary of [
      ATTACHMENT_HEADER_LENGTH + PIECE,
      ATTACHMENT_HEADER_LENGTH + 2 * PIECE,
    ]) {
      await expect(decryptAttachment(key, blob.slice(0, boundary))).rejects.toThrow(
        new AuthenticationError('attachment ends before its last chunk: it was cut short'),
      );
    }
    for (const length of [blob.length - 1, ATTACHMENT_HEADER_LENGTH + 16, 0]) {
      await expect(decryptAttachment(key, blob.slice(0, length))).rejects.toThrow(
        AuthenticationError,
      );
    }
  });

  it('refuses a tampered blob, a FINAL chunk that is not last, and the wrong key', async () => {
    const key = await newAttachmentKey();
    const blob = await encryptAttachment(key, pattern(CHUNK + 50));
    for (const index of [0, ATTACHMENT_HEADER_LENGTH + 5, blob.length - 1]) {
      const tampered = flipBit(blob, 8 * index + 7);
      await expect(decryptAttachment(key, tampered)).rejects.toThrow(AuthenticationError);
    }

    const oneChunk = await encryptAttachment(key, pattern(CHUNK));
    const extended = new Uint8Array(oneChunk.length + ATTACHMENT_CHUNK_OVERHEAD);
    extended.set(oneChunk);
    await expect(decryptAttachment(key, extended)).rejects.toThrow(
      'attachment has bytes after its last chunk',
    );

    await expect(decryptAttachment(await newAttachmentKey(), blob)).rejects.toThrow(
      AuthenticationError,
    );
  });

  it('refuses chunks whose tag the format does not use', async () => {
    await sodium.ready;
    const key = await newAttachmentKey();
    const { state, header } = sodium.crypto_secretstream_xchacha20poly1305_init_push(key);
    const rekeyed = sodium.crypto_secretstream_xchacha20poly1305_push(
      state,
      pattern(3),
      null,
      sodium.crypto_secretstream_xchacha20poly1305_TAG_REKEY,
    );
    const decryptor = await AttachmentDecryptor.create(key, header);
    expect(() => decryptor.decryptChunk(rekeyed)).toThrow(MalformedInputError);
  });

  it('streams chunk by chunk into the same format', async () => {
    const key = await newAttachmentKey();
    const plaintext = pattern(CHUNK + 7);
    const encryptor = await AttachmentEncryptor.create(key);
    const header = encryptor.header;
    const first = encryptor.encryptChunk(plaintext.subarray(0, CHUNK), false);
    const last = encryptor.encryptChunk(plaintext.subarray(CHUNK), true);
    expect(() => encryptor.encryptChunk(new Uint8Array(0), true)).toThrow(
      'the last chunk was already encrypted',
    );
    expect(hex(await decryptAttachment(key, concatBytes(header, first, last)))).toBe(
      hex(plaintext),
    );

    const decryptor = await AttachmentDecryptor.create(key, header);
    expect(hex(decryptor.decryptChunk(first))).toBe(hex(plaintext.subarray(0, CHUNK)));
    expect(decryptor.done).toBe(false);
    expect(() => {
      decryptor.finish();
    }).toThrow(AuthenticationError);
    expect(hex(decryptor.decryptChunk(last))).toBe(hex(plaintext.subarray(CHUNK)));
    expect(decryptor.done).toBe(true);
    decryptor.finish();
  });

  it('checks its arguments with labelled errors', async () => {
    const key = await newAttachmentKey();
    await expect(encryptAttachment(new Uint8Array(31), pattern(1))).rejects.toThrow(
      new InvalidArgumentError('key must be 32 bytes'),
    );
    await expect(encryptAttachment(key, 'text' as unknown as Uint8Array)).rejects.toThrow(
      new InvalidArgumentError('plaintext must be a Uint8Array'),
    );
    await expect(decryptAttachment(key, [] as unknown as Uint8Array)).rejects.toThrow(
      new InvalidArgumentError('blob must be a Uint8Array'),
    );
    await expect(AttachmentDecryptor.create(key, new Uint8Array(23))).rejects.toThrow(
      new InvalidArgumentError('header must be 24 bytes'),
    );
    const encryptor = await AttachmentEncryptor.create(key);
    expect(() => encryptor.encryptChunk(new Uint8Array(CHUNK - 1), false)).toThrow(
      new InvalidArgumentError('chunk must be 65536 bytes unless it is the last'),
    );
    expect(() => encryptor.encryptChunk(new Uint8Array(CHUNK + 1), true)).toThrow(
      new InvalidArgumentError('chunk must be at most 65536 bytes'),
    );
    const decryptor = await AttachmentDecryptor.create(key, encryptor.header);
    expect(() => decryptor.decryptChunk(new Uint8Array(PIECE + 1))).toThrow(
      new InvalidArgumentError('piece must be at most 65553 bytes'),
    );
  });

  it('returns fresh arrays that do not alias its input', async () => {
    const key = await newAttachmentKey();
    const plaintext = pattern(100);
    const blob = await encryptAttachment(key, plaintext);
    const opened = await decryptAttachment(key, blob);
    expect(opened.buffer).not.toBe(blob.buffer);
    expect(opened.buffer).not.toBe(plaintext.buffer);
    expect(opened.byteLength).toBe(opened.buffer.byteLength);
    blob.fill(0);
    expect(opened).toEqual(plaintext);
  });
});
