import { describe, expect, it } from 'vitest';

import {
  AuthenticationError,
  DEFAULT_BACKUP_KDF,
  decryptKeyBackup,
  encryptKeyBackup,
  exportKeyBackup,
  generateIdentityKeyPair,
  generateOneTimePrekeys,
  generateSignedPrekey,
  importKeyBackup,
  InvalidArgumentError,
  MalformedInputError,
  MemoryKeyStore,
  MIN_BACKUP_KDF,
  type KeyMaterial,
} from '../src/index.js';

function material(): KeyMaterial {
  const identity = generateIdentityKeyPair();
  return {
    identity,
    signedPrekeys: [
      generateSignedPrekey(identity, 1, 1000),
      generateSignedPrekey(identity, 2, 2000),
    ],
    oneTimePrekeys: generateOneTimePrekeys(1, 3),
  };
}

/** The smallest parameters export accepts: keeps these tests quick; one test uses the default. */
const FAST = { kdf: MIN_BACKUP_KDF };

describe('key backup', () => {
  it('round-trips through export and import with the default Argon2id parameters', async () => {
    const keys = material();
    const backup = await encryptKeyBackup(keys, 'correct horse battery staple');
    const parsed = JSON.parse(backup) as {
      kdf: Record<string, unknown>;
      format: string;
      version: number;
    };
    expect(parsed).toMatchObject({ format: 'hearth-key-backup', version: 1 });
    expect(parsed.kdf).toMatchObject({
      algorithm: 'argon2id',
      memory_kib: 65536,
      iterations: 3,
      parallelism: 1,
    });
    expect(DEFAULT_BACKUP_KDF.memoryKiB).toBe(65536);
    expect(await decryptKeyBackup(backup, 'correct horse battery staple')).toEqual(keys);
  });

  it('holds no key in clear', async () => {
    const keys = material();
    const backup = await encryptKeyBackup(keys, 'passphrase', FAST);
    const secretText = Buffer.from(keys.identity.secretKey).toString('base64url');
    expect(backup).not.toContain(secretText);
  });

  it('refuses a wrong passphrase', async () => {
    const backup = await encryptKeyBackup(material(), 'the right one', FAST);
    await expect(decryptKeyBackup(backup, 'the wrong one')).rejects.toThrow(AuthenticationError);
  });

  it('treats a passphrase the same in any Unicode normal form', async () => {
    const keys = material();
    const backup = await encryptKeyBackup(keys, 'caf\u00e9 cr\u00e8me', FAST);
    expect(await decryptKeyBackup(backup, 'cafe\u0301 cre\u0300me')).toEqual(keys);
  });

  it('refuses altered parameters or ciphertext', async () => {
    const backup = JSON.parse(await encryptKeyBackup(material(), 'pass', FAST)) as {
      kdf: { iterations: number };
      ciphertext: string;
    };
    const moreIterations = {
      ...backup,
      kdf: { ...backup.kdf, iterations: backup.kdf.iterations + 1 },
    };
    await expect(decryptKeyBackup(JSON.stringify(moreIterations), 'pass')).rejects.toThrow(
      AuthenticationError,
    );
    const flipped = backup.ciphertext.startsWith('A')
      ? `B${backup.ciphertext.slice(1)}`
      : `A${backup.ciphertext.slice(1)}`;
    await expect(
      decryptKeyBackup(JSON.stringify({ ...backup, ciphertext: flipped }), 'pass'),
    ).rejects.toThrow(AuthenticationError);
  });

  it('refuses weak parameters on export and excessive ones on import', async () => {
    await expect(
      encryptKeyBackup(material(), 'pass', {
        kdf: { memoryKiB: 1024, iterations: 1, parallelism: 1 },
      }),
    ).rejects.toThrow('options.kdf.memoryKiB must be an integer from 19456 to 262144');
    const backup = JSON.parse(await encryptKeyBackup(material(), 'pass', FAST)) as { kdf: object };
    const huge = { ...backup, kdf: { ...backup.kdf, memory_kib: 4 * 1024 * 1024 } };
    await expect(decryptKeyBackup(JSON.stringify(huge), 'pass')).rejects.toThrow(
      MalformedInputError,
    );
    await expect(decryptKeyBackup('{"format":"other"}', 'pass')).rejects.toThrow(
      MalformedInputError,
    );
    await expect(encryptKeyBackup(material(), '', FAST)).rejects.toThrow(InvalidArgumentError);
  });

  it('exports from one key store and imports into another', async () => {
    const keys = material();
    const source = new MemoryKeyStore();
    await source.putIdentityKeyPair(keys.identity);
    for (const prekey of keys.signedPrekeys) await source.putSignedPrekey(prekey);
    await source.putOneTimePrekeys(keys.oneTimePrekeys);
    const backup = await exportKeyBackup(source, 'moving house', FAST);

    const target = new MemoryKeyStore();
    await importKeyBackup(target, backup, 'moving house');
    expect(await target.getIdentityKeyPair()).toEqual(keys.identity);
    expect(await target.listSignedPrekeys()).toEqual(keys.signedPrekeys);
    expect(await target.listOneTimePrekeys()).toEqual(keys.oneTimePrekeys);
  });
});
