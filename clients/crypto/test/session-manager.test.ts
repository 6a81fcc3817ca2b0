import { describe, expect, it } from 'vitest';

import {
  AuthenticationError,
  DuplicateMessageError,
  encryptedMessageFromJson,
  encryptedMessageToJson,
  generateIdentityKeyPair,
  MemoryKeyStore,
  MissingKeyError,
  NoSessionError,
  prekeyBundleFromJson,
  prekeyBundleToJson,
  SessionManager,
  type EncryptedMessage,
} from '../src/index.js';
import { flipBit } from './support/bits.js';
import { createDevice, type Device } from './support/device.js';
import { read, text } from './support/conversation.js';

/** What goes over the node: JSON out, JSON in. */
const overTheWire = (message: EncryptedMessage): EncryptedMessage =>
  encryptedMessageFromJson(JSON.parse(JSON.stringify(encryptedMessageToJson(message))));

async function say(from: Device, to: Device, message: string): Promise<EncryptedMessage> {
  return overTheWire(await from.manager.encrypt(to.userId, text(message)));
}

async function hear(device: Device, from: Device, message: EncryptedMessage): Promise<string> {
  return read((await device.manager.decrypt(from.userId, message)).plaintext);
}

async function connected(options: { withOneTimePrekey?: boolean } = {}) {
  const alice = await createDevice('alice@a.example');
  const bob = await createDevice('bob@b.example');
  const bundle = prekeyBundleFromJson(
    JSON.parse(JSON.stringify(prekeyBundleToJson(bob.bundle(options)))),
  );
  await alice.manager.initiate(bob.userId, bundle);
  return { alice, bob };
}

describe('SessionManager', () => {
  it('runs a conversation from a bundle, and consumes the one-time prekey used', async () => {
    const { alice, bob } = await connected();
    const first = await say(alice, bob, 'hello bob');
    expect(first.initialMessage?.oneTimePrekeyId).toBe(1);
    expect(await hear(bob, alice, first)).toBe('hello bob');
    expect(await bob.store.getOneTimePrekey(1)).toBeUndefined();
    expect((await bob.store.listOneTimePrekeys()).length).toBe(4);

    const second = await say(alice, bob, 'still pending');
    expect(second.initialMessage).not.toBeNull(); // no reply read yet: X3DH data still sent
    expect(await hear(bob, alice, second)).toBe('still pending');

    expect(await hear(alice, bob, await say(bob, alice, 'hello alice'))).toBe('hello alice');
    const third = await say(alice, bob, 'after the reply');
    expect(third.initialMessage).toBeNull();
    expect(await hear(bob, alice, third)).toBe('after the reply');
  });

  it('works without a one-time prekey when the node has none left', async () => {
    const { alice, bob } = await connected({ withOneTimePrekey: false });
    const first = await say(alice, bob, 'no one-time prekey');
    expect(first.initialMessage?.oneTimePrekeyId).toBeNull();
    expect(await hear(bob, alice, first)).toBe('no one-time prekey');
    expect((await bob.store.listOneTimePrekeys()).length).toBe(5);
    expect(await hear(alice, bob, await say(bob, alice, 'reply'))).toBe('reply');
  });

  it('refuses a replayed initial message once its one-time prekey is gone', async () => {
    const { alice, bob } = await connected();
    const first = await say(alice, bob, 'once');
    await hear(bob, alice, first);
    await bob.store.deleteSession(alice.userId);
    await expect(bob.manager.decrypt(alice.userId, first)).rejects.toThrow(DuplicateMessageError);
  });

  it('refuses a replayed initial message without a one-time prekey after a newer session', async () => {
    const { alice, bob } = await connected({ withOneTimePrekey: false });
    const old = await say(alice, bob, 'old session');
    await hear(bob, alice, old);
    await alice.manager.initiate(bob.userId, bob.bundle({ withOneTimePrekey: false }));
    await hear(bob, alice, await say(alice, bob, 'new session'));
    await expect(bob.manager.decrypt(alice.userId, old)).rejects.toThrow(DuplicateMessageError);
    expect(await hear(alice, bob, await say(bob, alice, 'still fine'))).toBe('still fine');
  });

  it('refuses a replayed message within a session', async () => {
    const { alice, bob } = await connected();
    await hear(bob, alice, await say(alice, bob, 'hi'));
    await hear(alice, bob, await say(bob, alice, 'hi back'));
    const message = await say(alice, bob, 'only once');
    expect(await hear(bob, alice, message)).toBe('only once');
    await expect(bob.manager.decrypt(alice.userId, message)).rejects.toThrow(DuplicateMessageError);
  });

  it('re-initialises when the receiver lost its state: a new X3DH replaces the session', async () => {
    const { alice, bob } = await connected();
    await hear(bob, alice, await say(alice, bob, 'before'));
    await hear(alice, bob, await say(bob, alice, 'ack'));

    const lostBob = await createDevice(bob.userId, { identity: bob.identity }); // reinstalled, same identity key
    const orphan = await say(alice, bob, 'into the void');
    await expect(lostBob.manager.decrypt(alice.userId, orphan)).rejects.toThrow(NoSessionError);
    await expect(lostBob.manager.encrypt(alice.userId, text('x'))).rejects.toThrow(NoSessionError);

    const { identityChange } = await alice.manager.initiate(bob.userId, lostBob.bundle());
    expect(identityChange).toBeNull();
    expect(await hear(lostBob, alice, await say(alice, lostBob, 'again'))).toBe('again');
    expect(await hear(alice, lostBob, await say(lostBob, alice, 'welcome back'))).toBe(
      'welcome back',
    );
  });

  it('re-initialises when the sender lost its state, replacing the receiver session', async () => {
    const { alice, bob } = await connected();
    const stale = await say(alice, bob, 'first life');
    await hear(bob, alice, stale);
    await hear(alice, bob, await say(bob, alice, 'ack'));
    const oldSession = await bob.store.getSession(alice.userId);

    const newAlice = await createDevice(alice.userId, { identity: alice.identity });
    await newAlice.manager.initiate(bob.userId, bob.bundle());
    const restart = await say(newAlice, bob, 'second life');
    expect((await bob.manager.decrypt(alice.userId, restart)).identityChange).toBeNull();
    const newSession = await bob.store.getSession(alice.userId);
    expect(newSession?.baseKey).not.toEqual(oldSession?.baseKey);
    expect(await hear(newAlice, bob, await say(bob, newAlice, 'hello again'))).toBe('hello again');
    // The old Alice's session is gone from Bob's side.
    await expect(
      bob.manager.decrypt(alice.userId, await say(alice, bob, 'zombie')),
    ).rejects.toThrow(AuthenticationError);
  });

  it('does not let a forged initial message replace a session or burn a one-time prekey', async () => {
    const { alice, bob } = await connected();
    await hear(bob, alice, await say(alice, bob, 'hi'));
    const before = await bob.store.getSession(alice.userId);

    const mallory = await createDevice('mallory@m.example');
    await mallory.manager.initiate(bob.userId, bob.bundle());
    const forged = await say(mallory, bob, 'i am alice');
    const tampered = { ...forged, ciphertext: flipBit(forged.ciphertext, 0) };
    await expect(bob.manager.decrypt(alice.userId, tampered)).rejects.toThrow(AuthenticationError);
    expect(await bob.store.getSession(alice.userId)).toEqual(before);
    expect(await bob.store.getOneTimePrekey(2)).toBeDefined();
    expect(await bob.store.getPeerIdentityKey(alice.userId)).toEqual(alice.identity.publicKey);
  });

  it('reports an identity key change, on either side', async () => {
    const { alice, bob } = await connected();
    await hear(bob, alice, await say(alice, bob, 'hi'));

    const rekeyedAlice = await createDevice(alice.userId, { identity: generateIdentityKeyPair() });
    await rekeyedAlice.manager.initiate(bob.userId, bob.bundle());
    const result = await bob.manager.decrypt(
      alice.userId,
      await say(rekeyedAlice, bob, 'new phone'),
    );
    expect(result.identityChange).toEqual({
      previous: alice.identity.publicKey,
      current: rekeyedAlice.identity.publicKey,
    });
    expect(await bob.store.getPeerIdentityKey(alice.userId)).toEqual(
      rekeyedAlice.identity.publicKey,
    );

    const rekeyedBob = await createDevice(bob.userId, { identity: generateIdentityKeyPair() });
    const { identityChange } = await alice.manager.initiate(bob.userId, rekeyedBob.bundle());
    expect(identityChange?.current).toEqual(rekeyedBob.identity.publicKey);
  });

  it('refuses an initial message naming a prekey this device does not hold', async () => {
    const { alice, bob } = await connected();
    const first = await say(alice, bob, 'hi');
    await bob.store.deleteSignedPrekey(bob.signedPrekey.id);
    await expect(bob.manager.decrypt(alice.userId, first)).rejects.toThrow(MissingKeyError);
    await expect(
      new SessionManager(new MemoryKeyStore()).initiate('x', bob.bundle()),
    ).rejects.toThrow('key store holds no identity key pair');
  });

  it('runs concurrent decryptions for one peer one after another', async () => {
    const { alice, bob } = await connected();
    const messages = [];
    for (let i = 0; i < 10; i++) messages.push(await say(alice, bob, `m${i}`));
    const results = await Promise.all(messages.map((message) => hear(bob, alice, message)));
    expect(results).toEqual(messages.map((_, i) => `m${i}`));
    // Each decryption built on the one before: every key is spent, none left to replay.
    for (const message of messages) {
      await expect(bob.manager.decrypt(alice.userId, message)).rejects.toThrow(
        DuplicateMessageError,
      );
    }
    expect((await bob.store.getSession(alice.userId))?.ratchet.skippedMessageKeys.size).toBe(0);
  });
});
