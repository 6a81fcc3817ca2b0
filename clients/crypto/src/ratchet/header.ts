/**
 * The Double Ratchet message header (§3.1 HEADER(dh_pair, pn, n)) in its fixed 41-byte encoding:
 *
 *     version (1 byte, 0x01) || dh (32, X25519 public key) || pn (uint32_be) || n (uint32_be)
 *
 * The header travels in clear and is authenticated as part of the AEAD associated data (§3.4).
 */
import { concatBytes, readUint32BigEndian, uint32BigEndian } from '../encoding.js';
import { MalformedInputError } from '../errors.js';
import { checkBytes, checkUint32 } from '../validate.js';

export const HEADER_VERSION = 0x01;
export const HEADER_LENGTH = 41;

export interface MessageHeader {
  /** The sender's current ratchet public key. */
  readonly dh: Uint8Array;
  /** Number of messages in the sender's previous sending chain. */
  readonly pn: number;
  /** Number of this message in the sender's current sending chain. */
  readonly n: number;
}

export function encodeHeader(header: MessageHeader): Uint8Array {
  checkBytes('header.dh', header.dh, 32);
  checkUint32('header.pn', header.pn);
  checkUint32('header.n', header.n);
  return concatBytes(
    Uint8Array.of(HEADER_VERSION),
    header.dh,
    uint32BigEndian(header.pn),
    uint32BigEndian(header.n),
  );
}

export function decodeHeader(bytes: Uint8Array): MessageHeader {
  checkBytes('header', bytes);
  if (bytes.length !== HEADER_LENGTH) {
    throw new MalformedInputError(`header must be ${HEADER_LENGTH} bytes`);
  }
  if (bytes[0] !== HEADER_VERSION) {
    throw new MalformedInputError(`header version must be ${HEADER_VERSION}`);
  }
  return {
    dh: bytes.slice(1, 33),
    pn: readUint32BigEndian(bytes, 33),
    n: readUint32BigEndian(bytes, 37),
  };
}
