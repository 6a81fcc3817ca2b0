"""Usernames: NFKC-normalised, 2–32 characters of ``a-z 0-9 _ . -``, compared case-folded.

The alphabet is deliberately ASCII: it rules out look-alike names built from other
scripts (Cyrillic "а" for Latin "a") without a full confusables table. Within ASCII,
names that differ only by look-alike characters ("adm1n", "rnoderator", "ad.min") are
the same name: their *skeleton* (after UTS #39 §4's idea, reduced to this alphabet)
is what is reserved and what must be unique, so nobody can register a name that reads
as the node's, its staff's or another user's.
"""

from __future__ import annotations

import re
import unicodedata

from domain.errors import InvalidCommand

MIN_CHARS, MAX_CHARS = 2, 32
_PATTERN = re.compile(r"^[a-z0-9_.-]+$")
RESERVED = frozenset(
    {
        "admin", "administrator", "root", "system", "moderator", "mod", "support", "staff",
        "hearth", "everyone", "here", "null", "undefined", "api", "www", "node", "operator",
        "me", "self", "official", "security", "abuse", "postmaster", "webmaster", "help",
    }
)  # fmt: skip

# Sequences first: "rn" must become "m" before "r" could be matched on its own.
_LOOKALIKES = (("rn", "m"), ("vv", "w"), ("cl", "d"), ("0", "o"), ("1", "l"), ("i", "l"))
_SEPARATORS = str.maketrans("", "", "_.-")


def skeleton(name: str) -> str:
    """The form two names share when they look alike (for a name already normalised)."""
    shape = name.translate(_SEPARATORS)
    for lookalike, letter in _LOOKALIKES:
        shape = shape.replace(lookalike, letter)
    return shape


_RESERVED_SKELETONS = frozenset(skeleton(name) for name in RESERVED)


def normalise(username: str, node_name: str) -> str:
    """The canonical (stored and compared) form, or InvalidCommand saying why not."""
    name = unicodedata.normalize("NFKC", username).strip().casefold()
    if not MIN_CHARS <= len(name) <= MAX_CHARS:
        raise InvalidCommand(f"username must be {MIN_CHARS} to {MAX_CHARS} characters")
    if not _PATTERN.match(name):
        raise InvalidCommand("username may contain only a-z, 0-9, '_', '.' and '-'")
    if not any(c.isalnum() for c in name):
        raise InvalidCommand("username must contain a letter or a digit")
    shape = skeleton(name)
    if shape in _RESERVED_SKELETONS or shape == skeleton(node_name.casefold()):
        raise InvalidCommand("that username is reserved")
    return name
