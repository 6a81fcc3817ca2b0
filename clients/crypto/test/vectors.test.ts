/**
 * The package against the committed vectors in docs/protocol/vectors/e2ee/, which the node's
 * Python tests read too. Every value is recomputed from the inputs recorded in the files.
 */
import { readFileSync } from 'node:fs';

import { x25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';

import {
  createInitiatorSession,
  createResponderSession,
  decodeHeader,
  encryptedMessageFromJson,
  encryptedMessageToJson,
  identityKeyPairFromSeed,
  identityKeyToX25519,
  identitySecretKeyToX25519,
  initialMessageToJson,
  prekeyBundleFromJson,
  prekeyBundleToJson,
  safetyNumber,
  sessionDecrypt,
  sessionEncrypt,
  signedPrekeySignedMessage,
  verifySignedPrekey,
  x3dhInitiate,
  x3dhRespond,
  type OneTimePrekey,
  type PrekeyBundle,
  type Session,
  type SignedPrekey,
} from '../src/index.js';
import { kdfChain, kdfRoot, messageCipherKeys } from '../src/ratchet/kdf.js';
import { fixedRandom } from './support/fixed-random.js';
import { hex, unhex } from './support/hex.js';

const VECTORS = new URL('../../../docs/protocol/vectors/e2ee/', import.meta.url);

function load(name: string): unknown {
  return JSON.parse(readFileSync(new URL(name, VECTORS), 'utf8'));
}

interface ConversionCase {
  name: string;
  ed25519_seed: string;
  ed25519_public_key: string;
  x25519_public_key: string;
  x25519_secret_key: string;
}

describe('identity-conversion.json', () => {
  const { cases } = load('identity-conversion.json') as { cases: ConversionCase[] };

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, vector) => {
    const identity = identityKeyPairFromSeed(unhex(vector.ed25519_seed));
    expect(hex(identity.publicKey)).toBe(vector.ed25519_public_key);
    expect(hex(identityKeyToX25519(identity.publicKey))).toBe(vector.x25519_public_key);
    expect(hex(identitySecretKeyToX25519(identity.secretKey))).toBe(vector.x25519_secret_key);
    expect(hex(x25519.getPublicKey(unhex(vector.x25519_secret_key)))).toBe(
      vector.x25519_public_key,
    );
  });
});

describe('signed-prekey-signature.json', () => {
  const vector = load('signed-prekey-signature.json') as {
    identity_seed: string;
    identity_public_key: string;
    signed_prekey_id: number;
    signed_prekey_public_key: string;
    signed_message: string;
    signature: string;
    bundle_json: unknown;
  };

  it('has the documented 59-byte signed message and a valid signature', () => {
    const publicKey = unhex(vector.signed_prekey_public_key);
    const message = signedPrekeySignedMessage(vector.signed_prekey_id, publicKey);
    expect(hex(message)).toBe(vector.signed_message);
    expect(message.length).toBe(59);
    expect(new TextDecoder().decode(message.slice(0, 22))).toBe('Hearth_SignedPrekey_v1');
    const identityKey = unhex(vector.identity_public_key);
    expect(hex(identityKeyPairFromSeed(unhex(vector.identity_seed)).publicKey)).toBe(
      vector.identity_public_key,
    );
    expect(
      verifySignedPrekey(identityKey, vector.signed_prekey_id, publicKey, unhex(vector.signature)),
    ).toBe(true);
    expect(
      verifySignedPrekey(
        identityKey,
        vector.signed_prekey_id + 1,
        publicKey,
        unhex(vector.signature),
      ),
    ).toBe(false);
  });

  it('round-trips the bundle JSON', () => {
    const bundle = prekeyBundleFromJson(vector.bundle_json);
    expect(hex(bundle.signedPrekey.signature)).toBe(vector.signature);
    expect(prekeyBundleToJson(bundle)).toEqual(vector.bundle_json);
  });
});

interface X3dhCase {
  name: string;
  alice_identity_seed: string;
  alice_ephemeral_secret_key: string;
  bob_identity_seed: string;
  bob_signed_prekey_id: number;
  bob_signed_prekey_secret_key: string;
  bob_signed_prekey_public_key: string;
  bob_signed_prekey_signature: string;
  bob_one_time_prekey_id: number | null;
  bob_one_time_prekey_secret_key: string | null;
  bob_one_time_prekey_public_key: string | null;
  dh_outputs: string[];
  shared_secret: string;
  associated_data: string;
  initial_message_json: unknown;
}

function bobPrekeys(vector: X3dhCase): { signed: SignedPrekey; oneTime: OneTimePrekey | null } {
  const oneTime =
    vector.bob_one_time_prekey_id === null
      ? null
      : {
          id: vector.bob_one_time_prekey_id,
          secretKey: unhex(vector.bob_one_time_prekey_secret_key ?? ''),
          publicKey: unhex(vector.bob_one_time_prekey_public_key ?? ''),
        };
  return {
    signed: {
      id: vector.bob_signed_prekey_id,
      secretKey: unhex(vector.bob_signed_prekey_secret_key),
      publicKey: unhex(vector.bob_signed_prekey_public_key),
      signature: unhex(vector.bob_signed_prekey_signature),
      createdAt: 0,
    },
    oneTime,
  };
}

function bundleOf(vector: X3dhCase): PrekeyBundle {
  const { signed, oneTime } = bobPrekeys(vector);
  return {
    identityKey: identityKeyPairFromSeed(unhex(vector.bob_identity_seed)).publicKey,
    signedPrekey: signed,
    oneTimePrekey: oneTime,
  };
}

describe('x3dh.json', () => {
  const { cases } = load('x3dh.json') as { cases: X3dhCase[] };

  it('covers both the one-time prekey path and the path without one', () => {
    expect(cases.map((c) => c.bob_one_time_prekey_id === null)).toEqual([false, true]);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, vector) => {
    const alice = identityKeyPairFromSeed(unhex(vector.alice_identity_seed));
    const bob = identityKeyPairFromSeed(unhex(vector.bob_identity_seed));
    const ephemeral = unhex(vector.alice_ephemeral_secret_key);
    const initiation = x3dhInitiate(alice, bundleOf(vector), fixedRandom([ephemeral]));
    expect(hex(initiation.sharedSecret)).toBe(vector.shared_secret);
    expect(hex(initiation.associatedData)).toBe(vector.associated_data);
    expect(initialMessageToJson(initiation.initialMessage)).toEqual(vector.initial_message_json);

    const { signed, oneTime } = bobPrekeys(vector);
    const response = x3dhRespond(bob, signed, oneTime, initiation.initialMessage);
    expect(hex(response.sharedSecret)).toBe(vector.shared_secret);
    expect(hex(response.associatedData)).toBe(vector.associated_data);

    const aliceX = identitySecretKeyToX25519(alice.secretKey);
    const expectedDh = [
      x25519.getSharedSecret(aliceX, signed.publicKey),
      x25519.getSharedSecret(ephemeral, identityKeyToX25519(bob.publicKey)),
      x25519.getSharedSecret(ephemeral, signed.publicKey),
      ...(oneTime === null ? [] : [x25519.getSharedSecret(ephemeral, oneTime.publicKey)]),
    ];
    expect(expectedDh.map(hex)).toEqual(vector.dh_outputs);
  });
});

interface MessageVector {
  sender: 'alice' | 'bob';
  plaintext: string;
  header: string;
  header_fields: { dh: string; pn: number; n: number };
  message_key: string;
  aead_key: string;
  aead_nonce: string;
  associated_data: string;
  ciphertext: string;
  message_json: unknown;
}

describe('double-ratchet.json', () => {
  const vector = load('double-ratchet.json') as {
    shared_secret: string;
    x3dh_associated_data: string;
    ratchet_secret_keys: { alice: string[]; bob: string[] };
    chain: {
      alice_root_step: { root_key: string; chain_key: string };
      bob_root_step: { root_key: string; chain_key: string };
    };
    messages: MessageVector[];
  };
  const [x3dhCase] = (load('x3dh.json') as { cases: X3dhCase[] }).cases;
  if (x3dhCase === undefined) throw new Error('x3dh.json has no cases');
  const text = new TextEncoder();

  it('derives the documented chain keys step by step', () => {
    const [aliceRatchet] = vector.ratchet_secret_keys.alice.map(unhex);
    const [bobRatchet] = vector.ratchet_secret_keys.bob.map(unhex);
    if (aliceRatchet === undefined || bobRatchet === undefined) throw new Error('missing keys');
    const spk = unhex(x3dhCase.bob_signed_prekey_public_key);
    const aliceRoot = kdfRoot(
      unhex(vector.shared_secret),
      x25519.getSharedSecret(aliceRatchet, spk),
    );
    expect(hex(aliceRoot.rootKey)).toBe(vector.chain.alice_root_step.root_key);
    expect(hex(aliceRoot.chainKey)).toBe(vector.chain.alice_root_step.chain_key);
    const bobRoot = kdfRoot(
      aliceRoot.rootKey,
      x25519.getSharedSecret(bobRatchet, x25519.getPublicKey(aliceRatchet)),
    );
    expect(hex(bobRoot.rootKey)).toBe(vector.chain.bob_root_step.root_key);
    expect(hex(bobRoot.chainKey)).toBe(vector.chain.bob_root_step.chain_key);
    const first = kdfChain(aliceRoot.chainKey);
    const second = kdfChain(first.chainKey);
    const third = kdfChain(bobRoot.chainKey);
    expect([first, second, third].map((step) => hex(step.messageKey))).toEqual(
      vector.messages.map((message) => message.message_key),
    );
    for (const message of vector.messages) {
      const keys = messageCipherKeys(unhex(message.message_key));
      expect([hex(keys.key), hex(keys.nonce)]).toEqual([message.aead_key, message.aead_nonce]);
      expect(message.associated_data).toBe(vector.x3dh_associated_data + message.header);
    }
  });

  it('produces the same header and ciphertext bytes and reads them back', () => {
    const alice = identityKeyPairFromSeed(unhex(x3dhCase.alice_identity_seed));
    const bob = identityKeyPairFromSeed(unhex(x3dhCase.bob_identity_seed));
    const { signed, oneTime } = bobPrekeys(x3dhCase);
    let aliceSession: Session = createInitiatorSession(
      alice,
      bundleOf(x3dhCase),
      fixedRandom([
        unhex(x3dhCase.alice_ephemeral_secret_key),
        ...vector.ratchet_secret_keys.alice.map(unhex),
      ]),
    );
    let bobSession: Session | undefined;
    const bobRandom = fixedRandom(vector.ratchet_secret_keys.bob.map(unhex));

    for (const message of vector.messages) {
      const encrypted = encryptedMessageFromJson(message.message_json);
      expect(hex(encrypted.header)).toBe(message.header);
      expect(hex(encrypted.ciphertext)).toBe(message.ciphertext);
      expect(decodeHeader(encrypted.header)).toEqual({
        dh: unhex(message.header_fields.dh),
        pn: message.header_fields.pn,
        n: message.header_fields.n,
      });
      if (message.sender === 'alice') {
        const sent = sessionEncrypt(aliceSession, text.encode(message.plaintext));
        aliceSession = sent.session;
        expect(encryptedMessageToJson(sent.message)).toEqual(message.message_json);
        bobSession ??= createResponderSession(
          bob,
          signed,
          oneTime,
          encrypted.initialMessage ?? missing(),
        );
        const read = sessionDecrypt(bobSession, encrypted, bobRandom);
        bobSession = read.session;
        expect(new TextDecoder().decode(read.plaintext)).toBe(message.plaintext);
      } else {
        if (bobSession === undefined) throw new Error('bob answers before he has a session');
        const sent = sessionEncrypt(bobSession, text.encode(message.plaintext));
        bobSession = sent.session;
        expect(encryptedMessageToJson(sent.message)).toEqual(message.message_json);
      }
    }
    expect(bobRandom.remaining()).toBe(0);
  });
});

function missing(): never {
  throw new Error('the first message must carry the X3DH initial message');
}

describe('safety-number.json', () => {
  const vector = load('safety-number.json') as {
    iterations: number;
    parties: { user_id: string; identity_key: string }[];
    digits: string;
    groups: string[];
    qr_payload: string;
    qr_text: string;
  };

  it('gives the documented digits and QR payload from either side', () => {
    const [a, b] = vector.parties.map((party) => ({
      userId: party.user_id,
      identityKey: unhex(party.identity_key),
    }));
    if (a === undefined || b === undefined) throw new Error('two parties expected');
    for (const number of [safetyNumber(a, b), safetyNumber(b, a)]) {
      expect(number.digits).toBe(vector.digits);
      expect(number.groups).toEqual(vector.groups);
      expect(hex(number.qrPayload)).toBe(vector.qr_payload);
      expect(number.qrText).toBe(vector.qr_text);
    }
  });
});
