"""One-time recovery codes: the way back in when the second factor is lost.

Ten codes of 80 random bits, written ``xxxx-xxxx-xxxx-xxxx`` in Crockford's base32
alphabet (no I, L, O, U: nothing to misread), shown once and stored as SHA-256
digests. 80 bits of full entropy leave nothing to guess offline, so a fast hash is
enough; online guessing meets the 2FA rate limit. Using a code deletes it.
"""

from __future__ import annotations

import secrets
from uuid import UUID

from infra.auth.opaque import digest
from infra.sql import Database

COUNT = 10
GROUPS, GROUP_CHARS = 4, 4
ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
# Crockford: the letters people write for the digits they look like.
_READ_AS = str.maketrans({"o": "0", "i": "1", "l": "1"})


def _normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "").casefold().translate(_READ_AS)


def _new_code() -> str:
    chars = "".join(secrets.choice(ALPHABET) for _ in range(GROUPS * GROUP_CHARS))
    return "-".join(chars[i : i + GROUP_CHARS] for i in range(0, len(chars), GROUP_CHARS))


class RecoveryCodeStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def replace(self, user_id: UUID) -> list[str]:
        """A fresh set of codes; any earlier set stops working."""
        codes = [_new_code() for _ in range(COUNT)]
        with self.db.write() as cursor:
            cursor.execute("DELETE FROM auth_recovery_codes WHERE user_id = ?", (str(user_id),))
            cursor.executemany(
                "INSERT INTO auth_recovery_codes (user_id, code_hash) VALUES (?, ?)",
                [(str(user_id), digest(_normalise(code))) for code in codes],
            )
        return codes

    def use(self, user_id: UUID, code: str) -> bool:
        with self.db.write() as cursor:
            cursor.execute(
                "DELETE FROM auth_recovery_codes WHERE user_id = ? AND code_hash = ?"
                " RETURNING user_id",
                (str(user_id), digest(_normalise(code))),
            )
            return cursor.fetchone() is not None

    def remaining(self, user_id: UUID) -> int:
        with self.db.read() as cursor:
            cursor.execute(
                "SELECT COUNT(*) AS remaining FROM auth_recovery_codes WHERE user_id = ?",
                (str(user_id),),
            )
            row = cursor.fetchone()
        return int(row["remaining"]) if row else 0

    def clear(self, user_id: UUID) -> None:
        with self.db.write() as cursor:
            cursor.execute("DELETE FROM auth_recovery_codes WHERE user_id = ?", (str(user_id),))
