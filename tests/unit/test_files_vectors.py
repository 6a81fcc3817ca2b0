"""Encrypted attachments (docs/protocol/files.md, "Encrypted attachments"): the client-side
format, checked against docs/protocol/vectors/files/secretstream.json with PyNaCl's libsodium
``crypto_secretstream_xchacha20poly1305_*`` bindings. ``clients/crypto`` checks the same file
with libsodium-wrappers (test/attachments.test.ts).

Run as ``python -m tests.unit.test_files_vectors`` to write the vector file anew (the
secretstream header is random, so every run gives different, equally valid blobs).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import nacl.bindings as sodium
import pytest
from nacl.exceptions import CryptoError

from domain import base64url

VECTORS = Path(__file__).resolve().parents[2] / "docs" / "protocol" / "vectors" / "files"
CHUNK = 64 * 1024
HEADER = sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES
ABYTES = sodium.crypto_secretstream_xchacha20poly1305_ABYTES
TAG_MESSAGE = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
TAG_FINAL = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL


class BrokenAttachment(Exception):
    pass


def encrypt_attachment(key: bytes, plaintext: bytes) -> bytes:
    """header || one secretstream message per 64 KiB of plaintext, the last tagged FINAL
    (an empty file is one empty FINAL message)."""
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    header = sodium.crypto_secretstream_xchacha20poly1305_init_push(state, key)
    pieces = [plaintext[i : i + CHUNK] for i in range(0, len(plaintext), CHUNK)] or [b""]
    out = [header]
    for index, piece in enumerate(pieces):
        tag = TAG_FINAL if index == len(pieces) - 1 else TAG_MESSAGE
        out.append(sodium.crypto_secretstream_xchacha20poly1305_push(state, piece, None, tag))
    return b"".join(out)


def decrypt_attachment(key: bytes, blob: bytes) -> bytes:
    """The plaintext, or BrokenAttachment when the blob was altered, cut short or extended."""
    if len(blob) < HEADER + ABYTES:
        raise BrokenAttachment("too short")
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    sodium.crypto_secretstream_xchacha20poly1305_init_pull(state, blob[:HEADER], key)
    plaintext, offset = [], HEADER
    while offset < len(blob):
        sealed = blob[offset : offset + CHUNK + ABYTES]
        offset += len(sealed)
        try:
            piece, tag = sodium.crypto_secretstream_xchacha20poly1305_pull(state, sealed, None)
        except CryptoError:
            raise BrokenAttachment("a chunk does not authenticate") from None
        plaintext.append(piece)
        if tag == TAG_FINAL:
            if offset != len(blob):
                raise BrokenAttachment("bytes after the final chunk")
            return b"".join(plaintext)
        if tag != TAG_MESSAGE:
            raise BrokenAttachment("unexpected tag")
    raise BrokenAttachment("no final chunk: the file was cut short")


def pattern(length: int) -> bytes:
    """The vectors' plaintexts: byte i is i mod 251."""
    return bytes(i % 251 for i in range(length))


def load() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((VECTORS / "secretstream.json").read_text("utf-8"))
    return loaded


@pytest.mark.parametrize("case", load()["cases"], ids=lambda case: case["name"])
def test_vector_decrypts_to_its_plaintext(case: dict[str, Any]) -> None:
    key, blob = bytes.fromhex(case["key"]), base64url.decode("blob", case["blob"])
    assert len(blob) == case["blob_length"]
    assert hashlib.sha256(blob).hexdigest() == case["file_id"]
    assert decrypt_attachment(key, blob) == pattern(case["plaintext_length"])


def altered(change: dict[str, Any]) -> tuple[bytes, bytes]:
    """The key and the altered blob an invalid case describes."""
    case = next(c for c in load()["cases"] if c["name"] == change["case"])
    blob = bytearray(base64url.decode("blob", case["blob"]))
    if "truncate_to" in change:
        del blob[change["truncate_to"] :]
    if "flip_byte" in change:
        blob[change["flip_byte"]] ^= 1
    blob += bytes.fromhex(change.get("append_hex", ""))
    return bytes.fromhex(case["key"]), bytes(blob)


@pytest.mark.parametrize("change", load()["invalid"], ids=lambda change: change["name"])
def test_altered_blobs_are_refused(change: dict[str, Any]) -> None:
    with pytest.raises(BrokenAttachment):
        decrypt_attachment(*altered(change))


def test_encrypting_gives_blobs_of_the_documented_size() -> None:
    key = sodium.crypto_secretstream_xchacha20poly1305_keygen()
    for length in (0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK):
        blob = encrypt_attachment(key, pattern(length))
        chunks = max(1, -(-length // CHUNK))
        assert len(blob) == HEADER + length + chunks * ABYTES
        assert decrypt_attachment(key, blob) == pattern(length)


def write_vectors() -> None:
    key = bytes(range(32))
    cases = []
    for name, length in (
        ("empty file", 0),
        ("short file", 5),
        ("exactly one chunk", CHUNK),
        ("two chunks and a part", 2 * CHUNK + 1000),
    ):
        blob = encrypt_attachment(key, pattern(length))
        cases.append(
            {
                "name": name,
                "key": key.hex(),
                "plaintext_length": length,
                "blob_length": len(blob),
                "file_id": hashlib.sha256(blob).hexdigest(),
                "blob": base64url.encode(blob),
            }
        )
    source = cases[-1]["name"]
    invalid = [
        {"name": "last chunk missing", "case": source, "truncate_to": HEADER + 2 * (CHUNK + ABYTES)},
        {"name": "a ciphertext byte flipped", "case": source, "flip_byte": HEADER + 10},
        {"name": "a byte appended", "case": source, "append_hex": "00"},
    ]  # fmt: skip
    document = {
        "description": (
            "Encrypted attachments (docs/protocol/files.md): libsodium secretstream "
            "(XChaCha20-Poly1305). blob = 24-byte header || one message per 64 KiB of plaintext "
            "(each 17 bytes longer), tag MESSAGE (0) on all but the last, FINAL (3) on the last; "
            "no additional data. The plaintext of each case is byte i = i mod 251 for "
            "plaintext_length bytes; file_id is the SHA-256 of the blob. Each invalid case alters "
            "a case's blob (cut it to truncate_to bytes, flip the lowest bit of byte flip_byte, or "
            "append append_hex) and must be refused. Generated with PyNaCl "
            "(tests/unit/test_files_vectors.py); the header is random, so check by decrypting."
        ),
        "cases": cases,
        "invalid": invalid,
    }
    (VECTORS / "secretstream.json").write_text(json.dumps(document, indent=2) + "\n", "utf-8")


if __name__ == "__main__":
    write_vectors()
