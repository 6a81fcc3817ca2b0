/**
 * Where a device keeps its secrets: its identity key pair, prekeys, sessions and the identity
 * keys it has seen for its peers. Every method returns fresh objects; callers may not assume
 * that two reads share anything.
 *
 * Implementations: MemoryKeyStore (tests, short-lived processes) and, for browsers,
 * IndexedDbKeyStore from `@hearth/crypto/indexeddb`.
 */
import type { IdentityKeyPair } from '../identity.js';
import type { OneTimePrekey, SignedPrekey } from '../prekeys.js';
import type { Session } from '../session.js';

export interface KeyStore {
  getIdentityKeyPair(): Promise<IdentityKeyPair | undefined>;
  putIdentityKeyPair(identity: IdentityKeyPair): Promise<void>;

  getSignedPrekey(id: number): Promise<SignedPrekey | undefined>;
  listSignedPrekeys(): Promise<SignedPrekey[]>;
  putSignedPrekey(prekey: SignedPrekey): Promise<void>;
  /** Deletes the prekey and forgets the X3DH base keys accepted under it. */
  deleteSignedPrekey(id: number): Promise<void>;

  getOneTimePrekey(id: number): Promise<OneTimePrekey | undefined>;
  listOneTimePrekeys(): Promise<OneTimePrekey[]>;
  putOneTimePrekeys(prekeys: readonly OneTimePrekey[]): Promise<void>;
  deleteOneTimePrekey(id: number): Promise<void>;

  /**
   * Ephemeral keys of X3DH initial messages already accepted under a signed prekey, so that a
   * replayed initial message without a one-time prekey is refused (X3DH §4.2).
   */
  hasAcceptedBaseKey(signedPrekeyId: number, baseKey: Uint8Array): Promise<boolean>;
  addAcceptedBaseKey(signedPrekeyId: number, baseKey: Uint8Array): Promise<void>;

  getSession(peerId: string): Promise<Session | undefined>;
  putSession(peerId: string, session: Session): Promise<void>;
  deleteSession(peerId: string): Promise<void>;

  /** The identity key last accepted for a peer: the basis of changed-key warnings. */
  getPeerIdentityKey(peerId: string): Promise<Uint8Array | undefined>;
  putPeerIdentityKey(peerId: string, identityKey: Uint8Array): Promise<void>;
}
