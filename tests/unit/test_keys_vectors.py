"""The node's side of the e2ee vectors (docs/protocol/vectors/e2ee/), which the TypeScript
package checks too: the signed prekey message and signature the key directory verifies, the
bundle JSON it serves, and the Ed25519 -> X25519 identity conversion through libsodium."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nacl.bindings as sodium
import pytest

from domain import base64url
from domain.errors import InvalidCommand
from domain.keys import (
    Bundle,
    InvalidSignature,
    KeyUpload,
    check_upload,
    signed_prekey_message,
    verify_signed_prekey,
)

VECTORS = Path(__file__).resolve().parents[2] / "docs" / "protocol" / "vectors" / "e2ee"


def vector(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((VECTORS / name).read_text(encoding="utf-8"))
    return loaded


SIGNED = vector("signed-prekey-signature.json")


def test_the_signed_message_is_the_vectors_59_bytes() -> None:
    message = signed_prekey_message(
        SIGNED["signed_prekey_id"], bytes.fromhex(SIGNED["signed_prekey_public_key"])
    )
    assert message.hex() == SIGNED["signed_message"]
    assert len(message) == 59


def test_the_vectors_signature_verifies_and_a_changed_one_does_not() -> None:
    identity = bytes.fromhex(SIGNED["identity_public_key"])
    prekey = bytes.fromhex(SIGNED["signed_prekey_public_key"])
    signature = bytes.fromhex(SIGNED["signature"])
    verify_signed_prekey(identity, SIGNED["signed_prekey_id"], prekey, signature)
    with pytest.raises(InvalidSignature):
        verify_signed_prekey(identity, SIGNED["signed_prekey_id"] + 1, prekey, signature)
    tampered = bytes([signature[0] ^ 1]) + signature[1:]
    with pytest.raises(InvalidSignature):
        verify_signed_prekey(identity, SIGNED["signed_prekey_id"], prekey, tampered)


def test_the_bundle_json_is_the_nodes_bundle_and_a_valid_upload() -> None:
    bundle = Bundle.model_validate(SIGNED["bundle_json"])
    assert bundle.model_dump(mode="json") == SIGNED["bundle_json"]
    assert (
        base64url.decode("identity_key", bundle.identity_key).hex() == SIGNED["identity_public_key"]
    )
    assert bundle.one_time_prekey is not None
    upload = KeyUpload(
        identity_key=bundle.identity_key,
        signed_prekey=bundle.signed_prekey,
        one_time_prekeys=(bundle.one_time_prekey,),
    )
    check_upload(upload)


def test_a_non_canonical_spelling_of_the_vectors_key_is_refused() -> None:
    text = SIGNED["bundle_json"]["identity_key"]
    assert base64url.decode("k", text) == bytes.fromhex(SIGNED["identity_public_key"])
    for variant in (text + "=", text.replace("-", "+"), text[:-1] + "l"):
        with pytest.raises(InvalidCommand):
            base64url.decode("k", variant)


@pytest.mark.parametrize(
    "case", vector("identity-conversion.json")["cases"], ids=lambda case: case["name"]
)
def test_identity_conversion_matches_libsodium(case: dict[str, str]) -> None:
    public = bytes.fromhex(case["ed25519_public_key"])
    assert sodium.crypto_sign_ed25519_pk_to_curve25519(public).hex() == case["x25519_public_key"]
    seed = bytes.fromhex(case["ed25519_seed"])
    derived_public, secret = sodium.crypto_sign_seed_keypair(seed)
    assert derived_public == public
    assert sodium.crypto_sign_ed25519_sk_to_curve25519(secret).hex() == case["x25519_secret_key"]
