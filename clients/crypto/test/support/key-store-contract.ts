/**
 * The KeyStore contract: one suite, run against every implementation (memory, IndexedDB).
 */
import { describe, expect, it } from 'vitest';

import {
  createInitiatorSession,
  generateIdentityKeyPair,
  generateOneTimePrekeys,
  generateSignedPrekey,
  InvalidArgumentError,
  type KeyStore,
} from '../../src/index.js';

export function keyStoreContract(name: string, open: () => Promise<KeyStore>): void {
  describe(`${name} (KeyStore contract)`, () => {
    it('keeps the identity key pair', async () => {
      const store = await open();
      expect(await store.getIdentityKeyPair()).toBeUndefined();
      const identity = generateIdentityKeyPair();
      await store.putIdentityKeyPair(identity);
      expect(await store.getIdentityKeyPair()).toEqual(identity);
    });

    it('keeps, lists and deletes signed prekeys', async () => {
      const store = await open();
      const identity = generateIdentityKeyPair();
      const first = generateSignedPrekey(identity, 1, 1000);
      const second = generateSignedPrekey(identity, 2, 2000);
      await store.putSignedPrekey(first);
      await store.putSignedPrekey(second);
      expect(await store.getSignedPrekey(2)).toEqual(second);
      expect((await store.listSignedPrekeys()).map((prekey) => prekey.id).sort()).toEqual([1, 2]);
      await store.deleteSignedPrekey(1);
      expect(await store.getSignedPrekey(1)).toBeUndefined();
      expect(await store.listSignedPrekeys()).toEqual([second]);
    });

    it('keeps, lists and deletes one-time prekeys', async () => {
      const store = await open();
      const batch = generateOneTimePrekeys(10, 3);
      await store.putOneTimePrekeys(batch);
      expect(await store.getOneTimePrekey(11)).toEqual(batch[1]);
      await store.deleteOneTimePrekey(11);
      expect(await store.getOneTimePrekey(11)).toBeUndefined();
      expect((await store.listOneTimePrekeys()).map((prekey) => prekey.id).sort()).toEqual([
        10, 12,
      ]);
    });

    it('remembers accepted base keys until their signed prekey is deleted', async () => {
      const store = await open();
      const baseKey = new Uint8Array(32).fill(9);
      expect(await store.hasAcceptedBaseKey(1, baseKey)).toBe(false);
      await store.addAcceptedBaseKey(1, baseKey);
      await store.addAcceptedBaseKey(11, baseKey);
      expect(await store.hasAcceptedBaseKey(1, baseKey)).toBe(true);
      expect(await store.hasAcceptedBaseKey(2, baseKey)).toBe(false);
      await store.deleteSignedPrekey(1);
      expect(await store.hasAcceptedBaseKey(1, baseKey)).toBe(false);
      expect(await store.hasAcceptedBaseKey(11, baseKey)).toBe(true);
    });

    it('keeps sessions per peer', async () => {
      const store = await open();
      const bob = generateIdentityKeyPair();
      const session = createInitiatorSession(generateIdentityKeyPair(), {
        identityKey: bob.publicKey,
        signedPrekey: generateSignedPrekey(bob, 1, 0),
        oneTimePrekey: null,
      });
      await store.putSession('bob@b.example', session);
      expect(await store.getSession('bob@b.example')).toEqual(session);
      expect(await store.getSession('carol@c.example')).toBeUndefined();
      await store.deleteSession('bob@b.example');
      expect(await store.getSession('bob@b.example')).toBeUndefined();
    });

    it('keeps peer identity keys', async () => {
      const store = await open();
      const key = generateIdentityKeyPair().publicKey;
      await store.putPeerIdentityKey('bob@b.example', key);
      expect(await store.getPeerIdentityKey('bob@b.example')).toEqual(key);
    });

    it('returns fresh copies: changing a result changes nothing stored', async () => {
      const store = await open();
      await store.putIdentityKeyPair(generateIdentityKeyPair());
      const read = await store.getIdentityKeyPair();
      read?.secretKey.fill(0);
      expect((await store.getIdentityKeyPair())?.secretKey).not.toEqual(read?.secretKey);
    });

    it('checks its arguments', async () => {
      const store = await open();
      await expect(store.getSession('')).rejects.toThrow('peerId must be a non-empty string');
      await expect(store.getSignedPrekey(-1)).rejects.toThrow(InvalidArgumentError);
      await expect(store.putPeerIdentityKey('x@y', new Uint8Array(31))).rejects.toThrow(
        'identityKey must be 32 bytes',
      );
    });
  });
}
