/**
 * An IndexedDB database whose values are sealed at rest (part of the entry point
 * `@hearth/crypto/indexeddb`).
 *
 * Every value is encrypted with AES-256-GCM under a WebCrypto key created with
 * `extractable: false` on first open and kept in the same database: IndexedDB stores CryptoKey
 * objects by structured clone, and script can use such a key but never read its bytes. A copy
 * of the database files, or code that only reads storage, therefore yields no plaintext. Code
 * running in the page's origin can still ask the key to decrypt: that is outside what any
 * in-browser store can prevent (docs/protocol/e2ee.md, "Threat model").
 *
 * The slot (object store and key) is the AES-GCM additional data, so sealed values cannot be
 * swapped between slots. The key store keeps its keys here; clients keep other secrets (the
 * texts of decrypted DMs) the same way, in a database of their own.
 */
import { utf8 } from '../encoding.js';
import { AuthenticationError, KeyStoreError } from '../errors.js';
import { checkNonEmptyString } from '../validate.js';

const WRAPPING_KEYS = 'wrapping-keys';
const WRAPPING_KEY_ID = 'records';
const IV_LENGTH = 12;

interface SealedValue {
  readonly iv: Uint8Array<ArrayBuffer>;
  readonly ciphertext: ArrayBuffer;
}

export interface SealedDatabaseOptions {
  readonly databaseName: string;
  /** The object stores the database holds; a new version adds the ones missing. */
  readonly stores: readonly string[];
  /** Raise it when `stores` grows. Defaults to 1. */
  readonly version?: number;
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

function openDatabase(
  factory: IDBFactory,
  name: string,
  stores: readonly string[],
  version: number,
): Promise<IDBDatabase> {
  const request = factory.open(name, version);
  request.onupgradeneeded = () => {
    const database = request.result;
    for (const store of [...stores, WRAPPING_KEYS]) {
      if (!database.objectStoreNames.contains(store)) database.createObjectStore(store);
    }
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

function slotAdditionalData(store: string, key: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(utf8(`${store}\n${key}`));
}

/** Byte values in named object stores, sealed before they reach IndexedDB. */
export class SealedDatabase {
  readonly #database: IDBDatabase;
  readonly #wrappingKey: CryptoKey;

  private constructor(database: IDBDatabase, wrappingKey: CryptoKey) {
    this.#database = database;
    this.#wrappingKey = wrappingKey;
  }

  static async open(options: SealedDatabaseOptions): Promise<SealedDatabase> {
    const name = checkNonEmptyString('databaseName', options.databaseName);
    const factory = options.indexedDB ?? globalThis.indexedDB;
    const database = await openDatabase(factory, name, options.stores, options.version ?? 1);
    return new SealedDatabase(database, await loadWrappingKey(database));
  }

  #transaction(store: string, mode: IDBTransactionMode) {
    const transaction = this.#database.transaction(store, mode);
    return {
      objects: transaction.objectStore(store),
      done: completion(transaction, `${mode} of ${store}`),
    };
  }

  /** The value in a slot; AuthenticationError if the stored bytes were altered or moved. */
  async get(store: string, key: string): Promise<Uint8Array | undefined> {
    const { objects } = this.#transaction(store, 'readonly');
    const sealed = (await settle(objects.get(key), `read of ${store}`)) as SealedValue | undefined;
    if (sealed === undefined) return undefined;
    try {
      const plaintext = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: sealed.iv, additionalData: slotAdditionalData(store, key) },
        this.#wrappingKey,
        sealed.ciphertext,
      );
      return new Uint8Array(plaintext);
    } catch {
      throw new AuthenticationError(`stored ${store} record failed authentication`);
    }
  }

  async put(store: string, key: string, value: Uint8Array): Promise<void> {
    // WebCrypto is asynchronous and an IndexedDB transaction commits once it has no pending
    // request, so the value is sealed first and written in a transaction of its own.
    const iv = crypto.getRandomValues(new Uint8Array(IV_LENGTH));
    const ciphertext = await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: slotAdditionalData(store, key) },
      this.#wrappingKey,
      new Uint8Array(value),
    );
    const sealed: SealedValue = { iv, ciphertext };
    const { objects, done } = this.#transaction(store, 'readwrite');
    objects.put(sealed, key);
    await done;
  }

  async delete(store: string, key: string): Promise<void> {
    const { objects, done } = this.#transaction(store, 'readwrite');
    objects.delete(key);
    await done;
  }

  async keys(store: string): Promise<string[]> {
    const { objects } = this.#transaction(store, 'readonly');
    const keys = await settle(objects.getAllKeys(), `listing of ${store}`);
    return keys.map(String);
  }

  close(): void {
    this.#database.close();
  }
}
