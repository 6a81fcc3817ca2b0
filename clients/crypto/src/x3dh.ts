/**
 * X3DH key agreement, as specified by Signal ("The X3DH Key Agreement Protocol", rev. 1),
 * with Curve25519 keys, SHA-256 and the info string "Hearth_X3DH_v1" (X3DH §2.1).
 *
 * The identity keys are Ed25519 and enter DH1/DH2 through their X25519 form (identity.ts).
 */
import type { PrekeyBundle } from './bundle.js';
import { concatBytes, encodePublicKey, KEY_TYPE_ED25519, utf8 } from './encoding.js';
import { AuthenticationError, InvalidArgumentError } from './errors.js';
import {
  identityKeyToX25519,
  identitySecretKeyToX25519,
  type IdentityKeyPair,
} from './identity.js';
import type { OneTimePrekey, SignedPrekey } from './prekeys.js';
import { verifySignedPrekey } from './prekeys.js';
import {
  diffieHellman,
  hkdfSha256,
  secureRandomBytes,
  x25519KeyPair,
  type RandomBytes,
} from './primitives.js';
import { checkBytes, checkUint32 } from './validate.js';

const X3DH_INFO = utf8('Hearth_X3DH_v1');
/** X3DH §2.2: F, 32 0xFF bytes for X25519, separates this KDF input from XEdDSA's domain. */
const X3DH_F = new Uint8Array(32).fill(0xff);
/** X3DH §2.2: the HKDF salt is a zero-filled byte sequence as long as the hash output. */
const X3DH_SALT = new Uint8Array(32);

/** What the responder needs from the initiator's first message (X3DH §3.3). */
export interface InitialMessage {
  /** The initiator's Ed25519 identity key IK_A. */
  readonly identityKey: Uint8Array;
  /** The initiator's X25519 ephemeral key EK_A. */
  readonly ephemeralKey: Uint8Array;
  readonly signedPrekeyId: number;
  /** `null` when the bundle carried no one-time prekey (X3DH §3.3, DH4 omitted). */
  readonly oneTimePrekeyId: number | null;
}

export interface X3dhAgreement {
  /** SK, 32 bytes: the Double Ratchet's first root key. */
  readonly sharedSecret: Uint8Array;
  /** AD = Encode(IK_A) || Encode(IK_B), 66 bytes (X3DH §3.3). */
  readonly associatedData: Uint8Array;
}

export interface X3dhInitiation extends X3dhAgreement {
  readonly initialMessage: InitialMessage;
}

/** X3DH §3.3 AD, with Encode() as the 0xED type byte followed by the Ed25519 public key. */
export function x3dhAssociatedData(
  initiatorIdentityKey: Uint8Array,
  responderIdentityKey: Uint8Array,
): Uint8Array {
  checkBytes('initiatorIdentityKey', initiatorIdentityKey, 32);
  checkBytes('responderIdentityKey', responderIdentityKey, 32);
  return concatBytes(
    encodePublicKey(KEY_TYPE_ED25519, initiatorIdentityKey),
    encodePublicKey(KEY_TYPE_ED25519, responderIdentityKey),
  );
}

/** X3DH §2.2 KDF: HKDF-SHA256(salt = 0^32, IKM = F || KM, info, L = 32). */
function x3dhKdf(dhOutputs: readonly Uint8Array[]): Uint8Array {
  const keyMaterial = concatBytes(X3DH_F, ...dhOutputs);
  const sharedSecret = hkdfSha256(keyMaterial, X3DH_SALT, X3DH_INFO, 32);
  // X3DH §3.3: the DH outputs are deleted once SK is derived (best effort in JavaScript).
  keyMaterial.fill(0);
  for (const output of dhOutputs) output.fill(0);
  return sharedSecret;
}

/** The initiator's side (Alice, X3DH §3.3). */
export function x3dhInitiate(
  identity: IdentityKeyPair,
  bundle: PrekeyBundle,
  random: RandomBytes = secureRandomBytes,
): X3dhInitiation {
  checkBytes('identity.publicKey', identity.publicKey, 32);
  checkBytes('identity.secretKey', identity.secretKey, 32);
  checkBytes('bundle.identityKey', bundle.identityKey, 32);
  const { signedPrekey, oneTimePrekey } = bundle;
  checkBytes('bundle.signedPrekey.publicKey', signedPrekey.publicKey, 32);
  if (oneTimePrekey !== null)
    checkBytes('bundle.oneTimePrekey.publicKey', oneTimePrekey.publicKey, 32);
  if (
    !verifySignedPrekey(
      bundle.identityKey,
      signedPrekey.id,
      signedPrekey.publicKey,
      signedPrekey.signature,
    )
  ) {
    throw new AuthenticationError('bundle signed prekey signature is invalid');
  }
  const ephemeral = x25519KeyPair(random);
  const identityX25519 = identitySecretKeyToX25519(identity.secretKey);
  const peerIdentityX25519 = identityKeyToX25519(bundle.identityKey);
  const dhOutputs = [
    diffieHellman(identityX25519, signedPrekey.publicKey),
    diffieHellman(ephemeral.secretKey, peerIdentityX25519),
    diffieHellman(ephemeral.secretKey, signedPrekey.publicKey),
  ];
  if (oneTimePrekey !== null) {
    dhOutputs.push(diffieHellman(ephemeral.secretKey, oneTimePrekey.publicKey));
  }
  const sharedSecret = x3dhKdf(dhOutputs);
  ephemeral.secretKey.fill(0);
  identityX25519.fill(0);
  return {
    sharedSecret,
    associatedData: x3dhAssociatedData(identity.publicKey, bundle.identityKey),
    initialMessage: {
      identityKey: identity.publicKey.slice(),
      ephemeralKey: ephemeral.publicKey,
      signedPrekeyId: signedPrekey.id,
      oneTimePrekeyId: oneTimePrekey === null ? null : oneTimePrekey.id,
    },
  };
}

/**
 * The responder's side (Bob, X3DH §3.4). The caller looks up the prekeys the initial message
 * names; this function checks that they are the ones named.
 */
export function x3dhRespond(
  identity: IdentityKeyPair,
  signedPrekey: SignedPrekey,
  oneTimePrekey: OneTimePrekey | null,
  initialMessage: InitialMessage,
): X3dhAgreement {
  checkBytes('identity.publicKey', identity.publicKey, 32);
  checkBytes('identity.secretKey', identity.secretKey, 32);
  checkBytes('signedPrekey.secretKey', signedPrekey.secretKey, 32);
  checkBytes('initialMessage.identityKey', initialMessage.identityKey, 32);
  checkBytes('initialMessage.ephemeralKey', initialMessage.ephemeralKey, 32);
  checkUint32('initialMessage.signedPrekeyId', initialMessage.signedPrekeyId);
  if (signedPrekey.id !== initialMessage.signedPrekeyId) {
    throw new InvalidArgumentError('signedPrekey.id must match initialMessage.signedPrekeyId');
  }
  if ((oneTimePrekey?.id ?? null) !== initialMessage.oneTimePrekeyId) {
    throw new InvalidArgumentError('oneTimePrekey must match initialMessage.oneTimePrekeyId');
  }
  const identityX25519 = identitySecretKeyToX25519(identity.secretKey);
  const peerIdentityX25519 = identityKeyToX25519(initialMessage.identityKey);
  const { ephemeralKey } = initialMessage;
  const dhOutputs = [
    diffieHellman(signedPrekey.secretKey, peerIdentityX25519),
    diffieHellman(identityX25519, ephemeralKey),
    diffieHellman(signedPrekey.secretKey, ephemeralKey),
  ];
  if (oneTimePrekey !== null) {
    checkBytes('oneTimePrekey.secretKey', oneTimePrekey.secretKey, 32);
    dhOutputs.push(diffieHellman(oneTimePrekey.secretKey, ephemeralKey));
  }
  identityX25519.fill(0);
  return {
    sharedSecret: x3dhKdf(dhOutputs),
    associatedData: x3dhAssociatedData(initialMessage.identityKey, identity.publicKey),
  };
}
