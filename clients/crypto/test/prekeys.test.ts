import { describe, expect, it } from 'vitest';

import {
  expiredSignedPrekeyIds,
  generateIdentityKeyPair,
  generateOneTimePrekeys,
  generateSignedPrekey,
  isSignedPrekeyRotationDue,
  nextPrekeyId,
  ONE_TIME_PREKEY_BATCH_SIZE,
  ONE_TIME_PREKEY_LOW_WATER_MARK,
  oneTimePrekeysToGenerate,
  SIGNED_PREKEY_GRACE_MS,
  SIGNED_PREKEY_ROTATION_MS,
  verifySignedPrekey,
} from '../src/index.js';

describe('signed prekeys', () => {
  it('are signed by the identity key over id and public key', () => {
    const identity = generateIdentityKeyPair();
    const prekey = generateSignedPrekey(identity, 5, 1000);
    expect(verifySignedPrekey(identity.publicKey, 5, prekey.publicKey, prekey.signature)).toBe(
      true,
    );
    expect(verifySignedPrekey(identity.publicKey, 6, prekey.publicKey, prekey.signature)).toBe(
      false,
    );
    const other = generateSignedPrekey(identity, 5, 1000);
    expect(verifySignedPrekey(identity.publicKey, 5, other.publicKey, prekey.signature)).toBe(
      false,
    );
    expect(
      verifySignedPrekey(
        generateIdentityKeyPair().publicKey,
        5,
        prekey.publicKey,
        prekey.signature,
      ),
    ).toBe(false);
  });
});

describe('signed prekey rotation', () => {
  const day = 24 * 60 * 60 * 1000;

  it('is due once the current prekey is a rotation period old', () => {
    expect(isSignedPrekeyRotationDue({ id: 1, createdAt: 0 }, SIGNED_PREKEY_ROTATION_MS - 1)).toBe(
      false,
    );
    expect(isSignedPrekeyRotationDue({ id: 1, createdAt: 0 }, SIGNED_PREKEY_ROTATION_MS)).toBe(
      true,
    );
  });

  it('keeps a replaced prekey for the grace period after its successor appeared', () => {
    const prekeys = [
      { id: 3, createdAt: 14 * day },
      { id: 1, createdAt: 0 },
      { id: 2, createdAt: 7 * day },
    ];
    expect(expiredSignedPrekeyIds(prekeys, 7 * day + SIGNED_PREKEY_GRACE_MS - 1)).toEqual([]);
    expect(expiredSignedPrekeyIds(prekeys, 7 * day + SIGNED_PREKEY_GRACE_MS)).toEqual([1]);
    expect(expiredSignedPrekeyIds(prekeys, 14 * day + SIGNED_PREKEY_GRACE_MS)).toEqual([1, 2]);
    expect(expiredSignedPrekeyIds([{ id: 3, createdAt: 0 }], 10 * SIGNED_PREKEY_GRACE_MS)).toEqual(
      [],
    );
  });
});

describe('one-time prekeys', () => {
  it('are replenished by a batch of 100 when fewer than 20 remain', () => {
    expect(ONE_TIME_PREKEY_BATCH_SIZE).toBe(100);
    expect(ONE_TIME_PREKEY_LOW_WATER_MARK).toBe(20);
    expect(oneTimePrekeysToGenerate(0)).toBe(100);
    expect(oneTimePrekeysToGenerate(19)).toBe(100);
    expect(oneTimePrekeysToGenerate(20)).toBe(0);
  });

  it('get consecutive ids that wrap past 2^32 - 1 to 1', () => {
    const batch = generateOneTimePrekeys(0xfffffffe, 3);
    expect(batch.map((prekey) => prekey.id)).toEqual([0xfffffffe, 0xffffffff, 1]);
    expect(nextPrekeyId(0xffffffff)).toBe(1);
    expect(new Set(batch.map((prekey) => prekey.publicKey.join())).size).toBe(3);
  });
});
