/**
 * Double Ratchet state (§3.2) and its JSON form for storage. State values are immutable: every
 * operation returns a new state, so a refused message (§3.5, "changes to the state object are
 * discarded") simply leaves the caller holding the old one.
 */
import { toBase64Url } from '../encoding.js';
import {
  asArray,
  asObject,
  readBytes,
  readInteger,
  readVersion,
  type JsonObject,
} from '../json-fields.js';
import type { X25519KeyPair } from '../primitives.js';

/** §3.5 MAX_SKIP: the most message keys one received message may make us skip in a chain. */
export const MAX_SKIP = 1000;
/**
 * Upper bound on stored skipped message keys across all chains (§6.4 asks for one); the oldest
 * are dropped first.
 */
export const MAX_SKIPPED_KEYS = 2000;

export interface SkippedMessageKey {
  readonly ratchetKey: Uint8Array;
  readonly n: number;
  readonly messageKey: Uint8Array;
}

export interface RatchetState {
  /** RK */
  readonly rootKey: Uint8Array;
  /** DHs */
  readonly sendingRatchetKey: X25519KeyPair;
  /** DHr, `null` until the first message is received. */
  readonly receivingRatchetKey: Uint8Array | null;
  /** CKs, `null` for the responder until its first DH ratchet step. */
  readonly sendingChainKey: Uint8Array | null;
  /** CKr */
  readonly receivingChainKey: Uint8Array | null;
  /** Ns */
  readonly sendCount: number;
  /** Nr */
  readonly receiveCount: number;
  /** PN */
  readonly previousSendCount: number;
  /** MKSKIPPED, in insertion order (oldest first), keyed by {@link skippedKeyId}. */
  readonly skippedMessageKeys: ReadonlyMap<string, SkippedMessageKey>;
}

export function skippedKeyId(ratchetKey: Uint8Array, n: number): string {
  return `${toBase64Url(ratchetKey)}.${n}`;
}

function optionalBytes(value: Uint8Array | null): string | null {
  return value === null ? null : toBase64Url(value);
}

export function ratchetStateToJson(state: RatchetState): Record<string, unknown> {
  return {
    version: 1,
    root_key: toBase64Url(state.rootKey),
    sending_ratchet_secret_key: toBase64Url(state.sendingRatchetKey.secretKey),
    sending_ratchet_public_key: toBase64Url(state.sendingRatchetKey.publicKey),
    receiving_ratchet_key: optionalBytes(state.receivingRatchetKey),
    sending_chain_key: optionalBytes(state.sendingChainKey),
    receiving_chain_key: optionalBytes(state.receivingChainKey),
    send_count: state.sendCount,
    receive_count: state.receiveCount,
    previous_send_count: state.previousSendCount,
    skipped_message_keys: [...state.skippedMessageKeys.values()].map((skipped) => ({
      ratchet_key: toBase64Url(skipped.ratchetKey),
      n: skipped.n,
      message_key: toBase64Url(skipped.messageKey),
    })),
  };
}

function readOptionalBytes(object: JsonObject, key: string, path: string): Uint8Array | null {
  return object[key] === null ? null : readBytes(object, key, path, 32);
}

export function ratchetStateFromJson(value: unknown, path: string): RatchetState {
  const object = asObject(value, path);
  readVersion(object, path, 1);
  const skipped = asArray(object.skipped_message_keys, `${path}.skipped_message_keys`).map(
    (entry, i): SkippedMessageKey => {
      const entryPath = `${path}.skipped_message_keys[${i}]`;
      const item = asObject(entry, entryPath);
      return {
        ratchetKey: readBytes(item, 'ratchet_key', entryPath, 32),
        n: readInteger(item, 'n', entryPath),
        messageKey: readBytes(item, 'message_key', entryPath, 32),
      };
    },
  );
  return {
    rootKey: readBytes(object, 'root_key', path, 32),
    sendingRatchetKey: {
      secretKey: readBytes(object, 'sending_ratchet_secret_key', path, 32),
      publicKey: readBytes(object, 'sending_ratchet_public_key', path, 32),
    },
    receivingRatchetKey: readOptionalBytes(object, 'receiving_ratchet_key', path),
    sendingChainKey: readOptionalBytes(object, 'sending_chain_key', path),
    receivingChainKey: readOptionalBytes(object, 'receiving_chain_key', path),
    sendCount: readInteger(object, 'send_count', path),
    receiveCount: readInteger(object, 'receive_count', path),
    previousSendCount: readInteger(object, 'previous_send_count', path),
    skippedMessageKeys: new Map(
      skipped.map((entry) => [skippedKeyId(entry.ratchetKey, entry.n), entry]),
    ),
  };
}
