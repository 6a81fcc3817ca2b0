"""Sealing personal content with per-aggregate data keys (crypto-shredding).

Each aggregate that holds personal content (a message, a user's profile) gets its
own random 256-bit key, kept in a table beside the log rather than in it. The
sealed fields of its events are stored only as XChaCha20-Poly1305 ciphertext
(libsodium through PyNaCl). Deleting the key row is deleting the content: every
copy of the ciphertext, in the log, in backups or in Kafka, becomes noise.
"""

from __future__ import annotations

import nacl.bindings as sodium
import nacl.utils

KEY_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_KEYBYTES
NONCE_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES


class SealingError(Exception):
    """Ciphertext that does not open with its key: tampering or a wrong key."""


def new_key() -> bytes:
    return nacl.utils.random(KEY_BYTES)


def seal(key: bytes, plaintext: bytes, associated: bytes) -> bytes:
    """nonce || ciphertext; ``associated`` binds it to its event so it cannot be moved."""
    nonce = nacl.utils.random(NONCE_BYTES)
    return nonce + sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
        plaintext, associated, nonce, key
    )


def open_sealed(key: bytes, sealed: bytes, associated: bytes) -> bytes:
    nonce, ciphertext = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
    try:
        return bytes(
            sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(ciphertext, associated, nonce, key)
        )
    except nacl.exceptions.CryptoError as error:
        raise SealingError("sealed content does not open with its key") from error
