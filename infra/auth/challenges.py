"""Short-lived, single-use challenges: a login waiting for its second factor, and the
random challenges of WebAuthn ceremonies.

Stored as SHA-256 digests with their user, purpose and expiry; ``consume`` deletes
the row as it reads it, so a challenge completes at most one ceremony.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from uuid import UUID

from infra.auth.opaque import digest, new_token
from infra.sql import Database


class ChallengeStore:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    def issue(self, user_id: UUID, purpose: str, seconds: int) -> str:
        token = new_token()
        self.remember(token.encode(), user_id, purpose, seconds)
        return token

    def remember(self, secret: bytes, user_id: UUID, purpose: str, seconds: int) -> None:
        """Keep a challenge made elsewhere (a WebAuthn challenge's raw bytes)."""
        now = self._now_ms()
        with self.db.write() as cursor:
            cursor.execute("DELETE FROM auth_challenges WHERE expires_ms <= ?", (now,))
            cursor.execute(
                "INSERT INTO auth_challenges (digest, user_id, purpose, expires_ms)"
                " VALUES (?, ?, ?, ?)",
                (digest(secret), str(user_id), purpose, now + seconds * 1000),
            )

    def peek(self, token: str, purpose: str) -> UUID | None:
        with self.db.read() as cursor:
            cursor.execute(
                "SELECT user_id FROM auth_challenges"
                " WHERE digest = ? AND purpose = ? AND expires_ms > ?",
                (digest(token), purpose, self._now_ms()),
            )
            row = cursor.fetchone()
        return None if row is None else UUID(row["user_id"])

    def consume(self, token: str | bytes, purpose: str) -> UUID | None:
        with self.db.write() as cursor:
            cursor.execute(
                "DELETE FROM auth_challenges WHERE digest = ? AND purpose = ?"
                " RETURNING user_id, expires_ms",
                (digest(token), purpose),
            )
            row = cursor.fetchone()
        if row is None or int(row["expires_ms"]) <= self._now_ms():
            return None
        return UUID(row["user_id"])
