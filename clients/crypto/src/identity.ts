/**
 * The long-term identity key: Ed25519, with its X25519 form for X3DH.
 *
 * X3DH uses the identity key both to sign (§2.2, Sig) and for Diffie-Hellman (§3.3, DH1 and
 * DH2). Signal does this with XEdDSA over a Montgomery key; Hearth keeps an Ed25519 key (so the
 * node can verify signatures with plain libsodium) and derives the X25519 form with the
 * birational map (RFC 7748 §4.1), exactly as libsodium's `crypto_sign_ed25519_pk_to_curve25519`
 * and `crypto_sign_ed25519_sk_to_curve25519` do. See e2ee.md, "Identity keys".
 */
import { InvalidArgumentError } from './errors.js';
import {
  constantTimeEqual,
  ed25519PublicKey,
  ed25519PublicToX25519,
  ed25519SecretToX25519,
  secureRandomBytes,
  type RandomBytes,
} from './primitives.js';
import { checkBytes } from './validate.js';

export interface IdentityKeyPair {
  /** Ed25519 public key (32 bytes). */
  readonly publicKey: Uint8Array;
  /** Ed25519 secret key: the 32-byte seed of RFC 8032 §5.1.5. */
  readonly secretKey: Uint8Array;
}

export function generateIdentityKeyPair(random: RandomBytes = secureRandomBytes): IdentityKeyPair {
  return identityKeyPairFromSeed(random(32));
}

export function identityKeyPairFromSeed(seed: Uint8Array): IdentityKeyPair {
  checkBytes('seed', seed, 32);
  return { publicKey: ed25519PublicKey(seed), secretKey: seed.slice() };
}

/** The X25519 public key used in X3DH DH1/DH2 for this identity key. */
export function identityKeyToX25519(identityKey: Uint8Array): Uint8Array {
  checkBytes('identityKey', identityKey, 32);
  try {
    return ed25519PublicToX25519(identityKey);
  } catch {
    throw new InvalidArgumentError('identityKey is not a valid Ed25519 public key');
  }
}

/** The X25519 secret key matching {@link identityKeyToX25519} of the same pair. */
export function identitySecretKeyToX25519(identitySecretKey: Uint8Array): Uint8Array {
  checkBytes('identitySecretKey', identitySecretKey, 32);
  return ed25519SecretToX25519(identitySecretKey);
}

/**
 * What a newly presented identity key means for a conversation, compared with the one this
 * device saw before: `first-use` (nothing known yet, trust on first use), `unchanged`, or
 * `changed`. A `changed` key changes the safety number and must be shown to the user.
 */
export type IdentityKeyStatus = 'first-use' | 'unchanged' | 'changed';

export function identityKeyStatus(
  knownIdentityKey: Uint8Array | undefined,
  presentedIdentityKey: Uint8Array,
): IdentityKeyStatus {
  checkBytes('presentedIdentityKey', presentedIdentityKey, 32);
  if (knownIdentityKey === undefined) return 'first-use';
  checkBytes('knownIdentityKey', knownIdentityKey, 32);
  return constantTimeEqual(knownIdentityKey, presentedIdentityKey) ? 'unchanged' : 'changed';
}
