import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  generateIdentityKeyPair,
  identityKeyStatus,
  matchesScannedSafetyNumber,
  safetyNumber,
  type SafetyNumberParty,
} from '../src/index.js';

const party = (
  userId: string,
  identityKey = generateIdentityKeyPair().publicKey,
): SafetyNumberParty => ({
  userId,
  identityKey,
});

describe('safety numbers', () => {
  it('are the same on both devices, whatever the order (property)', () => {
    const keys = fc.uint8Array({ minLength: 32, maxLength: 32 });
    const id = fc.string({ minLength: 1, maxLength: 40 });
    fc.assert(
      fc.property(id, keys, id, keys, (idA, keyA, idB, keyB) => {
        const ab = safetyNumber(party(idA, keyA), party(idB, keyB));
        const ba = safetyNumber(party(idB, keyB), party(idA, keyA));
        expect(ba.digits).toBe(ab.digits);
        expect(ba.qrPayload).toEqual(ab.qrPayload);
        expect(matchesScannedSafetyNumber(ab, ba.qrText)).toBe(true);
      }),
      { numRuns: 10 },
    );
  });

  it('are shown as 12 groups of 5 digits', () => {
    const number = safetyNumber(party('@a@x'), party('@b@y'));
    expect(number.groups).toHaveLength(12);
    for (const group of number.groups) expect(group).toMatch(/^\d{5}$/);
    expect(number.digits).toBe(number.groups.join(''));
    expect(number.qrPayload).toHaveLength(65);
    expect(number.qrPayload[0]).toBe(1);
  });

  it('change when either identity key changes, and the change is detectable', () => {
    const alice = party('alice@a.example');
    const bob = party('bob@b.example');
    const before = safetyNumber(alice, bob);
    const rekeyed = party(bob.userId);
    const after = safetyNumber(alice, rekeyed);
    expect(after.digits).not.toBe(before.digits);
    expect(matchesScannedSafetyNumber(before, after.qrText)).toBe(false);
    expect(identityKeyStatus(bob.identityKey, rekeyed.identityKey)).toBe('changed');
    expect(identityKeyStatus(bob.identityKey, bob.identityKey)).toBe('unchanged');
    expect(identityKeyStatus(undefined, bob.identityKey)).toBe('first-use');
  });

  it('bind the user id: the same key under another id gives another number', () => {
    const key = generateIdentityKeyPair().publicKey;
    const other = party('c@c.example');
    expect(safetyNumber(party('@a@x', key), other).digits).not.toBe(
      safetyNumber(party('@b@x', key), other).digits,
    );
  });

  it('treat an unreadable scan as no match', () => {
    const number = safetyNumber(party('@a@x'), party('@b@y'));
    expect(matchesScannedSafetyNumber(number, 'not base64url!')).toBe(false);
    expect(matchesScannedSafetyNumber(number, number.qrText.slice(0, 20))).toBe(false);
  });
});
