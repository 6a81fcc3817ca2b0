/**
 * Two parties of a Double Ratchet conversation, started the way a session starts them
 * (RatchetInitAlice / RatchetInitBob from one shared secret), for tests of the ratchet alone.
 */
import { randomBytes } from '@noble/hashes/utils.js';
import { x25519 } from '@noble/curves/ed25519.js';

import { initReceiverState, initSenderState, type RatchetState } from '../../src/index.js';

export const AD = new Uint8Array(66).fill(0xad);

export function ratchetPair(): { alice: RatchetState; bob: RatchetState } {
  const sharedSecret = randomBytes(32);
  const bobKey = x25519.keygen();
  return {
    alice: initSenderState(sharedSecret, bobKey.publicKey),
    bob: initReceiverState(sharedSecret, bobKey),
  };
}

export const text = (value: string): Uint8Array => new TextEncoder().encode(value);
export const read = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
