/**
 * A KeyStore held in memory: for tests and for processes that keep no keys across restarts.
 * It stores the same serialized records as the IndexedDB store, so tests of it exercise the
 * record encoding too.
 */
import { RecordKeyStore, type RecordBackend, type RecordKind } from './record-key-store.js';

class MemoryRecordBackend implements RecordBackend {
  readonly #records = new Map<RecordKind, Map<string, Uint8Array>>();

  #kind(kind: RecordKind): Map<string, Uint8Array> {
    let records = this.#records.get(kind);
    if (records === undefined) {
      records = new Map();
      this.#records.set(kind, records);
    }
    return records;
  }

  get(kind: RecordKind, key: string): Promise<Uint8Array | undefined> {
    return Promise.resolve(this.#kind(kind).get(key)?.slice());
  }

  put(kind: RecordKind, key: string, value: Uint8Array): Promise<void> {
    this.#kind(kind).set(key, value.slice());
    return Promise.resolve();
  }

  delete(kind: RecordKind, key: string): Promise<void> {
    this.#kind(kind).delete(key);
    return Promise.resolve();
  }

  keys(kind: RecordKind): Promise<string[]> {
    return Promise.resolve([...this.#kind(kind).keys()]);
  }
}

export class MemoryKeyStore extends RecordKeyStore {
  constructor() {
    super(new MemoryRecordBackend());
  }
}
