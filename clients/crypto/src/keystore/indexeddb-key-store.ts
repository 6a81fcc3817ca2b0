/**
 * The browser KeyStore, on IndexedDB (entry point `@hearth/crypto/indexeddb`).
 *
 * Every record is sealed with AES-256-GCM under a non-extractable WebCrypto key kept in the
 * same database ({@link SealedDatabase}): a copy of the database files, or code that only reads
 * storage, yields no private key. The record key (kind and name) is the AES-GCM additional
 * data, so sealed records cannot be swapped between slots.
 */
import { RecordKeyStore, type RecordBackend, type RecordKind } from './record-key-store.js';
import { SealedDatabase } from './sealed-database.js';

export { SealedDatabase, type SealedDatabaseOptions } from './sealed-database.js';

/** One object store per record kind, so listing a kind is a plain `getAllKeys()`. */
const RECORD_KINDS: readonly RecordKind[] = [
  'identity',
  'signed-prekey',
  'one-time-prekey',
  'accepted-base-key',
  'session',
  'peer-identity',
];

export interface IndexedDbKeyStoreOptions {
  /** Defaults to "hearth-keys". */
  readonly databaseName?: string;
  /** Defaults to `globalThis.indexedDB`. */
  readonly indexedDB?: IDBFactory;
}

export class IndexedDbKeyStore extends RecordKeyStore {
  readonly #database: SealedDatabase;

  private constructor(database: SealedDatabase) {
    const backend: RecordBackend = {
      get: (kind, key) => database.get(kind, key),
      put: (kind, key, value) => database.put(kind, key, value),
      delete: (kind, key) => database.delete(kind, key),
      keys: (kind) => database.keys(kind),
    };
    super(backend);
    this.#database = database;
  }

  static async open(options: IndexedDbKeyStoreOptions = {}): Promise<IndexedDbKeyStore> {
    const database = await SealedDatabase.open({
      databaseName: options.databaseName ?? 'hearth-keys',
      stores: RECORD_KINDS,
      ...(options.indexedDB === undefined ? {} : { indexedDB: options.indexedDB }),
    });
    return new IndexedDbKeyStore(database);
  }

  close(): void {
    this.#database.close();
  }
}
