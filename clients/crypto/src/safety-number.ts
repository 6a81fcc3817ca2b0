/**
 * Safety numbers: what two users compare to check that no one sits between them. The method is
 * Signal's NumericFingerprintGenerator (libsignal `fingerprint`), version 0:
 *
 *     h_0 = uint16_be(0) || Encode(IK) || UTF-8(userId)
 *     h_i = SHA-512(h_{i-1} || Encode(IK)),  i = 1 .. 5200
 *
 * with Encode(IK) = 0xED || Ed25519 public key. Each party's first 30 bytes of h_5200 give six
 * 5-digit groups (five bytes as a big-endian integer, mod 100000). The two parties are ordered
 * by their full hash (lexicographic, smaller first) so both devices show the same 60 digits.
 */
import {
  concatBytes,
  encodePublicKey,
  fromBase64Url,
  KEY_TYPE_ED25519,
  toBase64Url,
  utf8,
} from './encoding.js';
import { constantTimeEqual, sha512Digest } from './primitives.js';
import { checkBytes, checkNonEmptyString, checkString } from './validate.js';

export const SAFETY_NUMBER_ITERATIONS = 5200;
const FINGERPRINT_VERSION = Uint8Array.of(0x00, 0x00);
/** First byte of the QR payload; bump on any change of the layout below. */
export const SAFETY_NUMBER_QR_VERSION = 0x01;

export interface SafetyNumberParty {
  /** The stable user id, `username@node` (e.g. "alice@hearth.example"). */
  readonly userId: string;
  /** The user's Ed25519 identity key. */
  readonly identityKey: Uint8Array;
}

export interface SafetyNumber {
  /** 60 digits. */
  readonly digits: string;
  /** The same digits as 12 groups of 5, for display. */
  readonly groups: readonly string[];
  /**
   * 65 bytes: SAFETY_NUMBER_QR_VERSION || first 32 bytes of the smaller hash || first 32 bytes
   * of the larger one. Identical on both devices.
   */
  readonly qrPayload: Uint8Array;
  /** The QR code's text content: base64url (no padding) of `qrPayload`. */
  readonly qrText: string;
}

function partyHash(party: SafetyNumberParty, path: string): Uint8Array {
  checkNonEmptyString(`${path}.userId`, party.userId);
  checkBytes(`${path}.identityKey`, party.identityKey, 32);
  const key = encodePublicKey(KEY_TYPE_ED25519, party.identityKey);
  let hash = concatBytes(FINGERPRINT_VERSION, key, utf8(party.userId));
  for (let i = 0; i < SAFETY_NUMBER_ITERATIONS; i++) hash = sha512Digest(concatBytes(hash, key));
  return hash;
}

function digitGroups(hash: Uint8Array): string[] {
  const groups: string[] = [];
  for (let offset = 0; offset < 30; offset += 5) {
    const value = hash.slice(offset, offset + 5).reduce((acc, byte) => acc * 256 + byte, 0);
    groups.push(String(value % 100000).padStart(5, '0'));
  }
  return groups;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return a.length - b.length;
}

export function safetyNumber(local: SafetyNumberParty, remote: SafetyNumberParty): SafetyNumber {
  const hashes = [partyHash(local, 'local'), partyHash(remote, 'remote')].sort(compareBytes);
  const [first, second] = hashes as [Uint8Array, Uint8Array];
  const groups = [...digitGroups(first), ...digitGroups(second)];
  const qrPayload = concatBytes(
    Uint8Array.of(SAFETY_NUMBER_QR_VERSION),
    first.slice(0, 32),
    second.slice(0, 32),
  );
  return { digits: groups.join(''), groups, qrPayload, qrText: toBase64Url(qrPayload) };
}

/** True when a scanned QR text is this conversation's safety number (constant-time compare). */
export function matchesScannedSafetyNumber(ours: SafetyNumber, scannedText: string): boolean {
  checkBytes('ours.qrPayload', ours.qrPayload, 65);
  checkString('scannedText', scannedText);
  let scanned: Uint8Array;
  try {
    scanned = fromBase64Url(scannedText, 'scannedText');
  } catch {
    return false;
  }
  return scanned.length === 65 && constantTimeEqual(scanned, ours.qrPayload);
}
