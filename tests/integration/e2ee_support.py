"""Key material and message bodies as a client sends them (docs/protocol/e2ee.md), built with
PyNaCl so the node's checks meet real Ed25519 signatures and X25519 keys."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import nacl.public
import nacl.signing

from domain.base64url import encode
from domain.keys import signed_prekey_message
from domain.message import HEADER_BYTES


def x25519_public() -> str:
    return encode(bytes(nacl.public.PrivateKey.generate().public_key))


@dataclass
class Device:
    """A device's identity key, from which it signs prekeys and builds uploads."""

    identity: nacl.signing.SigningKey = field(default_factory=nacl.signing.SigningKey.generate)

    @property
    def identity_key(self) -> str:
        return encode(bytes(self.identity.verify_key))

    def signed_prekey(self, prekey_id: int = 1) -> dict[str, Any]:
        public = nacl.public.PrivateKey.generate().public_key
        signature = self.identity.sign(signed_prekey_message(prekey_id, bytes(public))).signature
        return {
            "id": prekey_id,
            "public_key": encode(bytes(public)),
            "signature": encode(signature),
        }

    def upload(self, one_time: int = 0, first_id: int = 1, prekey_id: int = 1) -> dict[str, Any]:
        """The body of ``POST /api/v1/keys`` with ``one_time`` one-time prekeys."""
        return {
            "identity_key": self.identity_key,
            "signed_prekey": self.signed_prekey(prekey_id),
            "one_time_prekeys": [
                {"id": first_id + i, "public_key": x25519_public()} for i in range(one_time)
            ],
        }


def encrypted_message(size: int = 64, initial: bool = True) -> dict[str, Any]:
    """An encrypted message's fields as ``encryptedMessageToJson`` gives them. The bytes are
    random: the node cannot tell them from a real Double Ratchet output (the real thing runs
    through the node in test_e2ee_conversation.py)."""
    body: dict[str, Any] = {
        "version": 1,
        "ciphertext": encode(secrets.token_bytes(size)),
        "header": encode(b"\x01" + secrets.token_bytes(HEADER_BYTES - 1)),
        "initial": None,
    }
    if initial:
        body["initial"] = {
            "identity_key": Device().identity_key,
            "ephemeral_key": x25519_public(),
            "signed_prekey_id": 1,
            "one_time_prekey_id": 7,
        }
    return body
