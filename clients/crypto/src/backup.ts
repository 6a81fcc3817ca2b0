/**
 * Encrypted key backup (docs/protocol/e2ee.md, "Key backup"): this device's identity key and
 * prekeys, sealed with XChaCha20-Poly1305 under a key derived from a passphrase with Argon2id
 * (RFC 9106). Sessions are deliberately left out: restoring an old ratchet state would reuse
 * message keys, so after a restore every conversation re-initialises through X3DH.
 */
import { argon2idAsync } from '@noble/hashes/argon2.js';

import { concatBytes, fromUtf8, toBase64Url, uint32BigEndian, utf8 } from './encoding.js';
import {
  AuthenticationError,
  InvalidArgumentError,
  MalformedInputError,
  MissingKeyError,
} from './errors.js';
import {
  asArray,
  asObject,
  parseJsonText,
  readBytes,
  readInteger,
  readString,
  readVersion,
  type JsonObject,
} from './json-fields.js';
import {
  identityFromJson,
  identityToJson,
  oneTimePrekeyFromJson,
  oneTimePrekeyToJson,
  signedPrekeyFromJson,
  signedPrekeyToJson,
  type KeyMaterial,
} from './key-material.js';
import type { KeyStore } from './keystore/key-store.js';
import { aeadOpen, aeadSeal, secureRandomBytes, type RandomBytes } from './primitives.js';
import { checkArray, checkBytes, checkNonEmptyString } from './validate.js';

export interface Argon2idParameters {
  /** m, in KiB. */
  readonly memoryKiB: number;
  /** t */
  readonly iterations: number;
  /** p */
  readonly parallelism: number;
}

/**
 * RFC 9106 §4's second recommended option (64 MiB, t = 3) with one lane: JavaScript runs the
 * lanes on one thread, so more lanes would add no cost for an attacker with real parallelism.
 */
export const DEFAULT_BACKUP_KDF: Argon2idParameters = {
  memoryKiB: 64 * 1024,
  iterations: 3,
  parallelism: 1,
};
/** Below this (the OWASP minimum: 19 MiB, t = 2) a backup is refused on export. */
export const MIN_BACKUP_KDF: Argon2idParameters = {
  memoryKiB: 19 * 1024,
  iterations: 2,
  parallelism: 1,
};
/** Above this a backup is refused on import, so a crafted file cannot exhaust memory or time. */
export const MAX_BACKUP_KDF: Argon2idParameters = {
  memoryKiB: 256 * 1024,
  iterations: 10,
  parallelism: 4,
};

const FORMAT = 'hearth-key-backup';
const KDF_NAME = 'argon2id';
const CIPHER_NAME = 'xchacha20-poly1305';
const SALT_LENGTH = 16;
const NONCE_LENGTH = 24;
const AD_CONTEXT = utf8('Hearth_KeyBackup_v1');

export interface ExportOptions {
  readonly kdf?: Argon2idParameters;
  readonly random?: RandomBytes;
}

function checkKdf(
  kdf: Argon2idParameters,
  path: string,
  error: new (message: string) => Error,
): void {
  for (const field of ['memoryKiB', 'iterations', 'parallelism'] as const) {
    const value = kdf[field];
    if (
      !Number.isInteger(value) ||
      value < MIN_BACKUP_KDF[field] ||
      value > MAX_BACKUP_KDF[field]
    ) {
      throw new error(
        `${path}.${field} must be an integer from ${MIN_BACKUP_KDF[field]} to ${MAX_BACKUP_KDF[field]}`,
      );
    }
  }
}

/** The passphrase is NFKC-normalised so the same words typed on any keyboard give one key. */
function deriveKey(
  passphrase: string,
  salt: Uint8Array,
  kdf: Argon2idParameters,
): Promise<Uint8Array> {
  return argon2idAsync(utf8(passphrase.normalize('NFKC')), salt, {
    m: kdf.memoryKiB,
    t: kdf.iterations,
    p: kdf.parallelism,
    dkLen: 32,
  });
}

/** AEAD additional data: the context string, then m, t, p (uint32_be each), then the salt. */
function backupAssociatedData(kdf: Argon2idParameters, salt: Uint8Array): Uint8Array {
  return concatBytes(
    AD_CONTEXT,
    uint32BigEndian(kdf.memoryKiB),
    uint32BigEndian(kdf.iterations),
    uint32BigEndian(kdf.parallelism),
    salt,
  );
}

function keyMaterialToJson(material: KeyMaterial): JsonObject {
  return {
    version: 1,
    identity: identityToJson(material.identity),
    signed_prekeys: material.signedPrekeys.map(signedPrekeyToJson),
    one_time_prekeys: material.oneTimePrekeys.map(oneTimePrekeyToJson),
  };
}

function keyMaterialFromJson(value: unknown): KeyMaterial {
  const object = asObject(value, 'keys');
  readVersion(object, 'keys', 1);
  return {
    identity: identityFromJson(object.identity, 'keys.identity'),
    signedPrekeys: asArray(object.signed_prekeys, 'keys.signed_prekeys').map((prekey, i) =>
      signedPrekeyFromJson(prekey, `keys.signed_prekeys[${i}]`),
    ),
    oneTimePrekeys: asArray(object.one_time_prekeys, 'keys.one_time_prekeys').map((prekey, i) =>
      oneTimePrekeyFromJson(prekey, `keys.one_time_prekeys[${i}]`),
    ),
  };
}

/** Seals key material into the backup JSON text. */
export async function encryptKeyBackup(
  material: KeyMaterial,
  passphrase: string,
  options: ExportOptions = {},
): Promise<string> {
  checkNonEmptyString('passphrase', passphrase);
  checkBytes('material.identity.publicKey', material.identity.publicKey, 32);
  checkBytes('material.identity.secretKey', material.identity.secretKey, 32);
  checkArray('material.signedPrekeys', material.signedPrekeys);
  checkArray('material.oneTimePrekeys', material.oneTimePrekeys);
  const kdf = options.kdf ?? DEFAULT_BACKUP_KDF;
  checkKdf(kdf, 'options.kdf', InvalidArgumentError);
  const random = options.random ?? secureRandomBytes;
  const salt = random(SALT_LENGTH);
  const nonce = random(NONCE_LENGTH);
  const plaintext = utf8(JSON.stringify(keyMaterialToJson(material)));
  const key = await deriveKey(passphrase, salt, kdf);
  const ciphertext = aeadSeal(key, nonce, plaintext, backupAssociatedData(kdf, salt));
  key.fill(0);
  plaintext.fill(0);
  return JSON.stringify({
    format: FORMAT,
    version: 1,
    kdf: {
      algorithm: KDF_NAME,
      memory_kib: kdf.memoryKiB,
      iterations: kdf.iterations,
      parallelism: kdf.parallelism,
      salt: toBase64Url(salt),
    },
    cipher: { algorithm: CIPHER_NAME, nonce: toBase64Url(nonce) },
    ciphertext: toBase64Url(ciphertext),
  });
}

function readAlgorithm(object: JsonObject, path: string, expected: string): void {
  if (readString(object, 'algorithm', path) !== expected) {
    throw new MalformedInputError(`${path}.algorithm must be "${expected}"`);
  }
}

/** Opens backup JSON text; a wrong passphrase or altered backup is an AuthenticationError. */
export async function decryptKeyBackup(
  backupText: string,
  passphrase: string,
): Promise<KeyMaterial> {
  checkNonEmptyString('passphrase', passphrase);
  const backup = asObject(parseJsonText(backupText, 'backup'), 'backup');
  if (backup.format !== FORMAT) throw new MalformedInputError(`backup.format must be "${FORMAT}"`);
  readVersion(backup, 'backup', 1);
  const kdfObject = asObject(backup.kdf, 'backup.kdf');
  readAlgorithm(kdfObject, 'backup.kdf', KDF_NAME);
  const kdf: Argon2idParameters = {
    memoryKiB: readInteger(kdfObject, 'memory_kib', 'backup.kdf'),
    iterations: readInteger(kdfObject, 'iterations', 'backup.kdf'),
    parallelism: readInteger(kdfObject, 'parallelism', 'backup.kdf'),
  };
  checkKdf(kdf, 'backup.kdf', MalformedInputError);
  const salt = readBytes(kdfObject, 'salt', 'backup.kdf', SALT_LENGTH);
  const cipher = asObject(backup.cipher, 'backup.cipher');
  readAlgorithm(cipher, 'backup.cipher', CIPHER_NAME);
  const nonce = readBytes(cipher, 'nonce', 'backup.cipher', NONCE_LENGTH);
  const ciphertext = readBytes(backup, 'ciphertext', 'backup');

  const key = await deriveKey(passphrase, salt, kdf);
  let plaintext: Uint8Array;
  try {
    plaintext = aeadOpen(key, nonce, ciphertext, backupAssociatedData(kdf, salt), 'backup');
  } catch {
    throw new AuthenticationError('backup passphrase is wrong or the backup was altered');
  } finally {
    key.fill(0);
  }
  return keyMaterialFromJson(parseJsonText(fromUtf8(plaintext), 'backup keys'));
}

/** Reads this device's keys from a store and seals them (see {@link encryptKeyBackup}). */
export async function exportKeyBackup(
  store: KeyStore,
  passphrase: string,
  options: ExportOptions = {},
): Promise<string> {
  const identity = await store.getIdentityKeyPair();
  if (identity === undefined) throw new MissingKeyError('key store holds no identity key pair');
  const material: KeyMaterial = {
    identity,
    signedPrekeys: await store.listSignedPrekeys(),
    oneTimePrekeys: await store.listOneTimePrekeys(),
  };
  return encryptKeyBackup(material, passphrase, options);
}

/** Opens a backup and writes its keys into a store, replacing the identity key pair there. */
export async function importKeyBackup(
  store: KeyStore,
  backupText: string,
  passphrase: string,
): Promise<KeyMaterial> {
  const material = await decryptKeyBackup(backupText, passphrase);
  await store.putIdentityKeyPair(material.identity);
  for (const prekey of material.signedPrekeys) await store.putSignedPrekey(prekey);
  await store.putOneTimePrekeys(material.oneTimePrekeys);
  return material;
}
