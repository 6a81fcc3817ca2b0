/**
 * DM history across reloads: texts are sealed in IndexedDB (fake-indexeddb here, Chromium in the
 * browser test) and read back by a fresh DmCrypto after the ratchet has spent their keys.
 */
import {
  encryptedMessageToJson,
  generateIdentityKeyPair,
  generateOneTimePrekeys,
  generateSignedPrekey,
  MemoryKeyStore,
  SessionManager,
} from '@hearth/crypto';
import { IDBFactory } from 'fake-indexeddb';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Message } from '../src/api/client';
import { DmHistory } from '../src/lib/dm-history';
import { DmCrypto, useE2ee } from '../src/lib/e2ee';
import { messageOf } from './support/messages';

const ALICE = '00000000-0000-4000-8000-0000000000a1';
const BOB = '00000000-0000-4000-8000-0000000000b0';

function dmMessage(id: string, author: string, extra: Partial<Message> = {}): Message {
  return messageOf({
    id,
    author_id: author,
    channel_id: 'dm',
    content: null,
    ciphertext: 'c',
    header: 'h',
    ...extra,
  });
}

beforeEach(() => {
  useE2ee.setState({ plaintexts: {}, changedKeys: {} });
});

describe('DmHistory', () => {
  it('keeps a text across reopening, for the version it was read from', async () => {
    const factory = new IDBFactory();
    const history = await DmHistory.open(ALICE, factory);
    await history.put(dmMessage('m1', BOB), 'hello');
    history.close();

    const reopened = await DmHistory.open(ALICE, factory);
    expect(await reopened.get(dmMessage('m1', BOB))).toBe('hello');
    expect(await reopened.get(dmMessage('m1', BOB, { header: 'edited' }))).toBeUndefined();
    expect(await reopened.get(dmMessage('m2', BOB))).toBeUndefined();
    await reopened.forget('m1');
    expect(await reopened.get(dmMessage('m1', BOB))).toBeUndefined();
  });

  it('is one database per account', async () => {
    const factory = new IDBFactory();
    await (await DmHistory.open(ALICE, factory)).put(dmMessage('m1', BOB), 'for alice');
    expect(await (await DmHistory.open(BOB, factory)).get(dmMessage('m1', BOB))).toBeUndefined();
  });

  it('forgets the texts of expired messages', async () => {
    const history = await DmHistory.open(ALICE, new IDBFactory());
    await history.put(dmMessage('old', BOB, { expires_at_ms: 1000 }), 'gone');
    await history.put(dmMessage('new', BOB, { expires_at_ms: 5000 }), 'kept');
    await history.put(dmMessage('forever', BOB), 'kept too');
    expect(await history.forgetExpired(2000)).toBe(1);
    expect(await history.get(dmMessage('old', BOB))).toBeUndefined();
    expect(await history.get(dmMessage('new', BOB))).toBe('kept');
    expect(await history.get(dmMessage('forever', BOB))).toBe('kept too');
  });
});

describe('DmCrypto after a reload', () => {
  it("reads back a received message whose ratchet key is spent, and one's own", async () => {
    const factory = new IDBFactory();
    // Bob's device keys, and Alice's session started from his bundle.
    const bobKeys = new MemoryKeyStore();
    const identity = generateIdentityKeyPair();
    const signedPrekey = generateSignedPrekey(identity, 1, Date.now());
    const [oneTime] = generateOneTimePrekeys(1, 1);
    await bobKeys.putIdentityKeyPair(identity);
    await bobKeys.putSignedPrekey(signedPrekey);
    await bobKeys.putOneTimePrekeys(oneTime === undefined ? [] : [oneTime]);
    const aliceKeys = new MemoryKeyStore();
    await aliceKeys.putIdentityKeyPair(generateIdentityKeyPair());
    const alice = new SessionManager(aliceKeys);
    await alice.initiate(BOB, {
      identityKey: identity.publicKey,
      signedPrekey,
      oneTimePrekey: oneTime ?? null,
    });
    const sealed = encryptedMessageToJson(
      await alice.encrypt(BOB, new TextEncoder().encode('{"text":"a secret for bob"}')),
    );
    const received = dmMessage('m1', ALICE, {
      ciphertext: sealed.ciphertext,
      header: sealed.header,
      initial: sealed.initial,
    });

    const before = new DmCrypto(bobKeys, await DmHistory.open(BOB, factory));
    expect(await before.decrypt(received, BOB)).toBe('{"text":"a secret for bob"}');
    const sent = dmMessage('m2', BOB, { header: 'own' });
    await before.remember(sent, '{"text":"my answer"}');

    // A reload: memory is gone; the ratchet key of m1 is spent.
    useE2ee.setState({ plaintexts: {} });
    const spent = new DmCrypto(bobKeys, await DmHistory.open(BOB, new IDBFactory()));
    expect(await spent.decrypt(received, BOB)).toBeNull();
    const after = new DmCrypto(bobKeys, await DmHistory.open(BOB, factory));
    expect(await after.decrypt(received, BOB)).toBe('{"text":"a secret for bob"}');
    expect(await after.decrypt(sent, BOB)).toBe('{"text":"my answer"}');

    await after.forget('m1');
    useE2ee.setState({ plaintexts: {} });
    expect(await after.decrypt(received, BOB)).toBeNull();
  });
});
