"""The key directory's rules: what a user may publish for X3DH, and what a bundle holds.

docs/protocol/e2ee.md, "Prekeys" and "Key upload and bundle". A user uploads the public
halves of an Ed25519 identity key, a signed prekey and one-time prekeys; anyone fetching a
**bundle** gets the identity key, the signed prekey and at most one one-time prekey, which is
handed out once only. The node checks the signed prekey's signature before publishing it,
so it never serves a bundle that X3DH would refuse (X3DH §3.2).

The prekeys themselves are not events: they are consumed one at a time and must be forgotten
once handed out, which a log cannot do. The identity key is also recorded in the log, because
its changes must reach the user's DM partners (``domain.identity_keys``).
"""

from __future__ import annotations

import nacl.exceptions
import nacl.signing
from pydantic import BaseModel, ConfigDict, Field

from domain import base64url
from domain.errors import InvalidCommand

IDENTITY_KEY_BYTES = 32
"""Ed25519 public key (RFC 8032)."""
PREKEY_BYTES = 32
"""X25519 public key (RFC 7748)."""
SIGNATURE_BYTES = 64
MAX_PREKEY_ID = 2**32 - 1
"""Prekey ids are ``uint32_be`` on the wire (e2ee.md, "Encodings")."""
ONE_TIME_PREKEY_BATCH = 100
"""One-time prekeys are uploaded in batches of 100 (e2ee.md, "Prekeys"): the most one upload
may carry."""
MAX_HELD_ONE_TIME_PREKEYS = 1000
"""The most a user may hold on the node. Clients keep about a batch (they upload one when
fewer than 20 are left); the bound stops uploads from growing a user's rows without end."""

SIGNED_PREKEY_CONTEXT = b"Hearth_SignedPrekey_v1"
X25519_KEY_TYPE = b"\x05"
"""The type byte of Encode(PK) for an X25519 key (X3DH §2.2; e2ee.md, "Encodings")."""

MAX_KEY_TEXT = 100
"""An outer bound on the base64url text of a key or signature (a 64-byte signature is 86
characters), for request parsing; exact sizes are checked after decoding."""


class InvalidSignature(InvalidCommand):
    """The signed prekey's signature does not verify under the identity key."""

    code = "invalid_signature"


class _Wire(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SignedPrekey(_Wire):
    id: int = Field(ge=0, le=MAX_PREKEY_ID)
    public_key: str = Field(max_length=MAX_KEY_TEXT)
    signature: str = Field(max_length=MAX_KEY_TEXT)


class OneTimePrekey(_Wire):
    id: int = Field(ge=0, le=MAX_PREKEY_ID)
    public_key: str = Field(max_length=MAX_KEY_TEXT)


class KeyUpload(_Wire):
    """The body of ``POST /api/v1/keys``: public halves only, base64url."""

    identity_key: str = Field(max_length=MAX_KEY_TEXT)
    signed_prekey: SignedPrekey
    one_time_prekeys: tuple[OneTimePrekey, ...] = ()


class Bundle(_Wire):
    """What ``GET /api/v1/users/{id}/keys`` answers (X3DH §3.2)."""

    identity_key: str
    signed_prekey: SignedPrekey
    one_time_prekey: OneTimePrekey | None


def signed_prekey_message(prekey_id: int, public_key: bytes) -> bytes:
    """The 59 bytes the identity key signs: context, ``uint32_be(id)``, Encode(SPK)."""
    return SIGNED_PREKEY_CONTEXT + prekey_id.to_bytes(4, "big") + X25519_KEY_TYPE + public_key


def verify_signed_prekey(
    identity_key: bytes, prekey_id: int, public_key: bytes, signature: bytes
) -> None:
    """Ed25519 verification by libsodium, which is strict as e2ee.md "Primitives" asks:
    a non-canonical ``S`` and small-order keys or ``R`` are refused."""
    try:
        nacl.signing.VerifyKey(identity_key).verify(
            signed_prekey_message(prekey_id, public_key), signature
        )
    except nacl.exceptions.BadSignatureError:
        raise InvalidSignature(
            "signed_prekey.signature does not verify under identity_key"
        ) from None


def check_upload(upload: KeyUpload) -> None:
    """Refuse an upload the node must not publish: wrong sizes, non-canonical base64url,
    repeated or too many one-time prekeys, or a signed prekey its identity key did not sign."""
    identity_key = base64url.decode_sized("identity_key", upload.identity_key, IDENTITY_KEY_BYTES)
    signed = upload.signed_prekey
    verify_signed_prekey(
        identity_key,
        signed.id,
        base64url.decode_sized("signed_prekey.public_key", signed.public_key, PREKEY_BYTES),
        base64url.decode_sized("signed_prekey.signature", signed.signature, SIGNATURE_BYTES),
    )
    if len(upload.one_time_prekeys) > ONE_TIME_PREKEY_BATCH:
        raise InvalidCommand(
            f"one_time_prekeys holds at most {ONE_TIME_PREKEY_BATCH} keys per upload"
        )
    for index, prekey in enumerate(upload.one_time_prekeys):
        base64url.decode_sized(
            f"one_time_prekeys.{index}.public_key", prekey.public_key, PREKEY_BYTES
        )
    if len({prekey.id for prekey in upload.one_time_prekeys}) != len(upload.one_time_prekeys):
        raise InvalidCommand("one_time_prekeys must have distinct ids")


def check_holding(count: int) -> None:
    """After an upload the user may hold at most ``MAX_HELD_ONE_TIME_PREKEYS``."""
    if count > MAX_HELD_ONE_TIME_PREKEYS:
        raise InvalidCommand(
            f"a user holds at most {MAX_HELD_ONE_TIME_PREKEYS} one-time prekeys on the node"
        )
