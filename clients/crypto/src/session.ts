/**
 * A pairwise session: X3DH to agree on SK and AD, then the Double Ratchet keyed by them
 * (Double Ratchet §5.1, "Integration with X3DH"): SK is the first root key, the responder's
 * signed prekey is its first ratchet key, and AD is the associated data of every message.
 */
import type { PrekeyBundle } from './bundle.js';
import { toBase64Url } from './encoding.js';
import {
  initialMessageFromJson,
  initialMessageToJson,
  type EncryptedMessage,
} from './encrypted-message.js';
import { MalformedInputError } from './errors.js';
import type { IdentityKeyPair } from './identity.js';
import { asObject, parseJsonText, readBytes, readVersion } from './json-fields.js';
import type { OneTimePrekey, SignedPrekey } from './prekeys.js';
import { secureRandomBytes, type RandomBytes } from './primitives.js';
import {
  initReceiverState,
  initSenderState,
  ratchetDecrypt,
  ratchetEncrypt,
} from './ratchet/double-ratchet.js';
import { ratchetStateFromJson, ratchetStateToJson, type RatchetState } from './ratchet/state.js';
import { checkBytes } from './validate.js';
import { x3dhInitiate, x3dhRespond, type InitialMessage } from './x3dh.js';

export interface Session {
  /** The peer's Ed25519 identity key, bound into every message through AD. */
  readonly peerIdentityKey: Uint8Array;
  /** X3DH AD = Encode(IK_A) || Encode(IK_B). */
  readonly associatedData: Uint8Array;
  /** The initiator's ephemeral key EK_A: names the X3DH run this session came from. */
  readonly baseKey: Uint8Array;
  /** Sent along with every message until the peer's first reply has been read. */
  readonly pendingInitialMessage: InitialMessage | null;
  readonly ratchet: RatchetState;
}

/** Alice's side: X3DH against a fetched bundle, then RatchetInitAlice with SPK_B. */
export function createInitiatorSession(
  identity: IdentityKeyPair,
  bundle: PrekeyBundle,
  random: RandomBytes = secureRandomBytes,
): Session {
  const agreement = x3dhInitiate(identity, bundle, random);
  return {
    peerIdentityKey: bundle.identityKey.slice(),
    associatedData: agreement.associatedData,
    baseKey: agreement.initialMessage.ephemeralKey.slice(),
    pendingInitialMessage: agreement.initialMessage,
    ratchet: initSenderState(agreement.sharedSecret, bundle.signedPrekey.publicKey, random),
  };
}

/** Bob's side: X3DH from an initial message, then RatchetInitBob with the signed prekey pair. */
export function createResponderSession(
  identity: IdentityKeyPair,
  signedPrekey: SignedPrekey,
  oneTimePrekey: OneTimePrekey | null,
  initialMessage: InitialMessage,
): Session {
  const agreement = x3dhRespond(identity, signedPrekey, oneTimePrekey, initialMessage);
  return {
    peerIdentityKey: initialMessage.identityKey.slice(),
    associatedData: agreement.associatedData,
    baseKey: initialMessage.ephemeralKey.slice(),
    pendingInitialMessage: null,
    ratchet: initReceiverState(agreement.sharedSecret, signedPrekey),
  };
}

function copyInitialMessage(initial: InitialMessage | null): InitialMessage | null {
  return initial === null
    ? null
    : {
        ...initial,
        identityKey: initial.identityKey.slice(),
        ephemeralKey: initial.ephemeralKey.slice(),
      };
}

export function sessionEncrypt(
  session: Session,
  plaintext: Uint8Array,
): { session: Session; message: EncryptedMessage } {
  checkBytes('plaintext', plaintext);
  const { state, message: sealed } = ratchetEncrypt(
    session.ratchet,
    plaintext,
    session.associatedData,
  );
  return {
    session: { ...session, ratchet: state },
    message: { initialMessage: copyInitialMessage(session.pendingInitialMessage), ...sealed },
  };
}

/** Decrypts with the session's ratchet; a successful read ends the initiator's pending state. */
export function sessionDecrypt(
  session: Session,
  message: EncryptedMessage,
  random: RandomBytes = secureRandomBytes,
): { session: Session; plaintext: Uint8Array } {
  const { state, plaintext } = ratchetDecrypt(
    session.ratchet,
    message,
    session.associatedData,
    random,
  );
  return { session: { ...session, ratchet: state, pendingInitialMessage: null }, plaintext };
}

/** The stored form of a session: UTF-8 JSON (docs/protocol/e2ee.md, "Stored state"). */
export function sessionToJson(session: Session): string {
  return JSON.stringify({
    version: 1,
    peer_identity_key: toBase64Url(session.peerIdentityKey),
    associated_data: toBase64Url(session.associatedData),
    base_key: toBase64Url(session.baseKey),
    pending_initial_message:
      session.pendingInitialMessage === null
        ? null
        : initialMessageToJson(session.pendingInitialMessage),
    ratchet: ratchetStateToJson(session.ratchet),
  });
}

export function sessionFromJson(text: string): Session {
  const object = asObject(parseJsonText(text, 'session'), 'session');
  readVersion(object, 'session', 1);
  const pending = object.pending_initial_message;
  if (pending === undefined) {
    throw new MalformedInputError('session.pending_initial_message must be present');
  }
  return {
    peerIdentityKey: readBytes(object, 'peer_identity_key', 'session', 32),
    associatedData: readBytes(object, 'associated_data', 'session', 66),
    baseKey: readBytes(object, 'base_key', 'session', 32),
    pendingInitialMessage:
      pending === null ? null : initialMessageFromJson(pending, 'session.pending_initial_message'),
    ratchet: ratchetStateFromJson(object.ratchet, 'session.ratchet'),
  };
}
