/**
 * @hearth/crypto: end-to-end encryption for Hearth direct messages.
 * The protocol is specified in docs/protocol/e2ee.md. This entry point is platform-neutral;
 * the browser key store is at `@hearth/crypto/indexeddb`.
 */
export * from './errors.js';
export type { RandomBytes, X25519KeyPair } from './primitives.js';
export {
  generateIdentityKeyPair,
  identityKeyPairFromSeed,
  identityKeyStatus,
  identityKeyToX25519,
  identitySecretKeyToX25519,
  type IdentityKeyPair,
  type IdentityKeyStatus,
} from './identity.js';
export {
  generateOneTimePrekeys,
  generateSignedPrekey,
  nextPrekeyId,
  signedPrekeySignedMessage,
  verifySignedPrekey,
  type OneTimePrekey,
  type SignedPrekey,
} from './prekeys.js';
export * from './prekey-policy.js';
export * from './bundle.js';
export {
  x3dhAssociatedData,
  x3dhInitiate,
  x3dhRespond,
  type InitialMessage,
  type X3dhAgreement,
  type X3dhInitiation,
} from './x3dh.js';
export { decodeHeader, encodeHeader, HEADER_LENGTH, type MessageHeader } from './ratchet/header.js';
export {
  initReceiverState,
  initSenderState,
  ratchetDecrypt,
  ratchetEncrypt,
  type RatchetMessage,
} from './ratchet/double-ratchet.js';
export { MAX_SKIP, MAX_SKIPPED_KEYS, type RatchetState } from './ratchet/state.js';
export * from './encrypted-message.js';
export {
  createInitiatorSession,
  createResponderSession,
  sessionDecrypt,
  sessionEncrypt,
  sessionFromJson,
  sessionToJson,
  type Session,
} from './session.js';
export * from './session-manager.js';
export * from './safety-number.js';
export type { KeyMaterial } from './key-material.js';
export * from './backup.js';
export * from './attachments.js';
export type { KeyStore } from './keystore/key-store.js';
export {
  RecordKeyStore,
  type RecordBackend,
  type RecordKind,
} from './keystore/record-key-store.js';
export { MemoryKeyStore } from './keystore/memory-key-store.js';
