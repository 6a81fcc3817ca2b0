/**
 * Signed prekeys and one-time prekeys (X3DH §2.4, §3.2).
 *
 * The signed prekey signature is Ed25519 (RFC 8032, pure, no prehash) by the identity key over
 *
 *     "Hearth_SignedPrekey_v1" (22 ASCII bytes) || uint32_be(prekey id) || 0x05 || public key (32)
 *
 * (59 bytes). The context string keeps these signatures apart from anything else the identity key
 * signs; the id binds the key to the number the bundle advertises. The node checks the same bytes
 * with PyNaCl: `VerifyKey(identity_key).verify(message, signature)`.
 */
import {
  encodePublicKey,
  concatBytes,
  KEY_TYPE_X25519,
  uint32BigEndian,
  utf8,
} from './encoding.js';
import type { IdentityKeyPair } from './identity.js';
import {
  ed25519Sign,
  ed25519Verify,
  secureRandomBytes,
  x25519KeyPair,
  type RandomBytes,
} from './primitives.js';
import { checkBytes, checkNonNegativeInteger, checkUint32 } from './validate.js';

const SIGNED_PREKEY_CONTEXT = utf8('Hearth_SignedPrekey_v1');

export interface SignedPrekey {
  readonly id: number;
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
  /** Ed25519 signature by the identity key over {@link signedPrekeySignedMessage}. */
  readonly signature: Uint8Array;
  /** Creation time, milliseconds since the Unix epoch; drives rotation. */
  readonly createdAt: number;
}

export interface OneTimePrekey {
  readonly id: number;
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

/** The exact bytes the identity key signs for a signed prekey. */
export function signedPrekeySignedMessage(id: number, publicKey: Uint8Array): Uint8Array {
  checkUint32('id', id);
  checkBytes('publicKey', publicKey, 32);
  return concatBytes(
    SIGNED_PREKEY_CONTEXT,
    uint32BigEndian(id),
    encodePublicKey(KEY_TYPE_X25519, publicKey),
  );
}

export function generateSignedPrekey(
  identity: IdentityKeyPair,
  id: number,
  createdAt: number,
  random: RandomBytes = secureRandomBytes,
): SignedPrekey {
  checkBytes('identity.secretKey', identity.secretKey, 32);
  checkUint32('id', id);
  checkNonNegativeInteger('createdAt', createdAt);
  const { secretKey, publicKey } = x25519KeyPair(random);
  const signature = ed25519Sign(identity.secretKey, signedPrekeySignedMessage(id, publicKey));
  return { id, publicKey, secretKey, signature, createdAt };
}

export function verifySignedPrekey(
  identityKey: Uint8Array,
  id: number,
  publicKey: Uint8Array,
  signature: Uint8Array,
): boolean {
  checkBytes('identityKey', identityKey, 32);
  checkBytes('signature', signature, 64);
  return ed25519Verify(identityKey, signedPrekeySignedMessage(id, publicKey), signature);
}

/**
 * A batch of one-time prekeys with consecutive ids from `firstId`, wrapping past 2^32 - 1 to 1
 * (id 0 is never used so that "no prekey" can never be mistaken for a real one).
 */
export function generateOneTimePrekeys(
  firstId: number,
  count: number,
  random: RandomBytes = secureRandomBytes,
): OneTimePrekey[] {
  checkUint32('firstId', firstId);
  checkNonNegativeInteger('count', count);
  const prekeys: OneTimePrekey[] = [];
  let id = firstId === 0 ? 1 : firstId;
  for (let i = 0; i < count; i++) {
    prekeys.push({ id, ...x25519KeyPair(random) });
    id = nextPrekeyId(id);
  }
  return prekeys;
}

export function nextPrekeyId(id: number): number {
  checkUint32('id', id);
  return id === 0xffffffff ? 1 : id + 1;
}
