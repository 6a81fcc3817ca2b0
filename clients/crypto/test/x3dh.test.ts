import { describe, expect, it } from 'vitest';

import {
  AuthenticationError,
  generateIdentityKeyPair,
  generateOneTimePrekeys,
  generateSignedPrekey,
  InvalidArgumentError,
  x3dhInitiate,
  x3dhRespond,
  type PrekeyBundle,
} from '../src/index.js';

function parties() {
  const alice = generateIdentityKeyPair();
  const bob = generateIdentityKeyPair();
  const signedPrekey = generateSignedPrekey(bob, 3, 0);
  const [oneTimePrekey] = generateOneTimePrekeys(10, 1);
  if (oneTimePrekey === undefined) throw new Error('no one-time prekey');
  return { alice, bob, signedPrekey, oneTimePrekey };
}

describe('X3DH', () => {
  it('agrees on SK and AD with a one-time prekey (four DHs)', () => {
    const { alice, bob, signedPrekey, oneTimePrekey } = parties();
    const bundle: PrekeyBundle = { identityKey: bob.publicKey, signedPrekey, oneTimePrekey };
    const initiation = x3dhInitiate(alice, bundle);
    expect(initiation.initialMessage).toMatchObject({ signedPrekeyId: 3, oneTimePrekeyId: 10 });
    const response = x3dhRespond(bob, signedPrekey, oneTimePrekey, initiation.initialMessage);
    expect(response.sharedSecret).toEqual(initiation.sharedSecret);
    expect(response.associatedData).toEqual(initiation.associatedData);
    expect(initiation.associatedData).toEqual(
      Uint8Array.of(0xed, ...alice.publicKey, 0xed, ...bob.publicKey),
    );
  });

  it('agrees without a one-time prekey (three DHs), on a different SK', () => {
    const { alice, bob, signedPrekey } = parties();
    const initiation = x3dhInitiate(alice, {
      identityKey: bob.publicKey,
      signedPrekey,
      oneTimePrekey: null,
    });
    expect(initiation.initialMessage.oneTimePrekeyId).toBeNull();
    const response = x3dhRespond(bob, signedPrekey, null, initiation.initialMessage);
    expect(response.sharedSecret).toEqual(initiation.sharedSecret);
  });

  it('refuses a bundle whose signed prekey signature does not verify', () => {
    const { alice, bob, signedPrekey } = parties();
    const mallory = generateIdentityKeyPair();
    const forged = generateSignedPrekey(mallory, 3, 0);
    expect(() =>
      x3dhInitiate(alice, {
        identityKey: bob.publicKey,
        signedPrekey: forged,
        oneTimePrekey: null,
      }),
    ).toThrow(AuthenticationError);
    expect(() =>
      x3dhInitiate(alice, {
        identityKey: bob.publicKey,
        signedPrekey: { ...signedPrekey, id: 4 },
        oneTimePrekey: null,
      }),
    ).toThrow('bundle signed prekey signature is invalid');
  });

  it('refuses a low-order one-time prekey', () => {
    const { alice, bob, signedPrekey } = parties();
    const bundle = {
      identityKey: bob.publicKey,
      signedPrekey,
      oneTimePrekey: { id: 1, publicKey: new Uint8Array(32) },
    };
    expect(() => x3dhInitiate(alice, bundle)).toThrow(AuthenticationError);
  });

  it('gives the responder a different SK when the initial message was altered', () => {
    const { alice, bob, signedPrekey, oneTimePrekey } = parties();
    const { initialMessage, sharedSecret } = x3dhInitiate(alice, {
      identityKey: bob.publicKey,
      signedPrekey,
      oneTimePrekey,
    });
    const mallory = generateIdentityKeyPair();
    const altered = x3dhRespond(bob, signedPrekey, oneTimePrekey, {
      ...initialMessage,
      identityKey: mallory.publicKey,
    });
    expect(altered.sharedSecret).not.toEqual(sharedSecret);
    const withoutOneTime = x3dhRespond(bob, signedPrekey, null, {
      ...initialMessage,
      oneTimePrekeyId: null,
    });
    expect(withoutOneTime.sharedSecret).not.toEqual(sharedSecret);
  });

  it('insists that the responder passes the prekeys the initial message names', () => {
    const { alice, bob, signedPrekey, oneTimePrekey } = parties();
    const { initialMessage } = x3dhInitiate(alice, {
      identityKey: bob.publicKey,
      signedPrekey,
      oneTimePrekey,
    });
    expect(() =>
      x3dhRespond(bob, { ...signedPrekey, id: 9 }, oneTimePrekey, initialMessage),
    ).toThrow('signedPrekey.id must match initialMessage.signedPrekeyId');
    expect(() => x3dhRespond(bob, signedPrekey, null, initialMessage)).toThrow(
      InvalidArgumentError,
    );
  });
});
