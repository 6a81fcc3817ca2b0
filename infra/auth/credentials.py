"""The credential store: secrets kept beside the log, never in it.

Password hashes (and later TOTP seeds, recovery codes and refresh-token hashes)
must be erasable, and an append-only log cannot erase; so they live in ordinary
tables whose rows are really deleted (SQLite ``secure_delete``; PostgreSQL VACUUM).
The log records only that an account event happened.
"""

from __future__ import annotations

from uuid import UUID

from infra.sql import Database

STATEMENTS = (
    "CREATE TABLE IF NOT EXISTS auth_credentials ("
    "user_id TEXT PRIMARY KEY, username_key TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS auth_signing_keys ("
    "kid TEXT PRIMARY KEY, private_key TEXT NOT NULL, created_ms BIGINT NOT NULL)",
)


class UsernameTaken(Exception):
    pass


class CredentialStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        with db.write() as cursor:
            for statement in STATEMENTS:
                cursor.execute(statement)

    def claim(self, user_id: UUID, username_key: str, password_hash: str) -> None:
        with self.db.write() as cursor:
            cursor.execute(
                "SELECT 1 AS taken FROM auth_credentials WHERE username_key = ?", (username_key,)
            )
            if cursor.fetchone() is not None:
                raise UsernameTaken(username_key)
            cursor.execute(
                "INSERT INTO auth_credentials (user_id, username_key, password_hash) VALUES (?, ?, ?)",
                (str(user_id), username_key, password_hash),
            )

    def release(self, user_id: UUID) -> None:
        with self.db.write() as cursor:
            cursor.execute("DELETE FROM auth_credentials WHERE user_id = ?", (str(user_id),))

    def find(self, username_key: str) -> tuple[UUID, str] | None:
        with self.db.read() as cursor:
            cursor.execute(
                "SELECT user_id, password_hash FROM auth_credentials WHERE username_key = ?",
                (username_key,),
            )
            row = cursor.fetchone()
        return None if row is None else (UUID(row["user_id"]), row["password_hash"])

    def set_password_hash(self, user_id: UUID, password_hash: str) -> None:
        with self.db.write() as cursor:
            cursor.execute(
                "UPDATE auth_credentials SET password_hash = ? WHERE user_id = ?",
                (password_hash, str(user_id)),
            )
