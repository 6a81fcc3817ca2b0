/**
 * The browser KeyStore, on IndexedDB (entry point `@hearth/crypto/indexeddb`).
 *
 * Every record is sealed with AES-256-GCM under a WebCrypto key created with
 * `extractable: false` on first open and kept in the same database: IndexedDB stores CryptoKey
 * objects by structured clone, and script can use such a key but never read its bytes. A copy
 * of the database files, or code that only reads storage, therefore yields no private key. Code
 * running in the page's origin can still ask the key to decrypt: that is outside what any
 * in-browser store can prevent (docs/protocol/e2ee.md, "Threat model").
 *
 * The record key (kind and name) is the AES-GCM additional data, so sealed records cannot be
 * swapped between slots.
 */
import { utf8 } from '../encoding.js';
import { AuthenticationError, KeyStoreError } from '../errors.js';
import { checkNonEmptyString } from '../validate.js';
import { RecordKeyStore, type RecordBackend, type RecordKind } from './record-key-store.js';

const DATABASE_VERSION = 1;
/** One object store per record kind, so listing a kind is a plain `getAllKeys()`. */
const RECORD_KINDS: readonly RecordKind[] = [
  'identity',
  'signed-prekey',
  'one-time-prekey',
  'accepted-base-key',
  'session',
  'peer-identity',
];
const WRAPPING_KEYS = 'wrapping-keys';
const WRAPPING_KEY_ID = 'records';
const IV_LENGTH = 12;

interface SealedRecord {
  readonly iv: Uint8Array<ArrayBuffer>;
  readonly ciphertext: ArrayBuffer;
}

export interface IndexedDbKeyStoreOptions {
  /** Defaults to "hearth-keys". */
  readonly databaseName?: string;
  /** Defaults to `globalThis.indexedDB`. */
  readonly indexedDB?: IDBFactory;
}

function settle<T>(request: IDBRequest<T>, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => {
      resolve(request.result);
    };
    request.onerror = () => {
      reject(new KeyStoreError(`IndexedDB ${what} failed`, { cause: request.error }));
    };
  });
}

function completion(transaction: IDBTransaction, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => {
      resolve();
    };
    transaction.onerror = transaction.onabort = () => {
      reject(new KeyStoreError(`IndexedDB ${what} failed`, { cause: transaction.error }));
    };
  });
}

function openDatabase(factory: IDBFactory, name: string): Promise<IDBDatabase> {
  const request = factory.open(name, DATABASE_VERSION);
  request.onupgradeneeded = () => {
    const database = request.result;
    for (const kind of RECORD_KINDS) database.createObjectStore(kind);
    database.createObjectStore(WRAPPING_KEYS);
  };
  return settle(request, `open of ${name}`);
}

function isCryptoKey(value: unknown): value is CryptoKey {
  return typeof CryptoKey !== 'undefined' && value instanceof CryptoKey;
}

/**
 * Reads the wrapping key, creating it on first use. Two tabs opening a new database at once may
 * both generate one; `add` lets only the first be stored and both then use that one.
 */
async function loadWrappingKey(database: IDBDatabase): Promise<CryptoKey> {
  const read = async (): Promise<unknown> =>
    settle(
      database
        .transaction(WRAPPING_KEYS, 'readonly')
        .objectStore(WRAPPING_KEYS)
        .get(WRAPPING_KEY_ID),
      'read of the wrapping key',
    );
  const existing = await read();
  if (isCryptoKey(existing)) return existing;
  const created = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
    'encrypt',
    'decrypt',
  ]);
  const transaction = database.transaction(WRAPPING_KEYS, 'readwrite');
  transaction.objectStore(WRAPPING_KEYS).add(created, WRAPPING_KEY_ID);
  await completion(transaction, 'store of the wrapping key').catch(() => undefined);
  const stored = await read();
  if (!isCryptoKey(stored)) throw new KeyStoreError('IndexedDB did not keep the wrapping key');
  return stored;
}

function recordAdditionalData(kind: RecordKind, key: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(utf8(`${kind}\n${key}`));
}

class IndexedDbRecordBackend implements RecordBackend {
  readonly #database: IDBDatabase;
  readonly #wrappingKey: CryptoKey;

  constructor(database: IDBDatabase, wrappingKey: CryptoKey) {
    this.#database = database;
    this.#wrappingKey = wrappingKey;
  }

  #store(
    kind: RecordKind,
    mode: IDBTransactionMode,
  ): { store: IDBObjectStore; done: Promise<void> } {
    const transaction = this.#database.transaction(kind, mode);
    return {
      store: transaction.objectStore(kind),
      done: completion(transaction, `${mode} of ${kind}`),
    };
  }

  async get(kind: RecordKind, key: string): Promise<Uint8Array | undefined> {
    const { store } = this.#store(kind, 'readonly');
    const sealed = (await settle(store.get(key), `read of ${kind}`)) as SealedRecord | undefined;
    if (sealed === undefined) return undefined;
    try {
      const plaintext = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: sealed.iv, additionalData: recordAdditionalData(kind, key) },
        this.#wrappingKey,
        sealed.ciphertext,
      );
      return new Uint8Array(plaintext);
    } catch {
      throw new AuthenticationError(`stored ${kind} record failed authentication`);
    }
  }

  async put(kind: RecordKind, key: string, value: Uint8Array): Promise<void> {
    // WebCrypto is asynchronous and an IndexedDB transaction commits once it has no pending
    // request, so the record is sealed first and written in a transaction of its own.
    const iv = crypto.getRandomValues(new Uint8Array(IV_LENGTH));
    const ciphertext = await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: recordAdditionalData(kind, key) },
      this.#wrappingKey,
      new Uint8Array(value),
    );
    const sealed: SealedRecord = { iv, ciphertext };
    const { store, done } = this.#store(kind, 'readwrite');
    store.put(sealed, key);
    await done;
  }

  async delete(kind: RecordKind, key: string): Promise<void> {
    const { store, done } = this.#store(kind, 'readwrite');
    store.delete(key);
    await done;
  }

  async keys(kind: RecordKind): Promise<string[]> {
    const { store } = this.#store(kind, 'readonly');
    const keys = await settle(store.getAllKeys(), `listing of ${kind}`);
    return keys.map(String);
  }
}

export class IndexedDbKeyStore extends RecordKeyStore {
  readonly #database: IDBDatabase;

  private constructor(database: IDBDatabase, wrappingKey: CryptoKey) {
    super(new IndexedDbRecordBackend(database, wrappingKey));
    this.#database = database;
  }

  static async open(options: IndexedDbKeyStoreOptions = {}): Promise<IndexedDbKeyStore> {
    const name = checkNonEmptyString('databaseName', options.databaseName ?? 'hearth-keys');
    const factory = options.indexedDB ?? globalThis.indexedDB;
    const database = await openDatabase(factory, name);
    return new IndexedDbKeyStore(database, await loadWrappingKey(database));
  }

  close(): void {
    this.#database.close();
  }
}
