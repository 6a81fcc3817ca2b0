/**
 * The package's one exception tree. Callers branch on the class, never on the message text.
 *
 * - {@link InvalidArgumentError}: the caller passed something malformed (a programming error).
 * - {@link MalformedInputError}: bytes or JSON that arrived from outside cannot be parsed.
 * - {@link AuthenticationError}: a signature, AEAD tag or backup passphrase did not verify.
 * - {@link DuplicateMessageError}: a message (or an X3DH initial message) was already accepted.
 * - {@link SkippedKeyLimitError}: a message would need more skipped keys than the bound allows.
 * - {@link UnknownPrekeyError}: an initial message names a prekey this device no longer holds.
 * - {@link NoSessionError}: a message arrived for a conversation that has no session here.
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

export class UnknownPrekeyError extends HearthCryptoError {}

export class NoSessionError extends HearthCryptoError {}
