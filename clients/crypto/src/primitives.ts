/**
 * Thin wrappers over the audited noble libraries. Nothing here implements a primitive: each
 * function pins the options Hearth relies on (strict Ed25519 verification, low-order rejection
 * in X25519) and turns library exceptions into this package's errors.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { randomBytes as systemRandomBytes } from '@noble/hashes/utils.js';

import { AuthenticationError } from './errors.js';

/** A source of random bytes; tests and vector generation pass a deterministic one. */
export type RandomBytes = (length: number) => Uint8Array;

/** The platform CSPRNG (`crypto.getRandomValues`). */
export const secureRandomBytes: RandomBytes = (length) => systemRandomBytes(length);

export interface X25519KeyPair {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

export function x25519KeyPair(random: RandomBytes): X25519KeyPair {
  const secretKey = random(32);
  return { secretKey, publicKey: x25519.getPublicKey(secretKey) };
}

export function x25519PublicKey(secretKey: Uint8Array): Uint8Array {
  return x25519.getPublicKey(secretKey);
}

/**
 * X25519 (RFC 7748 §5). noble refuses low-order public keys (an all-zero shared secret, the
 * check RFC 7748 §6.1 describes); the refusal surfaces as an AuthenticationError because such a
 * key can only come from a malicious peer.
 */
export function diffieHellman(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  try {
    return x25519.getSharedSecret(secretKey, publicKey);
  } catch {
    throw new AuthenticationError('peer public key is of low order');
  }
}

export function ed25519PublicKey(secretKey: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(secretKey);
}

export function ed25519Sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  return ed25519.sign(message, secretKey);
}

/**
 * RFC 8032 §5.1.7 verification with the strict (non-ZIP-215) rules, matching libsodium's
 * `crypto_sign_verify_detached` that the node uses through PyNaCl.
 */
export function ed25519Verify(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

/** Birational map Edwards → Montgomery, as libsodium `crypto_sign_ed25519_pk_to_curve25519`. */
export function ed25519PublicToX25519(publicKey: Uint8Array): Uint8Array {
  return ed25519.utils.toMontgomery(publicKey);
}

/** SHA-512 of the seed, first 32 bytes, clamped: libsodium `crypto_sign_ed25519_sk_to_curve25519`. */
export function ed25519SecretToX25519(secretKey: Uint8Array): Uint8Array {
  return ed25519.utils.toMontgomerySecret(secretKey);
}

export function hkdfSha256(
  inputKeyMaterial: Uint8Array,
  salt: Uint8Array,
  info: Uint8Array,
  length: number,
): Uint8Array {
  return hkdf(sha256, inputKeyMaterial, salt, info, length);
}

export function hmacSha256(key: Uint8Array, message: Uint8Array): Uint8Array {
  return hmac(sha256, key, message);
}

export function sha512Digest(message: Uint8Array): Uint8Array {
  return sha512(message);
}

export function aeadSeal(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  associatedData: Uint8Array,
): Uint8Array {
  return xchacha20poly1305(key, nonce, associatedData).encrypt(plaintext);
}

export function aeadOpen(
  key: Uint8Array,
  nonce: Uint8Array,
  ciphertext: Uint8Array,
  associatedData: Uint8Array,
  what: string,
): Uint8Array {
  try {
    return xchacha20poly1305(key, nonce, associatedData).decrypt(ciphertext);
  } catch {
    throw new AuthenticationError(`${what} failed authentication`);
  }
}

export { equalBytes as constantTimeEqual } from '@noble/curves/utils.js';
