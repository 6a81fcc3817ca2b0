"""Sessions and their rotating refresh tokens (one session = one token family).

Login starts a session and hands out its first refresh token. Each refresh spends
the presented token and issues the next one of the same family. A spent token that
comes back means two parties hold the family (the token was stolen, or a client
was cloned), so the whole session is revoked: the thief and the victim both have to
log in again, and only the victim can (OAuth 2.0 Security BCP, RFC 9700 §4.14.2).

Tokens are stored only as SHA-256 digests; spent ones are kept (as digests) until
the session ends, which is what makes a reuse recognisable. Nothing about the client
(address, user agent) is kept.

Access tokens name their session (``sid``), and the token verifier asks
``is_live`` on every request. Answers are cached for a few seconds; revocations made
by this process clear the cache at once, so only another process's revocation can
take up to ``LIVE_CACHE_SECONDS`` to reach this one.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from api.accounts import Reused, Rotated, SessionInfo, StartedSession
from infra.auth.opaque import digest, new_token
from infra.sql import Cursor, Database

LIVE_CACHE_SECONDS = 5.0
MAX_CACHED = 100_000
DAY_MS = 86_400_000


@dataclass(frozen=True)
class _Cached:
    expires_ms: int  # 0 for a session that does not exist
    until: float


class SessionStore:
    def __init__(
        self,
        db: Database,
        refresh_days: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.lifetime_seconds = refresh_days * DAY_MS // 1000
        self.lifetime_ms = refresh_days * DAY_MS
        self.clock = clock
        self._live: dict[UUID, _Cached] = {}
        self._lock = threading.Lock()

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    def start(self, user_id: UUID) -> StartedSession:
        now = self._now_ms()
        session_id, token = uuid.uuid4(), new_token()
        with self.db.write() as cursor:
            self._prune(cursor, now)
            cursor.execute(
                "INSERT INTO auth_sessions (session_id, user_id, created_ms, last_used_ms,"
                " expires_ms) VALUES (?, ?, ?, ?, ?)",
                (str(session_id), str(user_id), now, now, now + self.lifetime_ms),
            )
            self._add_token(cursor, token, session_id, user_id, now)
        return StartedSession(session_id, token)

    def rotate(self, refresh_token: str) -> Rotated | Reused | None:
        """Spend a refresh token for its successor; ``Reused`` (and the session revoked)
        if it was spent before; None if it is unknown or expired."""
        now = self._now_ms()
        with self.db.write() as cursor:
            cursor.execute(
                "UPDATE auth_refresh_tokens SET used = 1"
                " WHERE token_hash = ? AND used = 0 AND expires_ms > ?"
                " RETURNING session_id, user_id",
                (digest(refresh_token), now),
            )
            row = cursor.fetchone()
            if row is not None:
                session_id, user_id = UUID(row["session_id"]), UUID(row["user_id"])
                token = new_token()
                self._add_token(cursor, token, session_id, user_id, now)
                cursor.execute(
                    "UPDATE auth_sessions SET last_used_ms = ?, expires_ms = ?"
                    " WHERE session_id = ?",
                    (now, now + self.lifetime_ms, str(session_id)),
                )
                self._forget([session_id])  # its cached expiry just moved
                return Rotated(user_id, session_id, token)
            cursor.execute(
                "SELECT session_id, user_id, used FROM auth_refresh_tokens WHERE token_hash = ?",
                (digest(refresh_token),),
            )
            spent = cursor.fetchone()
        if spent is None or not spent["used"]:
            return None
        session_id, user_id = UUID(spent["session_id"]), UUID(spent["user_id"])
        self.revoke(user_id, session_id)
        return Reused(user_id, session_id)

    def find(self, refresh_token: str) -> tuple[UUID, UUID] | None:
        """The (user, session) a live, unspent refresh token belongs to."""
        with self.db.read() as cursor:
            cursor.execute(
                "SELECT user_id, session_id FROM auth_refresh_tokens"
                " WHERE token_hash = ? AND used = 0 AND expires_ms > ?",
                (digest(refresh_token), self._now_ms()),
            )
            row = cursor.fetchone()
        return None if row is None else (UUID(row["user_id"]), UUID(row["session_id"]))

    def sessions(self, user_id: UUID) -> list[SessionInfo]:
        with self.db.read() as cursor:
            cursor.execute(
                "SELECT session_id, created_ms, last_used_ms FROM auth_sessions"
                " WHERE user_id = ? AND expires_ms > ? ORDER BY created_ms, session_id",
                (str(user_id), self._now_ms()),
            )
            rows = cursor.fetchall()
        return [
            SessionInfo(UUID(r["session_id"]), int(r["created_ms"]), int(r["last_used_ms"]))
            for r in rows
        ]

    def revoke(self, user_id: UUID, session_id: UUID) -> bool:
        """End one session of a user and its whole token family; False if there was none."""
        with self.db.write() as cursor:
            cursor.execute(
                "DELETE FROM auth_sessions WHERE session_id = ? AND user_id = ?"
                " RETURNING session_id",
                (str(session_id), str(user_id)),
            )
            found = cursor.fetchone() is not None
            cursor.execute(
                "DELETE FROM auth_refresh_tokens WHERE session_id = ? AND user_id = ?",
                (str(session_id), str(user_id)),
            )
        self._forget([session_id])
        return found

    def revoke_all(self, user_id: UUID, keep: UUID | None = None) -> list[UUID]:
        """End every session of a user (but ``keep``); the ids of those ended."""
        kept = "" if keep is None else str(keep)
        with self.db.write() as cursor:
            cursor.execute(
                "DELETE FROM auth_sessions WHERE user_id = ? AND session_id <> ?"
                " RETURNING session_id",
                (str(user_id), kept),
            )
            ended = sorted(UUID(row["session_id"]) for row in cursor.fetchall())
            cursor.execute(
                "DELETE FROM auth_refresh_tokens WHERE user_id = ? AND session_id <> ?",
                (str(user_id), kept),
            )
        self._forget(ended)
        return ended

    def is_live(self, session_id: UUID) -> bool:
        now = time.monotonic()
        with self._lock:
            cached = self._live.get(session_id)
        if cached is None or cached.until <= now:
            with self.db.read() as cursor:
                cursor.execute(
                    "SELECT expires_ms FROM auth_sessions WHERE session_id = ?", (str(session_id),)
                )
                row = cursor.fetchone()
            cached = _Cached(0 if row is None else int(row["expires_ms"]), now + LIVE_CACHE_SECONDS)
            with self._lock:
                if len(self._live) > MAX_CACHED:
                    self._live.clear()
                self._live[session_id] = cached
        return self._now_ms() < cached.expires_ms

    def _forget(self, session_ids: list[UUID]) -> None:
        with self._lock:
            for session_id in session_ids:
                self._live.pop(session_id, None)

    def _add_token(
        self, cursor: Cursor, token: str, session_id: UUID, user_id: UUID, now: int
    ) -> None:
        cursor.execute(
            "INSERT INTO auth_refresh_tokens (token_hash, session_id, user_id, used, expires_ms)"
            " VALUES (?, ?, ?, 0, ?)",
            (digest(token), str(session_id), str(user_id), now + self.lifetime_ms),
        )

    def _prune(self, cursor: Cursor, now: int) -> None:
        """Drop sessions (and their tokens) that expired, whenever a new one starts."""
        cursor.execute(
            "DELETE FROM auth_refresh_tokens WHERE session_id IN"
            " (SELECT session_id FROM auth_sessions WHERE expires_ms <= ?)",
            (now,),
        )
        cursor.execute("DELETE FROM auth_sessions WHERE expires_ms <= ?", (now,))
