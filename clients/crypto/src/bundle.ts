/**
 * The prekey bundle a node hands out (X3DH §3.2) and the key upload a client sends. JSON shapes
 * and byte encodings are fixed in docs/protocol/e2ee.md, "Bundle" and "Key upload".
 */
import { toBase64Url } from './encoding.js';
import { asObject, readBytes, readInteger } from './json-fields.js';
import type { OneTimePrekey, SignedPrekey } from './prekeys.js';
import { checkArray, checkBytes, checkUint32 } from './validate.js';

export interface PublicSignedPrekey {
  readonly id: number;
  readonly publicKey: Uint8Array;
  readonly signature: Uint8Array;
}

export interface PublicOneTimePrekey {
  readonly id: number;
  readonly publicKey: Uint8Array;
}

export interface PrekeyBundle {
  /** The peer's Ed25519 identity key. */
  readonly identityKey: Uint8Array;
  readonly signedPrekey: PublicSignedPrekey;
  /** `null` once the node has run out of one-time prekeys for this user (X3DH §3.2). */
  readonly oneTimePrekey: PublicOneTimePrekey | null;
}

export interface SignedPrekeyJson {
  readonly id: number;
  readonly public_key: string;
  readonly signature: string;
}

export interface OneTimePrekeyJson {
  readonly id: number;
  readonly public_key: string;
}

export interface PrekeyBundleJson {
  readonly identity_key: string;
  readonly signed_prekey: SignedPrekeyJson;
  readonly one_time_prekey: OneTimePrekeyJson | null;
}

export interface KeyUploadJson {
  readonly identity_key: string;
  readonly signed_prekey: SignedPrekeyJson;
  readonly one_time_prekeys: readonly OneTimePrekeyJson[];
}

function signedPrekeyToJson(prekey: PublicSignedPrekey, path: string): SignedPrekeyJson {
  return {
    id: checkUint32(`${path}.id`, prekey.id),
    public_key: toBase64Url(checkBytes(`${path}.publicKey`, prekey.publicKey, 32)),
    signature: toBase64Url(checkBytes(`${path}.signature`, prekey.signature, 64)),
  };
}

function oneTimePrekeyToJson(prekey: PublicOneTimePrekey, path: string): OneTimePrekeyJson {
  return {
    id: checkUint32(`${path}.id`, prekey.id),
    public_key: toBase64Url(checkBytes(`${path}.publicKey`, prekey.publicKey, 32)),
  };
}

export function prekeyBundleToJson(bundle: PrekeyBundle): PrekeyBundleJson {
  return {
    identity_key: toBase64Url(checkBytes('bundle.identityKey', bundle.identityKey, 32)),
    signed_prekey: signedPrekeyToJson(bundle.signedPrekey, 'bundle.signedPrekey'),
    one_time_prekey:
      bundle.oneTimePrekey === null
        ? null
        : oneTimePrekeyToJson(bundle.oneTimePrekey, 'bundle.oneTimePrekey'),
  };
}

/**
 * Parses a bundle's JSON form. Only the shape is checked here; the signature is checked by
 * X3DH when the bundle is used (X3DH §3.3: "Alice verifies the prekey signature").
 */
export function prekeyBundleFromJson(value: unknown): PrekeyBundle {
  const bundle = asObject(value, 'bundle');
  const signed = asObject(bundle.signed_prekey, 'bundle.signed_prekey');
  const oneTime = bundle.one_time_prekey;
  return {
    identityKey: readBytes(bundle, 'identity_key', 'bundle', 32),
    signedPrekey: {
      id: readInteger(signed, 'id', 'bundle.signed_prekey'),
      publicKey: readBytes(signed, 'public_key', 'bundle.signed_prekey', 32),
      signature: readBytes(signed, 'signature', 'bundle.signed_prekey', 64),
    },
    oneTimePrekey:
      oneTime === null ? null : oneTimePrekeyFromJson(oneTime, 'bundle.one_time_prekey'),
  };
}

function oneTimePrekeyFromJson(value: unknown, path: string): PublicOneTimePrekey {
  const prekey = asObject(value, path);
  return {
    id: readInteger(prekey, 'id', path),
    publicKey: readBytes(prekey, 'public_key', path, 32),
  };
}

/** The body of `POST /api/v1/keys`: public halves only, never a secret key. */
export function keyUploadToJson(
  identityKey: Uint8Array,
  signedPrekey: SignedPrekey,
  oneTimePrekeys: readonly OneTimePrekey[],
): KeyUploadJson {
  return {
    identity_key: toBase64Url(checkBytes('identityKey', identityKey, 32)),
    signed_prekey: signedPrekeyToJson(signedPrekey, 'signedPrekey'),
    one_time_prekeys: checkArray('oneTimePrekeys', oneTimePrekeys).map((prekey, i) =>
      oneTimePrekeyToJson(prekey, `oneTimePrekeys[${i}]`),
    ),
  };
}
