/**
 * The package's one exception tree. Callers branch on the class, never on the message text.
 *
 * - {@link InvalidArgumentError}: the caller passed something malformed (a programming error).
 * - {@link MalformedInputError}: bytes or JSON that arrived from outside cannot be parsed.
 * - {@link AuthenticationError}: a signature, AEAD tag or backup passphrase did not verify, or an
 *   encrypted attachment was cut short.
 * - {@link DuplicateMessageError}: a message (or an X3DH initial message) was already accepted.
 * - {@link SkippedKeyLimitError}: a message would need more skipped keys than the bound allows.
 * - {@link MissingKeyError}: the store lacks the identity key, or a prekey an initial message names.
 * - {@link NoSessionError}: a message arrived for a conversation that has no session here.
 * - {@link KeyStoreError}: the storage under a KeyStore failed.
 */
export class HearthCryptoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidArgumentError extends HearthCryptoError {}

export class MalformedInputError extends HearthCryptoError {}

export class AuthenticationError extends HearthCryptoError {}

export class DuplicateMessageError extends HearthCryptoError {}

export class SkippedKeyLimitError extends HearthCryptoError {}

export class MissingKeyError extends HearthCryptoError {}

export class NoSessionError extends HearthCryptoError {}

/** The underlying storage (IndexedDB) failed; the original error is kept as `cause`. */
export class KeyStoreError extends HearthCryptoError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}
