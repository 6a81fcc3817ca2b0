/**
 * The IndexedDB store's unit test, on fake-indexeddb (an in-memory implementation of the
 * IndexedDB API) and Node's WebCrypto. This suite is the only user of fake-indexeddb; behaviour
 * in real browsers is covered by the clients' browser suite.
 */
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';

import { generateIdentityKeyPair, AuthenticationError } from '../src/index.js';
import { IndexedDbKeyStore, SealedDatabase } from '../src/keystore/indexeddb-key-store.js';
import { keyStoreContract } from './support/key-store-contract.js';

keyStoreContract('IndexedDbKeyStore', () =>
  IndexedDbKeyStore.open({ indexedDB: new IDBFactory() }),
);

/** Every value IndexedDB holds in one record kind's object store, as raw objects. */
async function rawRecords(
  factory: IDBFactory,
  name: string,
  kind: string,
): Promise<{ key: unknown; value: unknown }[]> {
  const database = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = factory.open(name);
    request.onsuccess = () => {
      resolve(request.result);
    };
    request.onerror = () => {
      reject(new Error('open failed'));
    };
  });
  const store = database.transaction(kind, 'readonly').objectStore(kind);
  const [keys, values] = await Promise.all(
    [store.getAllKeys(), store.getAll()].map(
      (request) =>
        new Promise<unknown[]>((resolve) => {
          request.onsuccess = () => {
            resolve(request.result as unknown[]);
          };
        }),
    ),
  );
  database.close();
  return (keys ?? []).map((key, i) => ({ key, value: values?.[i] }));
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(haystack).includes(Buffer.from(needle));
}

describe('IndexedDbKeyStore', () => {
  it('stores no private key in clear and keeps them across reopening', async () => {
    const factory = new IDBFactory();
    const identity = generateIdentityKeyPair();
    const store = await IndexedDbKeyStore.open({ indexedDB: factory, databaseName: 'keys' });
    await store.putIdentityKeyPair(identity);
    store.close();

    const records = await rawRecords(factory, 'keys', 'identity');
    expect(records).toHaveLength(1);
    for (const { value } of records) {
      const { ciphertext } = value as { ciphertext: ArrayBuffer };
      expect(contains(new Uint8Array(ciphertext), identity.secretKey)).toBe(false);
      expect(
        contains(
          new Uint8Array(ciphertext),
          new TextEncoder().encode(Buffer.from(identity.secretKey).toString('base64url')),
        ),
      ).toBe(false);
    }

    const reopened = await IndexedDbKeyStore.open({ indexedDB: factory, databaseName: 'keys' });
    expect(await reopened.getIdentityKeyPair()).toEqual(identity);
    reopened.close();
  });

  it('wraps records with a non-extractable AES-GCM key', async () => {
    const factory = new IDBFactory();
    (await IndexedDbKeyStore.open({ indexedDB: factory, databaseName: 'keys' })).close();
    const database = await new Promise<IDBDatabase>((resolve) => {
      const request = factory.open('keys');
      request.onsuccess = () => {
        resolve(request.result);
      };
    });
    const key = await new Promise<CryptoKey>((resolve) => {
      const request = database
        .transaction('wrapping-keys')
        .objectStore('wrapping-keys')
        .get('records');
      request.onsuccess = () => {
        resolve(request.result as CryptoKey);
      };
    });
    database.close();
    expect(key.extractable).toBe(false);
    expect(key.algorithm).toMatchObject({ name: 'AES-GCM', length: 256 });
    await expect(crypto.subtle.exportKey('raw', key)).rejects.toThrow();
  });

  it('refuses a record moved to another slot', async () => {
    const factory = new IDBFactory();
    const store = await IndexedDbKeyStore.open({ indexedDB: factory, databaseName: 'keys' });
    await store.putPeerIdentityKey('alice@a.example', generateIdentityKeyPair().publicKey);
    store.close();
    const [record] = await rawRecords(factory, 'keys', 'peer-identity');
    const database = await new Promise<IDBDatabase>((resolve) => {
      const request = factory.open('keys');
      request.onsuccess = () => {
        resolve(request.result);
      };
    });
    await new Promise<void>((resolve) => {
      const transaction = database.transaction('peer-identity', 'readwrite');
      transaction.objectStore('peer-identity').put(record?.value, 'mallory@m.example');
      transaction.oncomplete = () => {
        resolve();
      };
    });
    database.close();
    const reopened = await IndexedDbKeyStore.open({ indexedDB: factory, databaseName: 'keys' });
    await expect(reopened.getPeerIdentityKey('mallory@m.example')).rejects.toThrow(
      AuthenticationError,
    );
    reopened.close();
  });
});

describe('SealedDatabase', () => {
  const secret = new TextEncoder().encode('a decrypted direct message');

  it('keeps values sealed at rest and readable after reopening', async () => {
    const factory = new IDBFactory();
    const options = { indexedDB: factory, databaseName: 'history', stores: ['texts'] };
    const database = await SealedDatabase.open(options);
    await database.put('texts', 'm1', secret);
    database.close();

    const records = await rawRecords(factory, 'history', 'texts');
    expect(records.map((r) => r.key)).toEqual(['m1']);
    const { ciphertext } = records[0]?.value as { ciphertext: ArrayBuffer };
    expect(contains(new Uint8Array(ciphertext), secret)).toBe(false);

    const reopened = await SealedDatabase.open(options);
    expect(await reopened.get('texts', 'm1')).toEqual(secret);
    expect(await reopened.keys('texts')).toEqual(['m1']);
    await reopened.delete('texts', 'm1');
    expect(await reopened.get('texts', 'm1')).toBeUndefined();
    reopened.close();
  });

  it('adds the stores of a new version and keeps the old values', async () => {
    const factory = new IDBFactory();
    const first = await SealedDatabase.open({
      indexedDB: factory,
      databaseName: 'grows',
      stores: ['a'],
    });
    await first.put('a', 'k', secret);
    first.close();
    const second = await SealedDatabase.open({
      indexedDB: factory,
      databaseName: 'grows',
      stores: ['a', 'b'],
      version: 2,
    });
    await second.put('b', 'k', secret);
    expect(await second.get('a', 'k')).toEqual(secret);
    expect(await second.get('b', 'k')).toEqual(secret);
    second.close();
  });

  it('refuses a value moved to another store', async () => {
    const factory = new IDBFactory();
    const options = { indexedDB: factory, databaseName: 'moved', stores: ['a', 'b'] };
    const database = await SealedDatabase.open(options);
    await database.put('a', 'k', secret);
    database.close();
    const [record] = await rawRecords(factory, 'moved', 'a');
    const raw = await new Promise<IDBDatabase>((resolve) => {
      const request = factory.open('moved');
      request.onsuccess = () => {
        resolve(request.result);
      };
    });
    await new Promise<void>((resolve) => {
      const transaction = raw.transaction('b', 'readwrite');
      transaction.objectStore('b').put(record?.value, 'k');
      transaction.oncomplete = () => {
        resolve();
      };
    });
    raw.close();
    const reopened = await SealedDatabase.open(options);
    await expect(reopened.get('b', 'k')).rejects.toThrow(AuthenticationError);
    reopened.close();
  });
});
