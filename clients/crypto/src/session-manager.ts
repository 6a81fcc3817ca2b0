/**
 * Pairwise sessions kept in a KeyStore: the part of the protocol a client calls. It decides when
 * an incoming X3DH initial message starts a new session (replacing whatever session was there:
 * the way a peer that lost its state, or reinstalled, re-initialises), consumes one-time
 * prekeys, refuses replayed initial messages and reports identity key changes.
 *
 * Operations on one peer are run one after another, so two messages decrypted concurrently
 * cannot both start from the same stored state. That holds within one SessionManager; a store
 * shared by several (for example several browser tabs) needs one owner.
 */
import type { PrekeyBundle } from './bundle.js';
import type { EncryptedMessage } from './encrypted-message.js';
import { DuplicateMessageError, MissingKeyError, NoSessionError } from './errors.js';
import { identityKeyStatus, type IdentityKeyPair } from './identity.js';
import type { KeyStore } from './keystore/key-store.js';
import { constantTimeEqual, secureRandomBytes, type RandomBytes } from './primitives.js';
import {
  createInitiatorSession,
  createResponderSession,
  sessionDecrypt,
  sessionEncrypt,
  type Session,
} from './session.js';
import { checkBytes, checkNonEmptyString } from './validate.js';
import type { InitialMessage } from './x3dh.js';

/** A peer presented an identity key different from the one accepted before. */
export interface IdentityChange {
  readonly previous: Uint8Array;
  readonly current: Uint8Array;
}

export interface DecryptedMessage {
  readonly plaintext: Uint8Array;
  /** Set when this message started a session under a new identity key for the peer. */
  readonly identityChange: IdentityChange | null;
}

export interface SessionManagerOptions {
  readonly random?: RandomBytes;
}

function continuesSession(session: Session, initial: InitialMessage): boolean {
  return (
    constantTimeEqual(session.baseKey, initial.ephemeralKey) &&
    constantTimeEqual(session.peerIdentityKey, initial.identityKey)
  );
}

export class SessionManager {
  readonly #store: KeyStore;
  readonly #random: RandomBytes;
  readonly #queues = new Map<string, Promise<unknown>>();

  constructor(store: KeyStore, options: SessionManagerOptions = {}) {
    this.#store = store;
    this.#random = options.random ?? secureRandomBytes;
  }

  /** Starts a session from a bundle fetched from the node, replacing any existing one. */
  async initiate(
    peerId: string,
    bundle: PrekeyBundle,
  ): Promise<{ identityChange: IdentityChange | null }> {
    checkNonEmptyString('peerId', peerId);
    return await this.#serialize(peerId, async () => {
      const session = createInitiatorSession(await this.#identity(), bundle, this.#random);
      const identityChange = await this.#acceptPeerIdentity(peerId, bundle.identityKey);
      await this.#store.putSession(peerId, session);
      return { identityChange };
    });
  }

  async encrypt(peerId: string, plaintext: Uint8Array): Promise<EncryptedMessage> {
    checkNonEmptyString('peerId', peerId);
    checkBytes('plaintext', plaintext);
    return await this.#serialize(peerId, async () => {
      const result = sessionEncrypt(await this.#session(peerId), plaintext);
      await this.#store.putSession(peerId, result.session);
      return result.message;
    });
  }

  async decrypt(peerId: string, message: EncryptedMessage): Promise<DecryptedMessage> {
    checkNonEmptyString('peerId', peerId);
    return await this.#serialize(peerId, async () => {
      const existing = await this.#store.getSession(peerId);
      const initial = message.initialMessage;
      if (initial === null || (existing !== undefined && continuesSession(existing, initial))) {
        if (existing === undefined) throw new NoSessionError(`no session with ${peerId}`);
        const result = sessionDecrypt(existing, message, this.#random);
        await this.#store.putSession(peerId, result.session);
        return { plaintext: result.plaintext, identityChange: null };
      }
      return this.#acceptInitialMessage(peerId, initial, message);
    });
  }

  async hasSession(peerId: string): Promise<boolean> {
    return (await this.#store.getSession(checkNonEmptyString('peerId', peerId))) !== undefined;
  }

  /**
   * X3DH §3.4 on the responder's side. Nothing is stored unless the first message decrypts, so
   * a forged initial message can neither replace a session nor burn a one-time prekey.
   */
  async #acceptInitialMessage(
    peerId: string,
    initial: InitialMessage,
    message: EncryptedMessage,
  ): Promise<DecryptedMessage> {
    if (await this.#store.hasAcceptedBaseKey(initial.signedPrekeyId, initial.ephemeralKey)) {
      throw new DuplicateMessageError('initial message was already accepted');
    }
    const signedPrekey = await this.#store.getSignedPrekey(initial.signedPrekeyId);
    if (signedPrekey === undefined) {
      throw new MissingKeyError(`signed prekey ${initial.signedPrekeyId} is not held here`);
    }
    const oneTimePrekey =
      initial.oneTimePrekeyId === null
        ? null
        : await this.#store.getOneTimePrekey(initial.oneTimePrekeyId);
    if (oneTimePrekey === undefined) {
      throw new MissingKeyError(`one-time prekey ${initial.oneTimePrekeyId} is not held here`);
    }
    const fresh = createResponderSession(
      await this.#identity(),
      signedPrekey,
      oneTimePrekey,
      initial,
    );
    const result = sessionDecrypt(fresh, message, this.#random);
    await this.#store.addAcceptedBaseKey(signedPrekey.id, initial.ephemeralKey);
    if (oneTimePrekey !== null) await this.#store.deleteOneTimePrekey(oneTimePrekey.id);
    const identityChange = await this.#acceptPeerIdentity(peerId, initial.identityKey);
    await this.#store.putSession(peerId, result.session);
    return { plaintext: result.plaintext, identityChange };
  }

  async #acceptPeerIdentity(
    peerId: string,
    identityKey: Uint8Array,
  ): Promise<IdentityChange | null> {
    const known = await this.#store.getPeerIdentityKey(peerId);
    const status = identityKeyStatus(known, identityKey);
    if (status === 'unchanged') return null;
    await this.#store.putPeerIdentityKey(peerId, identityKey);
    return status === 'changed' && known !== undefined
      ? { previous: known, current: identityKey.slice() }
      : null;
  }

  async #identity(): Promise<IdentityKeyPair> {
    const identity = await this.#store.getIdentityKeyPair();
    if (identity === undefined) throw new MissingKeyError('key store holds no identity key pair');
    return identity;
  }

  async #session(peerId: string): Promise<Session> {
    const session = await this.#store.getSession(peerId);
    if (session === undefined) throw new NoSessionError(`no session with ${peerId}`);
    return session;
  }

  #serialize<T>(peerId: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(peerId) ?? Promise.resolve();
    const run = previous.then(task);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.#queues.set(peerId, settled);
    void settled.then(() => {
      if (this.#queues.get(peerId) === settled) this.#queues.delete(peerId);
    });
    return run;
  }
}
