/**
 * Exports check their arguments and say which one is wrong; values from the wire are refused
 * with the path of the bad field.
 */
import { describe, expect, it } from 'vitest';

import {
  decodeHeader,
  encodeHeader,
  encryptedMessageFromJson,
  generateIdentityKeyPair,
  generateSignedPrekey,
  identityKeyPairFromSeed,
  identityKeyToX25519,
  InvalidArgumentError,
  keyUploadToJson,
  MalformedInputError,
  prekeyBundleFromJson,
  prekeyBundleToJson,
  safetyNumber,
  sessionFromJson,
  signedPrekeySignedMessage,
  x3dhAssociatedData,
} from '../src/index.js';

describe('argument checks', () => {
  it.each([
    ['identityKey must be 32 bytes', () => identityKeyToX25519(new Uint8Array(31))],
    ['seed must be a Uint8Array', () => identityKeyPairFromSeed('seed' as unknown as Uint8Array)],
    [
      'id must be an integer from 0 to 4294967295',
      () => signedPrekeySignedMessage(2 ** 32, new Uint8Array(32)),
    ],
    [
      'responderIdentityKey must be 32 bytes',
      () => x3dhAssociatedData(new Uint8Array(32), new Uint8Array(33)),
    ],
    [
      'header.n must be an integer from 0 to 4294967295',
      () => encodeHeader({ dh: new Uint8Array(32), pn: 0, n: -1 }),
    ],
    [
      'local.userId must be a non-empty string',
      () =>
        safetyNumber(
          { userId: '', identityKey: new Uint8Array(32) },
          { userId: 'b', identityKey: new Uint8Array(32) },
        ),
    ],
    [
      'createdAt must be a non-negative integer',
      () => generateSignedPrekey(generateIdentityKeyPair(), 1, 1.5),
    ],
    [
      'oneTimePrekeys[0].publicKey must be 32 bytes',
      () =>
        keyUploadToJson(new Uint8Array(32), generateSignedPrekey(generateIdentityKeyPair(), 1, 0), [
          { id: 1, publicKey: new Uint8Array(1), secretKey: new Uint8Array(32) },
        ]),
    ],
  ])('%s', (message, action) => {
    expect(action).toThrow(InvalidArgumentError);
    expect(action).toThrow(message);
  });

  it('reports an identity key that is not a curve point', () => {
    const notAPoint = new Uint8Array(32).fill(0xff);
    expect(() => identityKeyToX25519(notAPoint)).toThrow(
      'identityKey is not a valid Ed25519 public key',
    );
  });

  it('returns fresh arrays that do not alias its inputs', () => {
    const seed = new Uint8Array(32).fill(3);
    const identity = identityKeyPairFromSeed(seed);
    seed.fill(0);
    expect(identity.secretKey[0]).toBe(3);
  });
});

describe('wire input checks', () => {
  const identity = generateIdentityKeyPair();
  const bundleJson = prekeyBundleToJson({
    identityKey: identity.publicKey,
    signedPrekey: generateSignedPrekey(identity, 1, 0),
    oneTimePrekey: null,
  });

  it.each([
    ['bundle.identity_key must be 32 bytes', { ...bundleJson, identity_key: 'AAAA' }],
    ['bundle.signed_prekey must be a JSON object', { ...bundleJson, signed_prekey: null }],
    [
      'bundle.signed_prekey.id must be an integer from 0 to 4294967295',
      { ...bundleJson, signed_prekey: { ...bundleJson.signed_prekey, id: '1' } },
    ],
    ['bundle.one_time_prekey must be a JSON object', { ...bundleJson, one_time_prekey: 5 }],
    [
      'bundle.identity_key must be base64url without padding',
      { ...bundleJson, identity_key: `${bundleJson.identity_key}=` },
    ],
  ])('bundle: %s', (message, json) => {
    expect(() => prekeyBundleFromJson(json)).toThrow(MalformedInputError);
    expect(() => prekeyBundleFromJson(json)).toThrow(message);
  });

  it('refuses a malformed encrypted message, header or stored session', () => {
    expect(() => encryptedMessageFromJson({ version: 2 })).toThrow('message.version must be 1');
    expect(() =>
      encryptedMessageFromJson({ version: 1, initial: null, header: 'AA', ciphertext: '' }),
    ).toThrow('message.header must be 41 bytes');
    expect(() => decodeHeader(new Uint8Array(41))).toThrow('header version must be 1');
    expect(() => sessionFromJson('{')).toThrow('session is not valid JSON');
  });
});
