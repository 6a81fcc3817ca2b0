"""Usernames: NFKC-normalised, 2–32 characters of ``a-z 0-9 _ . -``, compared case-folded.

The alphabet is deliberately ASCII: it rules out look-alike names built from other
scripts (Cyrillic "а" for Latin "a") without a confusables table. Names that
impersonate the node or its staff are reserved.
"""

from __future__ import annotations

import re
import unicodedata

from domain.errors import InvalidCommand

MIN_CHARS, MAX_CHARS = 2, 32
_PATTERN = re.compile(r"^[a-z0-9_.-]+$")
RESERVED = frozenset(
    {"admin", "administrator", "root", "system", "moderator", "mod", "support", "staff",
     "hearth", "everyone", "here", "null", "undefined", "api", "www", "node", "operator"}
)


def normalise(username: str, node_name: str) -> str:
    """The canonical (stored and compared) form, or InvalidCommand saying why not."""
    name = unicodedata.normalize("NFKC", username).strip().casefold()
    if not MIN_CHARS <= len(name) <= MAX_CHARS:
        raise InvalidCommand(f"username must be {MIN_CHARS} to {MAX_CHARS} characters")
    if not _PATTERN.match(name):
        raise InvalidCommand("username may contain only a-z, 0-9, '_', '.' and '-'")
    if name in RESERVED or name == node_name.casefold():
        raise InvalidCommand("that username is reserved")
    return name
