/**
 * End-to-end encrypted DMs (docs/protocol/e2ee.md) on @hearth/crypto's SessionManager.
 *
 * Keys are made on first use and published with `POST /api/v1/keys`; they stay in this
 * browser's IndexedDB, one database per account. A Double Ratchet message decrypts once, and a
 * sender cannot decrypt their own, so plaintexts are kept by message version: in memory for
 * rendering, and sealed in IndexedDB (DmHistory) for the next visit.
 */
import {
  encryptedMessageFromJson,
  encryptedMessageToJson,
  generateIdentityKeyPair,
  generateOneTimePrekeys,
  generateSignedPrekey,
  keyUploadToJson,
  nextPrekeyId,
  ONE_TIME_PREKEY_LOW_WATER_MARK,
  oneTimePrekeysToGenerate,
  prekeyBundleFromJson,
  safetyNumber,
  SessionManager,
  type EncryptedMessageJson,
  type KeyStore,
  type SafetyNumber,
} from '@hearth/crypto';
import { IndexedDbKeyStore } from '@hearth/crypto/indexeddb';
import { create } from 'zustand';
import { api, call, type Message } from '../api/client';
import { DmHistory } from './dm-history';

interface E2eeState {
  /** DM partners whose identity key changed since it was last verified or accepted. */
  changedKeys: Record<string, true>;
  /** Decrypted or sent texts by message version (see versionKey). */
  plaintexts: Record<string, string>;
}

export const useE2ee = create<E2eeState>()(() => ({ changedKeys: {}, plaintexts: {} }));

function keepPlaintext(key: string, text: string): void {
  useE2ee.setState((s) => ({ plaintexts: { ...s.plaintexts, [key]: text } }));
}

export function markIdentityChanged(userId: string): void {
  useE2ee.setState((s) => ({ changedKeys: { ...s.changedKeys, [userId]: true } }));
}

export function acknowledgeIdentity(userId: string): void {
  useE2ee.setState((s) => {
    const { [userId]: _seen, ...rest } = s.changedKeys;
    return { changedKeys: rest };
  });
}

function fromBase64Url(text: string): Uint8Array {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

/** The text of a message version: its id and its ratchet header name it uniquely. */
export function versionKey(message: Pick<Message, 'id' | 'header'>): string {
  return `${message.id}:${message.header ?? ''}`;
}

export class DmCrypto {
  readonly #store: KeyStore;
  readonly #sessions: SessionManager;
  readonly #history: DmHistory;
  #ready: Promise<void> | null = null;

  constructor(store: KeyStore, history: DmHistory) {
    this.#store = store;
    this.#sessions = new SessionManager(store);
    this.#history = history;
  }

  static async open(userId: string): Promise<DmCrypto> {
    const [store, history] = await Promise.all([
      IndexedDbKeyStore.open({ databaseName: `hearth-keys-${userId}` }),
      DmHistory.open(userId),
    ]);
    return new DmCrypto(store, history);
  }

  /** X3DH §3.2: publish identity key, signed prekey and one-time prekeys, once per device. */
  ensureKeys(): Promise<void> {
    this.#ready ??= this.#publish().catch((error: unknown) => {
      this.#ready = null;
      throw error;
    });
    return this.#ready;
  }

  async #publish(): Promise<void> {
    let identity = await this.#store.getIdentityKeyPair();
    const signed = await this.#store.listSignedPrekeys();
    const held = await this.#store.listOneTimePrekeys();
    if (identity === undefined || signed.length === 0) {
      identity = generateIdentityKeyPair();
      const signedPrekey = generateSignedPrekey(identity, 1, Date.now());
      const oneTime = generateOneTimePrekeys(1, oneTimePrekeysToGenerate(0));
      await this.#store.putIdentityKeyPair(identity);
      await this.#store.putSignedPrekey(signedPrekey);
      await this.#store.putOneTimePrekeys(oneTime);
      const body = keyUploadToJson(identity.publicKey, signedPrekey, oneTime);
      await call(() =>
        api.POST('/api/v1/keys', {
          body: { ...body, one_time_prekeys: [...body.one_time_prekeys] },
        }),
      );
      return;
    }
    // Top up one-time prekeys when the node runs low (api.md "Keys").
    const count = await call(() => api.GET('/api/v1/keys/count'));
    if (count.one_time_prekeys >= ONE_TIME_PREKEY_LOW_WATER_MARK) return;
    const newest = signed.reduce((a, b) => (a.createdAt > b.createdAt ? a : b));
    const oneTime = generateOneTimePrekeys(
      nextPrekeyId(Math.max(0, ...held.map((p) => p.id))),
      oneTimePrekeysToGenerate(count.one_time_prekeys),
    );
    await this.#store.putOneTimePrekeys(oneTime);
    const body = keyUploadToJson(identity.publicKey, newest, oneTime);
    await call(() =>
      api.POST('/api/v1/keys', { body: { ...body, one_time_prekeys: [...body.one_time_prekeys] } }),
    );
  }

  async encrypt(peerId: string, text: string): Promise<EncryptedMessageJson> {
    await this.ensureKeys();
    if (!(await this.#sessions.hasSession(peerId))) {
      const bundle = await call(() =>
        api.GET('/api/v1/users/{user_id}/keys', { params: { path: { user_id: peerId } } }),
      );
      const { identityChange } = await this.#sessions.initiate(
        peerId,
        prekeyBundleFromJson(bundle),
      );
      if (identityChange) markIdentityChanged(peerId);
    }
    const message = await this.#sessions.encrypt(peerId, new TextEncoder().encode(text));
    return encryptedMessageToJson(message);
  }

  /** Remembers the text of a message this device sent, also for later visits. */
  async remember(message: Message, text: string): Promise<void> {
    keepPlaintext(versionKey(message), text);
    await this.#history.put(message, text);
  }

  /** Forgets a deleted message's text on this device. */
  async forget(messageId: string): Promise<void> {
    await this.#history.forget(messageId);
  }

  /** Forgets the texts of expired messages; run at sign-in. */
  async forgetExpired(): Promise<void> {
    await this.#history.forgetExpired();
  }

  /** The text of an encrypted message, or null when this device cannot read it. */
  async decrypt(message: Message, self: string): Promise<string | null> {
    const key = versionKey(message);
    const known = useE2ee.getState().plaintexts[key];
    if (known !== undefined) return known;
    const kept = await this.#history.get(message);
    if (kept !== undefined) {
      keepPlaintext(key, kept);
      return kept;
    }
    if (message.author_id === self || message.ciphertext === null) return null;
    try {
      const encrypted = encryptedMessageFromJson({
        version: 1,
        ciphertext: message.ciphertext,
        header: message.header,
        initial: message.initial,
      });
      const { plaintext, identityChange } = await this.#sessions.decrypt(
        message.author_id,
        encrypted,
      );
      if (identityChange) markIdentityChanged(message.author_id);
      const text = new TextDecoder().decode(plaintext);
      keepPlaintext(key, text);
      await this.#history.put(message, text);
      return text;
    } catch {
      // Already decrypted by a concurrent call (the manager serialises per peer), or unreadable
      // on this device: keys of an earlier browser profile, or a message sent before it existed.
      return useE2ee.getState().plaintexts[key] ?? null;
    }
  }

  /** The safety number of this device's identity and the peer's current one (e2ee.md). */
  async safetyNumber(
    self: { userId: string; stableId: string },
    peer: { userId: string; stableId: string },
  ): Promise<SafetyNumber> {
    await this.ensureKeys();
    const identity = await this.#store.getIdentityKeyPair();
    const published = await call(() =>
      api.GET('/api/v1/users/{user_id}/identity-key', {
        params: { path: { user_id: peer.userId } },
      }),
    );
    if (identity === undefined) throw new Error('no identity key on this device');
    return safetyNumber(
      { userId: self.stableId, identityKey: identity.publicKey },
      { userId: peer.stableId, identityKey: fromBase64Url(published.identity_key) },
    );
  }
}
