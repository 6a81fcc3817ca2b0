/**
 * The Double Ratchet's key derivation functions, with the choices recommended in
 * "The Double Ratchet Algorithm" (Signal, rev. 1) §5.2, except that messages are sealed with
 * XChaCha20-Poly1305 instead of AES-CBC + HMAC.
 */
import { utf8 } from '../encoding.js';
import { hkdfSha256, hmacSha256 } from '../primitives.js';

const ROOT_INFO = utf8('Hearth_Ratchet_Root_v1');
const MESSAGE_INFO = utf8('Hearth_Ratchet_Message_v1');
const ZERO_SALT = new Uint8Array(32);
/** §5.2: the message key is HMAC(ck, 0x01), the next chain key HMAC(ck, 0x02). */
const MESSAGE_KEY_CONSTANT = Uint8Array.of(0x01);
const CHAIN_KEY_CONSTANT = Uint8Array.of(0x02);

export interface RootStep {
  readonly rootKey: Uint8Array;
  readonly chainKey: Uint8Array;
}

export interface ChainStep {
  readonly chainKey: Uint8Array;
  readonly messageKey: Uint8Array;
}

export interface MessageCipherKeys {
  readonly key: Uint8Array;
  readonly nonce: Uint8Array;
}

/** §5.2 KDF_RK: HKDF-SHA256 with salt = rk, IKM = dh_out, 64 bytes split into (rk, ck). */
export function kdfRoot(rootKey: Uint8Array, dhOutput: Uint8Array): RootStep {
  const output = hkdfSha256(dhOutput, rootKey, ROOT_INFO, 64);
  return { rootKey: output.slice(0, 32), chainKey: output.slice(32, 64) };
}

/** §5.2 KDF_CK: HMAC-SHA256 keyed by the chain key over a single constant byte. */
export function kdfChain(chainKey: Uint8Array): ChainStep {
  return {
    messageKey: hmacSha256(chainKey, MESSAGE_KEY_CONSTANT),
    chainKey: hmacSha256(chainKey, CHAIN_KEY_CONSTANT),
  };
}

/**
 * §5.2 ENCRYPT, adapted to XChaCha20-Poly1305: HKDF-SHA256(salt = 0^32, IKM = mk,
 * info = "Hearth_Ratchet_Message_v1", L = 56) gives a 32-byte key and a 24-byte nonce. A message
 * key seals exactly one message, so the derived nonce is never reused under its key.
 */
export function messageCipherKeys(messageKey: Uint8Array): MessageCipherKeys {
  const output = hkdfSha256(messageKey, ZERO_SALT, MESSAGE_INFO, 56);
  return { key: output.slice(0, 32), nonce: output.slice(32, 56) };
}
