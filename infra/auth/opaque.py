"""Opaque bearer secrets: refresh tokens and login challenge tokens.

Each is 256 random bits, shown to the client once and stored only as its SHA-256
digest: a leaked credential table gives nothing that can be presented back. A fast
hash is enough here (unlike passwords) because the input has full entropy, so there
is nothing to guess; lookups by digest are exact matches in an index, and the
comparison a database makes on a digest reveals nothing useful about the token.
"""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 32


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def digest(secret: str | bytes) -> str:
    data = secret.encode() if isinstance(secret, str) else secret
    return hashlib.sha256(data).hexdigest()
