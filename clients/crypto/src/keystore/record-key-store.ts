/**
 * A KeyStore over any byte-valued record storage. Both stores share this class so that they
 * store exactly the same JSON records and differ only in where the bytes go (and, for
 * IndexedDB, in wrapping them before they leave memory).
 */
import { fromUtf8, toBase64Url, utf8 } from '../encoding.js';
import type { IdentityKeyPair } from '../identity.js';
import { asObject, parseJsonText, readBytes } from '../json-fields.js';
import {
  identityFromJson,
  identityToJson,
  oneTimePrekeyFromJson,
  oneTimePrekeyToJson,
  signedPrekeyFromJson,
  signedPrekeyToJson,
} from '../key-material.js';
import type { OneTimePrekey, SignedPrekey } from '../prekeys.js';
import { sessionFromJson, sessionToJson, type Session } from '../session.js';
import { checkArray, checkBytes, checkNonEmptyString, checkUint32 } from '../validate.js';
import type { KeyStore } from './key-store.js';

export type RecordKind =
  | 'identity'
  | 'signed-prekey'
  | 'one-time-prekey'
  | 'accepted-base-key'
  | 'session'
  | 'peer-identity';

/** Byte storage addressed by (kind, key). */
export interface RecordBackend {
  get(kind: RecordKind, key: string): Promise<Uint8Array | undefined>;
  put(kind: RecordKind, key: string, value: Uint8Array): Promise<void>;
  delete(kind: RecordKind, key: string): Promise<void>;
  keys(kind: RecordKind): Promise<string[]>;
}

const IDENTITY_KEY = 'self';

function baseKeyRecordKey(signedPrekeyId: number, baseKey: Uint8Array): string {
  return `${signedPrekeyId}.${toBase64Url(baseKey)}`;
}

export class RecordKeyStore implements KeyStore {
  readonly #backend: RecordBackend;

  constructor(backend: RecordBackend) {
    this.#backend = backend;
  }

  async #readJson<T>(
    kind: RecordKind,
    key: string,
    parse: (value: unknown, path: string) => T,
  ): Promise<T | undefined> {
    const bytes = await this.#backend.get(kind, key);
    if (bytes === undefined) return undefined;
    const path = `${kind} record ${key}`;
    return parse(parseJsonText(fromUtf8(bytes), path), path);
  }

  async #writeJson(kind: RecordKind, key: string, value: unknown): Promise<void> {
    await this.#backend.put(kind, key, utf8(JSON.stringify(value)));
  }

  async #readAll<T>(kind: RecordKind, parse: (value: unknown, path: string) => T): Promise<T[]> {
    const values: T[] = [];
    for (const key of await this.#backend.keys(kind)) {
      const value = await this.#readJson(kind, key, parse);
      if (value !== undefined) values.push(value);
    }
    return values;
  }

  async getIdentityKeyPair(): Promise<IdentityKeyPair | undefined> {
    return await this.#readJson('identity', IDENTITY_KEY, identityFromJson);
  }

  async putIdentityKeyPair(identity: IdentityKeyPair): Promise<void> {
    checkBytes('identity.publicKey', identity.publicKey, 32);
    checkBytes('identity.secretKey', identity.secretKey, 32);
    await this.#writeJson('identity', IDENTITY_KEY, identityToJson(identity));
  }

  async getSignedPrekey(id: number): Promise<SignedPrekey | undefined> {
    return await this.#readJson(
      'signed-prekey',
      String(checkUint32('id', id)),
      signedPrekeyFromJson,
    );
  }

  async listSignedPrekeys(): Promise<SignedPrekey[]> {
    return await this.#readAll('signed-prekey', signedPrekeyFromJson);
  }

  async putSignedPrekey(prekey: SignedPrekey): Promise<void> {
    checkUint32('prekey.id', prekey.id);
    checkBytes('prekey.publicKey', prekey.publicKey, 32);
    checkBytes('prekey.secretKey', prekey.secretKey, 32);
    checkBytes('prekey.signature', prekey.signature, 64);
    await this.#writeJson('signed-prekey', String(prekey.id), signedPrekeyToJson(prekey));
  }

  async deleteSignedPrekey(id: number): Promise<void> {
    checkUint32('id', id);
    await this.#backend.delete('signed-prekey', String(id));
    const prefix = `${id}.`;
    for (const key of await this.#backend.keys('accepted-base-key')) {
      if (key.startsWith(prefix)) await this.#backend.delete('accepted-base-key', key);
    }
  }

  async getOneTimePrekey(id: number): Promise<OneTimePrekey | undefined> {
    return await this.#readJson(
      'one-time-prekey',
      String(checkUint32('id', id)),
      oneTimePrekeyFromJson,
    );
  }

  async listOneTimePrekeys(): Promise<OneTimePrekey[]> {
    return await this.#readAll('one-time-prekey', oneTimePrekeyFromJson);
  }

  async putOneTimePrekeys(prekeys: readonly OneTimePrekey[]): Promise<void> {
    checkArray('prekeys', prekeys).forEach((prekey, i) => {
      checkUint32(`prekeys[${i}].id`, prekey.id);
      checkBytes(`prekeys[${i}].publicKey`, prekey.publicKey, 32);
      checkBytes(`prekeys[${i}].secretKey`, prekey.secretKey, 32);
    });
    for (const prekey of prekeys) {
      await this.#writeJson('one-time-prekey', String(prekey.id), oneTimePrekeyToJson(prekey));
    }
  }

  async deleteOneTimePrekey(id: number): Promise<void> {
    await this.#backend.delete('one-time-prekey', String(checkUint32('id', id)));
  }

  async hasAcceptedBaseKey(signedPrekeyId: number, baseKey: Uint8Array): Promise<boolean> {
    checkUint32('signedPrekeyId', signedPrekeyId);
    checkBytes('baseKey', baseKey, 32);
    const record = await this.#backend.get(
      'accepted-base-key',
      baseKeyRecordKey(signedPrekeyId, baseKey),
    );
    return record !== undefined;
  }

  async addAcceptedBaseKey(signedPrekeyId: number, baseKey: Uint8Array): Promise<void> {
    checkUint32('signedPrekeyId', signedPrekeyId);
    checkBytes('baseKey', baseKey, 32);
    await this.#backend.put(
      'accepted-base-key',
      baseKeyRecordKey(signedPrekeyId, baseKey),
      new Uint8Array(0),
    );
  }

  async getSession(peerId: string): Promise<Session | undefined> {
    const bytes = await this.#backend.get('session', checkNonEmptyString('peerId', peerId));
    return bytes === undefined ? undefined : sessionFromJson(fromUtf8(bytes));
  }

  async putSession(peerId: string, session: Session): Promise<void> {
    checkNonEmptyString('peerId', peerId);
    await this.#backend.put('session', peerId, utf8(sessionToJson(session)));
  }

  async deleteSession(peerId: string): Promise<void> {
    await this.#backend.delete('session', checkNonEmptyString('peerId', peerId));
  }

  async getPeerIdentityKey(peerId: string): Promise<Uint8Array | undefined> {
    return await this.#readJson(
      'peer-identity',
      checkNonEmptyString('peerId', peerId),
      (value, path) => readBytes(asObject(value, path), 'identity_key', path, 32),
    );
  }

  async putPeerIdentityKey(peerId: string, identityKey: Uint8Array): Promise<void> {
    checkNonEmptyString('peerId', peerId);
    checkBytes('identityKey', identityKey, 32);
    await this.#writeJson('peer-identity', peerId, {
      identity_key: toBase64Url(identityKey),
    });
  }
}
