/**
 * The Double Ratchet with header in clear, as in "The Double Ratchet Algorithm" §3.3–§3.5.
 * Every function takes a state and returns a new one; a refused message changes nothing.
 */
import { concatBytes } from '../encoding.js';
import { DuplicateMessageError, InvalidArgumentError, SkippedKeyLimitError } from '../errors.js';
import {
  aeadOpen,
  aeadSeal,
  constantTimeEqual,
  diffieHellman,
  secureRandomBytes,
  x25519KeyPair,
  type RandomBytes,
  type X25519KeyPair,
} from '../primitives.js';
import { checkBytes } from '../validate.js';
import { decodeHeader, encodeHeader, type MessageHeader } from './header.js';
import { kdfChain, kdfRoot, messageCipherKeys } from './kdf.js';
import {
  MAX_SKIP,
  MAX_SKIPPED_KEYS,
  skippedKeyId,
  type RatchetState,
  type SkippedMessageKey,
} from './state.js';

export interface RatchetMessage {
  /** The 41-byte encoded header (header.ts). */
  readonly header: Uint8Array;
  /** XChaCha20-Poly1305 ciphertext with its 16-byte tag. */
  readonly ciphertext: Uint8Array;
}

/** §3.3 RatchetInitAlice: the initiator knows the responder's ratchet key (the signed prekey). */
export function initSenderState(
  sharedSecret: Uint8Array,
  receiverRatchetKey: Uint8Array,
  random: RandomBytes = secureRandomBytes,
): RatchetState {
  checkBytes('sharedSecret', sharedSecret, 32);
  checkBytes('receiverRatchetKey', receiverRatchetKey, 32);
  const sendingRatchetKey = x25519KeyPair(random);
  const root = kdfRoot(
    sharedSecret,
    diffieHellman(sendingRatchetKey.secretKey, receiverRatchetKey),
  );
  return {
    rootKey: root.rootKey,
    sendingRatchetKey,
    receivingRatchetKey: receiverRatchetKey.slice(),
    sendingChainKey: root.chainKey,
    receivingChainKey: null,
    sendCount: 0,
    receiveCount: 0,
    previousSendCount: 0,
    skippedMessageKeys: new Map(),
  };
}

/** §3.3 RatchetInitBob: the responder starts from its signed prekey pair. */
export function initReceiverState(
  sharedSecret: Uint8Array,
  ownRatchetKey: X25519KeyPair,
): RatchetState {
  checkBytes('sharedSecret', sharedSecret, 32);
  checkBytes('ownRatchetKey.secretKey', ownRatchetKey.secretKey, 32);
  checkBytes('ownRatchetKey.publicKey', ownRatchetKey.publicKey, 32);
  return {
    rootKey: sharedSecret.slice(),
    sendingRatchetKey: {
      secretKey: ownRatchetKey.secretKey.slice(),
      publicKey: ownRatchetKey.publicKey.slice(),
    },
    receivingRatchetKey: null,
    sendingChainKey: null,
    receivingChainKey: null,
    sendCount: 0,
    receiveCount: 0,
    previousSendCount: 0,
    skippedMessageKeys: new Map(),
  };
}

/**
 * §3.1 CONCAT(AD, header): the header has a fixed length and comes last, so the concatenation
 * parses uniquely without a length prefix.
 */
function messageAssociatedData(associatedData: Uint8Array, header: Uint8Array): Uint8Array {
  return concatBytes(associatedData, header);
}

function seal(
  messageKey: Uint8Array,
  plaintext: Uint8Array,
  associatedData: Uint8Array,
): Uint8Array {
  const { key, nonce } = messageCipherKeys(messageKey);
  return aeadSeal(key, nonce, plaintext, associatedData);
}

function open(
  messageKey: Uint8Array,
  ciphertext: Uint8Array,
  associatedData: Uint8Array,
): Uint8Array {
  const { key, nonce } = messageCipherKeys(messageKey);
  return aeadOpen(key, nonce, ciphertext, associatedData, 'message');
}

/** §3.4 RatchetEncrypt. */
export function ratchetEncrypt(
  state: RatchetState,
  plaintext: Uint8Array,
  associatedData: Uint8Array,
): { state: RatchetState; message: RatchetMessage } {
  checkBytes('plaintext', plaintext);
  checkBytes('associatedData', associatedData);
  if (state.sendingChainKey === null) {
    throw new InvalidArgumentError('state has no sending chain until it has received a message');
  }
  const step = kdfChain(state.sendingChainKey);
  const header = encodeHeader({
    dh: state.sendingRatchetKey.publicKey,
    pn: state.previousSendCount,
    n: state.sendCount,
  });
  const ciphertext = seal(
    step.messageKey,
    plaintext,
    messageAssociatedData(associatedData, header),
  );
  return {
    state: { ...state, sendingChainKey: step.chainKey, sendCount: state.sendCount + 1 },
    message: { header, ciphertext },
  };
}

/** The mutable working copy a decryption builds; it becomes the new state only on success. */
type Draft = { -readonly [K in keyof RatchetState]: RatchetState[K] } & {
  skippedMessageKeys: Map<string, SkippedMessageKey>;
};

/** §3.5 SkipMessageKeys, plus the total bound: the oldest stored keys are dropped first. */
function skipMessageKeys(draft: Draft, until: number): void {
  if (until - draft.receiveCount > MAX_SKIP) {
    throw new SkippedKeyLimitError(`message would skip more than ${MAX_SKIP} message keys`);
  }
  const { receivingRatchetKey } = draft;
  if (draft.receivingChainKey === null || receivingRatchetKey === null) return;
  while (draft.receiveCount < until) {
    const step = kdfChain(draft.receivingChainKey);
    const n = draft.receiveCount;
    draft.skippedMessageKeys.set(skippedKeyId(receivingRatchetKey, n), {
      ratchetKey: receivingRatchetKey,
      n,
      messageKey: step.messageKey,
    });
    draft.receivingChainKey = step.chainKey;
    draft.receiveCount = n + 1;
  }
  for (const id of draft.skippedMessageKeys.keys()) {
    if (draft.skippedMessageKeys.size <= MAX_SKIPPED_KEYS) break;
    draft.skippedMessageKeys.delete(id);
  }
}

/** §3.5 DHRatchet. */
function dhRatchet(draft: Draft, header: MessageHeader, random: RandomBytes): void {
  draft.previousSendCount = draft.sendCount;
  draft.sendCount = 0;
  draft.receiveCount = 0;
  draft.receivingRatchetKey = header.dh;
  const receiving = kdfRoot(
    draft.rootKey,
    diffieHellman(draft.sendingRatchetKey.secretKey, header.dh),
  );
  draft.receivingChainKey = receiving.chainKey;
  draft.sendingRatchetKey = x25519KeyPair(random);
  const sending = kdfRoot(
    receiving.rootKey,
    diffieHellman(draft.sendingRatchetKey.secretKey, header.dh),
  );
  draft.rootKey = sending.rootKey;
  draft.sendingChainKey = sending.chainKey;
}

function isCurrentReceivingChain(state: RatchetState, header: MessageHeader): boolean {
  return (
    state.receivingRatchetKey !== null && constantTimeEqual(header.dh, state.receivingRatchetKey)
  );
}

/**
 * §3.5 RatchetDecrypt. A message whose key was already used (a replay) or dropped is refused
 * with DuplicateMessageError; a forged or altered header or ciphertext fails authentication.
 */
export function ratchetDecrypt(
  state: RatchetState,
  message: RatchetMessage,
  associatedData: Uint8Array,
  random: RandomBytes = secureRandomBytes,
): { state: RatchetState; plaintext: Uint8Array } {
  checkBytes('message.ciphertext', message.ciphertext);
  checkBytes('associatedData', associatedData);
  const header = decodeHeader(message.header);
  const ad = messageAssociatedData(associatedData, message.header);

  const skippedId = skippedKeyId(header.dh, header.n);
  const skipped = state.skippedMessageKeys.get(skippedId);
  if (skipped !== undefined) {
    const plaintext = open(skipped.messageKey, message.ciphertext, ad);
    const skippedMessageKeys = new Map(state.skippedMessageKeys);
    skippedMessageKeys.delete(skippedId);
    return { state: { ...state, skippedMessageKeys }, plaintext };
  }

  const draft: Draft = { ...state, skippedMessageKeys: new Map(state.skippedMessageKeys) };
  if (!isCurrentReceivingChain(state, header)) {
    skipMessageKeys(draft, header.pn);
    dhRatchet(draft, header, random);
  } else if (header.n < state.receiveCount) {
    throw new DuplicateMessageError('message key was already used or discarded');
  }
  skipMessageKeys(draft, header.n);
  if (draft.receivingChainKey === null) {
    throw new InvalidArgumentError('state has no receiving chain');
  }
  const step = kdfChain(draft.receivingChainKey);
  draft.receivingChainKey = step.chainKey;
  draft.receiveCount += 1;
  const plaintext = open(step.messageKey, message.ciphertext, ad);
  return { state: draft, plaintext };
}
