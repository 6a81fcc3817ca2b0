/**
 * Byte encodings used on the wire (docs/protocol/e2ee.md, "Encodings").
 */
import { bytesToUtf8, utf8ToBytes } from '@noble/ciphers/utils.js';

import { MalformedInputError } from './errors.js';

/** Type byte for an X25519 public key, as in libsignal (`DJB_TYPE`). */
export const KEY_TYPE_X25519 = 0x05;
/** Type byte for an Ed25519 public key; Hearth's own constant. */
export const KEY_TYPE_ED25519 = 0xed;

/**
 * X3DH §2.2 Encode(PK): one type byte, then the 32-byte public key. Every place that signs or
 * hashes a public key uses this 33-byte form, so a key can never be read as the other curve's.
 */
export function encodePublicKey(type: number, publicKey: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + publicKey.length);
  out[0] = type;
  out.set(publicKey, 1);
  return out;
}

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function uint32BigEndian(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value, false);
  return out;
}

export function readUint32BigEndian(bytes: Uint8Array, offset: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(offset, false);
}

export function utf8(text: string): Uint8Array {
  return utf8ToBytes(text);
}

/** Only for authenticated or locally stored bytes: malformed UTF-8 becomes U+FFFD. */
export function fromUtf8(bytes: Uint8Array): string {
  return bytesToUtf8(bytes);
}

const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const BASE64URL_PATTERN = /^[A-Za-z0-9_-]*$/;

/** RFC 4648 §5 base64url without padding: the encoding of every byte string in Hearth JSON. */
export function toBase64Url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const chunk = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let c = 0; c < chars; c++) {
      out += BASE64URL_ALPHABET.charAt((chunk >> (18 - 6 * c)) & 63);
    }
  }
  return out;
}

/** Strict decoder: rejects padding, other alphabets and non-canonical trailing bits. */
export function fromBase64Url(text: string, what: string): Uint8Array {
  if (!BASE64URL_PATTERN.test(text) || text.length % 4 === 1) {
    throw new MalformedInputError(`${what} must be base64url without padding`);
  }
  const out = new Uint8Array(Math.floor((text.length * 6) / 8));
  let buffer = 0;
  let bits = 0;
  let index = 0;
  for (const char of text) {
    buffer = ((buffer << 6) | BASE64URL_ALPHABET.indexOf(char)) & 0xfff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[index++] = (buffer >> bits) & 0xff;
    }
  }
  if ((buffer & ((1 << bits) - 1)) !== 0) {
    throw new MalformedInputError(`${what} must be canonical base64url`);
  }
  return out;
}
