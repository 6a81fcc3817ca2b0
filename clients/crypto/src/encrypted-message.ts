/**
 * An end-to-end encrypted message as a client hands it to the node, which stores and relays it
 * without being able to read it (docs/protocol/e2ee.md, "Encrypted message"). `initial` is present on every message the initiator sends until it has read a reply, so that
 * the responder can run X3DH from whichever of those messages arrives first (X3DH §3.3).
 */
import { toBase64Url } from './encoding.js';
import { asObject, readBytes, readInteger, readVersion, type JsonObject } from './json-fields.js';
import { HEADER_LENGTH } from './ratchet/header.js';
import type { InitialMessage } from './x3dh.js';
import { checkBytes, checkUint32 } from './validate.js';

export interface EncryptedMessage {
  readonly initialMessage: InitialMessage | null;
  /** The 41-byte Double Ratchet header. */
  readonly header: Uint8Array;
  readonly ciphertext: Uint8Array;
}

export interface InitialMessageJson {
  readonly identity_key: string;
  readonly ephemeral_key: string;
  readonly signed_prekey_id: number;
  readonly one_time_prekey_id: number | null;
}

export interface EncryptedMessageJson {
  readonly version: 1;
  readonly initial: InitialMessageJson | null;
  readonly header: string;
  readonly ciphertext: string;
}

export function initialMessageToJson(initial: InitialMessage): InitialMessageJson {
  return {
    identity_key: toBase64Url(checkBytes('initialMessage.identityKey', initial.identityKey, 32)),
    ephemeral_key: toBase64Url(checkBytes('initialMessage.ephemeralKey', initial.ephemeralKey, 32)),
    signed_prekey_id: checkUint32('initialMessage.signedPrekeyId', initial.signedPrekeyId),
    one_time_prekey_id:
      initial.oneTimePrekeyId === null
        ? null
        : checkUint32('initialMessage.oneTimePrekeyId', initial.oneTimePrekeyId),
  };
}

export function initialMessageFromJson(value: unknown, path: string): InitialMessage {
  const object = asObject(value, path);
  return {
    identityKey: readBytes(object, 'identity_key', path, 32),
    ephemeralKey: readBytes(object, 'ephemeral_key', path, 32),
    signedPrekeyId: readInteger(object, 'signed_prekey_id', path),
    oneTimePrekeyId:
      object.one_time_prekey_id === null ? null : readInteger(object, 'one_time_prekey_id', path),
  };
}

export function encryptedMessageToJson(message: EncryptedMessage): EncryptedMessageJson {
  return {
    version: 1,
    initial: message.initialMessage === null ? null : initialMessageToJson(message.initialMessage),
    header: toBase64Url(checkBytes('message.header', message.header, HEADER_LENGTH)),
    ciphertext: toBase64Url(checkBytes('message.ciphertext', message.ciphertext)),
  };
}

export function encryptedMessageFromJson(value: unknown): EncryptedMessage {
  const object: JsonObject = asObject(value, 'message');
  readVersion(object, 'message', 1);
  return {
    initialMessage:
      object.initial === null ? null : initialMessageFromJson(object.initial, 'message.initial'),
    header: readBytes(object, 'header', 'message', HEADER_LENGTH),
    ciphertext: readBytes(object, 'ciphertext', 'message'),
  };
}
