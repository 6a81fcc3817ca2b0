/**
 * A device as a client has one: a key store holding an identity key, a signed prekey and a
 * batch of one-time prekeys, and a SessionManager over that store. `bundle()` plays the node's
 * part of handing out one bundle and consuming the one-time prekey it contains.
 */
import {
  generateIdentityKeyPair,
  generateOneTimePrekeys,
  generateSignedPrekey,
  MemoryKeyStore,
  SessionManager,
  type IdentityKeyPair,
  type KeyStore,
  type OneTimePrekey,
  type PrekeyBundle,
  type SignedPrekey,
} from '../../src/index.js';

export interface Device {
  readonly userId: string;
  readonly store: KeyStore;
  readonly identity: IdentityKeyPair;
  readonly signedPrekey: SignedPrekey;
  readonly manager: SessionManager;
  /** One-time prekeys not yet handed out, as the node would hold them. */
  readonly published: OneTimePrekey[];
  bundle(options?: { withOneTimePrekey?: boolean }): PrekeyBundle;
}

export async function createDevice(
  userId: string,
  options: { identity?: IdentityKeyPair; store?: KeyStore } = {},
): Promise<Device> {
  const store = options.store ?? new MemoryKeyStore();
  const identity = options.identity ?? generateIdentityKeyPair();
  const signedPrekey = generateSignedPrekey(identity, 1, Date.now());
  const published = generateOneTimePrekeys(1, 5);
  await store.putIdentityKeyPair(identity);
  await store.putSignedPrekey(signedPrekey);
  await store.putOneTimePrekeys(published);
  return {
    userId,
    store,
    identity,
    signedPrekey,
    published,
    manager: new SessionManager(store),
    bundle({ withOneTimePrekey = true } = {}) {
      const oneTimePrekey = withOneTimePrekey ? (published.shift() ?? null) : null;
      return { identityKey: identity.publicKey, signedPrekey, oneTimePrekey };
    },
  };
}
