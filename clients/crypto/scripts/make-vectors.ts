/**
 * Writes the e2ee test vectors to docs/protocol/vectors/e2ee/. Every key comes from a fixed
 * label (SHA-256 of "Hearth e2ee vector: <label>"), so a run always writes the same files; the
 * vitest suite checks the package against the committed files and `git diff` shows any drift.
 *
 *     npm run vectors
 */
import { writeFileSync } from 'node:fs';

import { x25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';

import {
  createInitiatorSession,
  createResponderSession,
  encryptedMessageToJson,
  decodeHeader,
  identityKeyPairFromSeed,
  identityKeyToX25519,
  identitySecretKeyToX25519,
  initialMessageToJson,
  prekeyBundleToJson,
  safetyNumber,
  sessionDecrypt,
  sessionEncrypt,
  signedPrekeySignedMessage,
  SAFETY_NUMBER_ITERATIONS,
  x3dhInitiate,
  type OneTimePrekey,
  type PrekeyBundle,
  type Session,
  type SignedPrekey,
} from '../src/index.js';
import { aeadOpen, ed25519Sign } from '../src/primitives.js';
import { kdfChain, kdfRoot, messageCipherKeys } from '../src/ratchet/kdf.js';
import { fixedRandom } from '../test/support/fixed-random.js';
import { hex } from '../test/support/hex.js';

const OUT_DIR = new URL('../../../docs/protocol/vectors/e2ee/', import.meta.url);
const text = new TextEncoder();

export function vectorKey(label: string): Uint8Array {
  return sha256(text.encode(`Hearth e2ee vector: ${label}`));
}

function write(name: string, content: object): void {
  writeFileSync(new URL(name, OUT_DIR), `${JSON.stringify(content, null, 2)}\n`);
  console.log(`wrote docs/protocol/vectors/e2ee/${name}`);
}

const alice = identityKeyPairFromSeed(vectorKey('alice identity'));
const bob = identityKeyPairFromSeed(vectorKey('bob identity'));
const SIGNED_PREKEY_ID = 7;
const ONE_TIME_PREKEY_ID = 42;
const CREATED_AT = 1_700_000_000_000;

function x25519Pair(secretKey: Uint8Array): { secretKey: Uint8Array; publicKey: Uint8Array } {
  return { secretKey, publicKey: x25519.getPublicKey(secretKey) };
}

const bobSignedPrekeyPair = x25519Pair(vectorKey('bob signed prekey'));
const bobSignedPrekey: SignedPrekey = {
  id: SIGNED_PREKEY_ID,
  ...bobSignedPrekeyPair,
  signature: ed25519Sign(
    bob.secretKey,
    signedPrekeySignedMessage(SIGNED_PREKEY_ID, bobSignedPrekeyPair.publicKey),
  ),
  createdAt: CREATED_AT,
};
const bobOneTimePrekey: OneTimePrekey = {
  id: ONE_TIME_PREKEY_ID,
  ...x25519Pair(vectorKey('bob one-time prekey')),
};

function bundle(withOneTimePrekey: boolean): PrekeyBundle {
  return {
    identityKey: bob.publicKey,
    signedPrekey: bobSignedPrekey,
    oneTimePrekey: withOneTimePrekey ? bobOneTimePrekey : null,
  };
}

function identityConversion(): object {
  const cases = [
    {
      name: 'libsodium test/default/ed25519_convert',
      seed: '421151a459faeade3d247115f94aedae42318124095afabe4d1451a559faedee',
    },
    {
      name: 'RFC 8032 section 7.1 TEST 1',
      seed: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    },
    { name: 'Hearth vector alice', seed: hex(alice.secretKey) },
    { name: 'Hearth vector bob', seed: hex(bob.secretKey) },
  ];
  return {
    description:
      'Ed25519 identity key to X25519 (identity.ts): public key by the birational map ' +
      'u = (1 + y) / (1 - y); secret key = clamp(SHA-512(seed)[0..32]). Same as libsodium ' +
      'crypto_sign_ed25519_pk_to_curve25519 / crypto_sign_ed25519_sk_to_curve25519.',
    cases: cases.map(({ name, seed }) => {
      const identity = identityKeyPairFromSeed(Buffer.from(seed, 'hex'));
      return {
        name,
        ed25519_seed: seed,
        ed25519_public_key: hex(identity.publicKey),
        x25519_public_key: hex(identityKeyToX25519(identity.publicKey)),
        x25519_secret_key: hex(identitySecretKeyToX25519(identity.secretKey)),
      };
    }),
  };
}

function signedPrekeySignature(): object {
  const message = signedPrekeySignedMessage(SIGNED_PREKEY_ID, bobSignedPrekey.publicKey);
  return {
    description:
      'Signed prekey signature: Ed25519 (RFC 8032, pure) by the identity key over ' +
      '"Hearth_SignedPrekey_v1" || uint32_be(id) || 0x05 || X25519 public key (59 bytes). ' +
      'Check: nacl.signing.VerifyKey(identity_public_key).verify(signed_message, signature).',
    identity_seed: hex(bob.secretKey),
    identity_public_key: hex(bob.publicKey),
    signed_prekey_id: SIGNED_PREKEY_ID,
    signed_prekey_secret_key: hex(bobSignedPrekey.secretKey),
    signed_prekey_public_key: hex(bobSignedPrekey.publicKey),
    signed_message: hex(message),
    signature: hex(bobSignedPrekey.signature),
    bundle_json: prekeyBundleToJson(bundle(true)),
  };
}

function x3dhCase(name: string, withOneTimePrekey: boolean): object {
  const ephemeralSecret = vectorKey(`alice ephemeral ${name}`);
  const ephemeralPublic = x25519.getPublicKey(ephemeralSecret);
  const aliceX = identitySecretKeyToX25519(alice.secretKey);
  const bobX = identityKeyToX25519(bob.publicKey);
  const dh = [
    x25519.getSharedSecret(aliceX, bobSignedPrekey.publicKey),
    x25519.getSharedSecret(ephemeralSecret, bobX),
    x25519.getSharedSecret(ephemeralSecret, bobSignedPrekey.publicKey),
  ];
  if (withOneTimePrekey)
    dh.push(x25519.getSharedSecret(ephemeralSecret, bobOneTimePrekey.publicKey));
  const result = x3dhInitiate(alice, bundle(withOneTimePrekey), fixedRandom([ephemeralSecret]));
  return {
    name,
    alice_identity_seed: hex(alice.secretKey),
    alice_identity_public_key: hex(alice.publicKey),
    alice_ephemeral_secret_key: hex(ephemeralSecret),
    alice_ephemeral_public_key: hex(ephemeralPublic),
    bob_identity_seed: hex(bob.secretKey),
    bob_identity_public_key: hex(bob.publicKey),
    bob_signed_prekey_id: SIGNED_PREKEY_ID,
    bob_signed_prekey_secret_key: hex(bobSignedPrekey.secretKey),
    bob_signed_prekey_public_key: hex(bobSignedPrekey.publicKey),
    bob_signed_prekey_signature: hex(bobSignedPrekey.signature),
    bob_one_time_prekey_id: withOneTimePrekey ? ONE_TIME_PREKEY_ID : null,
    bob_one_time_prekey_secret_key: withOneTimePrekey ? hex(bobOneTimePrekey.secretKey) : null,
    bob_one_time_prekey_public_key: withOneTimePrekey ? hex(bobOneTimePrekey.publicKey) : null,
    dh_outputs: dh.map(hex),
    shared_secret: hex(result.sharedSecret),
    associated_data: hex(result.associatedData),
    initial_message_json: initialMessageToJson(result.initialMessage),
  };
}

function x3dh(): object {
  return {
    description:
      'X3DH (Signal X3DH spec section 3.3) with DH1 = DH(IK_A, SPK_B), DH2 = DH(EK_A, IK_B), ' +
      'DH3 = DH(EK_A, SPK_B), DH4 = DH(EK_A, OPK_B) when present; identity keys in X25519 form. ' +
      'SK = HKDF-SHA256(salt = 32 zero bytes, IKM = 32 0xFF bytes || DH1 || DH2 || DH3 [|| DH4], ' +
      'info = "Hearth_X3DH_v1", L = 32). AD = 0xED || IK_A || 0xED || IK_B (Ed25519 keys).',
    cases: [x3dhCase('with one-time prekey', true), x3dhCase('without one-time prekey', false)],
  };
}

interface RatchetMessageVector {
  sender: string;
  plaintext: string;
  header: string;
  header_fields: { dh: string; pn: number; n: number };
  message_key: string;
  aead_key: string;
  aead_nonce: string;
  associated_data: string;
  ciphertext: string;
  message_json: object;
}

type EncryptedMessage = ReturnType<typeof sessionEncrypt>['message'];

/**
 * Encrypts one message with the session and records it, after checking that the step-by-step
 * message key opens what the session produced.
 */
function messageVector(
  sender: string,
  plaintext: string,
  messageKey: Uint8Array,
  session: Session,
): { vector: RatchetMessageVector; session: Session; encrypted: EncryptedMessage } {
  const { session: next, message: encrypted } = sessionEncrypt(session, text.encode(plaintext));
  const header = decodeHeader(encrypted.header);
  const cipherKeys = messageCipherKeys(messageKey);
  const associatedData = new Uint8Array([...session.associatedData, ...encrypted.header]);
  const opened = aeadOpen(
    cipherKeys.key,
    cipherKeys.nonce,
    encrypted.ciphertext,
    associatedData,
    'vector',
  );
  if (new TextDecoder().decode(opened) !== plaintext) {
    throw new Error('message key derivation differs');
  }
  return {
    session: next,
    encrypted,
    vector: {
      sender,
      plaintext,
      header: hex(encrypted.header),
      header_fields: { dh: hex(header.dh), pn: header.pn, n: header.n },
      message_key: hex(messageKey),
      aead_key: hex(cipherKeys.key),
      aead_nonce: hex(cipherKeys.nonce),
      associated_data: hex(associatedData),
      ciphertext: hex(encrypted.ciphertext),
      message_json: encryptedMessageToJson(encrypted),
    },
  };
}

function doubleRatchet(): object {
  const ephemeralSecret = vectorKey('alice ephemeral with one-time prekey');
  const aliceRatchet = vectorKey('alice ratchet 1');
  const bobRatchet = vectorKey('bob ratchet 1');
  const agreement = x3dhInitiate(alice, bundle(true), fixedRandom([ephemeralSecret]));

  // The chains derived step by step as in the Double Ratchet spec section 3, for implementers.
  const aliceRatchetPublic = x25519.getPublicKey(aliceRatchet);
  const aliceRoot = kdfRoot(
    agreement.sharedSecret,
    x25519.getSharedSecret(aliceRatchet, bobSignedPrekey.publicKey),
  );
  const aliceChain1 = kdfChain(aliceRoot.chainKey);
  const aliceChain2 = kdfChain(aliceChain1.chainKey);
  const bobRoot = kdfRoot(
    aliceRoot.rootKey,
    x25519.getSharedSecret(bobRatchet, aliceRatchetPublic),
  );
  const bobChain1 = kdfChain(bobRoot.chainKey);

  const aliceStart = createInitiatorSession(
    alice,
    bundle(true),
    fixedRandom([ephemeralSecret, aliceRatchet]),
  );
  const first = messageVector('alice', 'Hello Bob', aliceChain1.messageKey, aliceStart);
  const second = messageVector('alice', 'Are you there?', aliceChain2.messageKey, first.session);

  const initial = first.encrypted.initialMessage;
  if (initial === null) throw new Error('the first message must carry the X3DH initial message');
  let bobSession = createResponderSession(bob, bobSignedPrekey, bobOneTimePrekey, initial);
  bobSession = sessionDecrypt(bobSession, first.encrypted, fixedRandom([bobRatchet])).session;
  bobSession = sessionDecrypt(bobSession, second.encrypted, fixedRandom([])).session;
  const third = messageVector('bob', 'Hello Alice', bobChain1.messageKey, bobSession);
  sessionDecrypt(second.session, third.encrypted, fixedRandom([vectorKey('alice ratchet 2')]));

  return {
    description:
      'First three Double Ratchet messages after the X3DH case "with one-time prekey". ' +
      'Header = 0x01 || dh (32) || uint32_be(pn) || uint32_be(n). KDF_RK = HKDF-SHA256(salt = rk, ' +
      'IKM = dh_out, info = "Hearth_Ratchet_Root_v1", L = 64); KDF_CK: mk = HMAC-SHA256(ck, 0x01), ' +
      "ck' = HMAC-SHA256(ck, 0x02); (aead_key, aead_nonce) = HKDF-SHA256(salt = 32 zero bytes, " +
      'IKM = mk, info = "Hearth_Ratchet_Message_v1", L = 56) split 32/24; ciphertext = ' +
      'XChaCha20-Poly1305(aead_key, aead_nonce, plaintext, associated_data = X3DH AD || header). ' +
      'Ratchet key pairs are generated in the order listed under ratchet_secret_keys.',
    shared_secret: hex(agreement.sharedSecret),
    x3dh_associated_data: hex(agreement.associatedData),
    ratchet_secret_keys: { alice: [hex(aliceRatchet)], bob: [hex(bobRatchet)] },
    chain: {
      alice_root_step: { root_key: hex(aliceRoot.rootKey), chain_key: hex(aliceRoot.chainKey) },
      bob_root_step: { root_key: hex(bobRoot.rootKey), chain_key: hex(bobRoot.chainKey) },
    },
    messages: [first.vector, second.vector, third.vector],
  };
}

function safetyNumberVector(): object {
  const local = { userId: 'alice@hearth.example', identityKey: alice.publicKey };
  const remote = { userId: 'bob@hearth.example', identityKey: bob.publicKey };
  const number = safetyNumber(local, remote);
  return {
    description:
      'Safety number (safety-number.ts): per party h = uint16_be(0) || 0xED || IK || UTF-8(user id), ' +
      `then ${SAFETY_NUMBER_ITERATIONS} times h = SHA-512(h || 0xED || IK); six 5-digit groups ` +
      'from the first 30 bytes; parties ordered by hash; QR payload = 0x01 || hash_1[0..32] || ' +
      'hash_2[0..32], QR text = base64url(payload).',
    iterations: SAFETY_NUMBER_ITERATIONS,
    parties: [
      { user_id: local.userId, identity_key: hex(local.identityKey) },
      { user_id: remote.userId, identity_key: hex(remote.identityKey) },
    ],
    digits: number.digits,
    groups: number.groups,
    qr_payload: hex(number.qrPayload),
    qr_text: number.qrText,
  };
}

write('identity-conversion.json', identityConversion());
write('signed-prekey-signature.json', signedPrekeySignature());
write('x3dh.json', x3dh());
write('double-ratchet.json', doubleRatchet());
write('safety-number.json', safetyNumberVector());
