/**
 * JSON forms of this device's own key pairs, shared by the key stores and the key backup
 * (docs/protocol/e2ee.md, "Stored state"). Reading checks every length and that each identity
 * public key matches its secret key.
 */
import { toBase64Url } from './encoding.js';
import { MalformedInputError } from './errors.js';
import { identityKeyPairFromSeed, type IdentityKeyPair } from './identity.js';
import { asObject, readBytes, readInteger, type JsonObject } from './json-fields.js';
import type { OneTimePrekey, SignedPrekey } from './prekeys.js';
import { constantTimeEqual } from './primitives.js';

export interface KeyMaterial {
  readonly identity: IdentityKeyPair;
  readonly signedPrekeys: readonly SignedPrekey[];
  readonly oneTimePrekeys: readonly OneTimePrekey[];
}

export function identityToJson(identity: IdentityKeyPair): JsonObject {
  return {
    public_key: toBase64Url(identity.publicKey),
    secret_key: toBase64Url(identity.secretKey),
  };
}

export function identityFromJson(value: unknown, path: string): IdentityKeyPair {
  const object = asObject(value, path);
  const identity = identityKeyPairFromSeed(readBytes(object, 'secret_key', path, 32));
  if (!constantTimeEqual(identity.publicKey, readBytes(object, 'public_key', path, 32))) {
    throw new MalformedInputError(`${path}.public_key does not match its secret key`);
  }
  return identity;
}

export function signedPrekeyToJson(prekey: SignedPrekey): JsonObject {
  return {
    id: prekey.id,
    public_key: toBase64Url(prekey.publicKey),
    secret_key: toBase64Url(prekey.secretKey),
    signature: toBase64Url(prekey.signature),
    created_at: prekey.createdAt,
  };
}

export function signedPrekeyFromJson(value: unknown, path: string): SignedPrekey {
  const object = asObject(value, path);
  return {
    id: readInteger(object, 'id', path),
    publicKey: readBytes(object, 'public_key', path, 32),
    secretKey: readBytes(object, 'secret_key', path, 32),
    signature: readBytes(object, 'signature', path, 64),
    createdAt: readInteger(object, 'created_at', path, Number.MAX_SAFE_INTEGER),
  };
}

export function oneTimePrekeyToJson(prekey: OneTimePrekey): JsonObject {
  return {
    id: prekey.id,
    public_key: toBase64Url(prekey.publicKey),
    secret_key: toBase64Url(prekey.secretKey),
  };
}

export function oneTimePrekeyFromJson(value: unknown, path: string): OneTimePrekey {
  const object = asObject(value, path);
  return {
    id: readInteger(object, 'id', path),
    publicKey: readBytes(object, 'public_key', path, 32),
    secretKey: readBytes(object, 'secret_key', path, 32),
  };
}
