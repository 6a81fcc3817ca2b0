"""Strict base64url, as docs/protocol/e2ee.md "Encodings" fixes it for key material.

RFC 4648 §5 without padding, and nothing else: padding, the ``+`` / ``/`` alphabet and
non-zero trailing bits are refused. Every byte string then has exactly one text form, so
the node can store and compare keys and ciphertext by their text, and a client decoding
what the node relays gets exactly the bytes its peer encoded.
"""

from __future__ import annotations

import base64
import binascii
import re

from domain.errors import InvalidCommand

_TEXT = re.compile(r"[A-Za-z0-9_-]*")


def encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def decode(field: str, text: str) -> bytes:
    """The bytes ``text`` encodes; InvalidCommand naming ``field`` unless it is canonical."""
    refusal = InvalidCommand(f"{field} must be base64url without padding (RFC 4648 §5)")
    if not _TEXT.fullmatch(text) or len(text) % 4 == 1:
        raise refusal
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error:
        raise refusal from None
    if encode(data) != text:  # a non-zero trailing bit: a second spelling of the same bytes
        raise refusal
    return data


def decode_sized(field: str, text: str, size: int) -> bytes:
    """``decode`` for a fixed-size value such as a 32-byte public key."""
    data = decode(field, text)
    if len(data) != size:
        raise InvalidCommand(f"{field} must encode {size} bytes, not {len(data)}")
    return data
