"""The credential store's tables: every secret an account has, kept beside the log.

An append-only log cannot forget, so nothing here is ever written to it. These are
ordinary rows that account deletion really deletes (SQLite runs with
``secure_delete``, so freed pages are zeroed; PostgreSQL reclaims them on VACUUM).
Every table that holds something of a user has a ``user_id`` column, which is what
``ERASE`` relies on.
"""

from __future__ import annotations

from infra.sql import Database

TABLES = (
    "CREATE TABLE IF NOT EXISTS auth_credentials ("
    "user_id TEXT PRIMARY KEY, username_key TEXT NOT NULL UNIQUE,"
    " username_skeleton TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS auth_signing_keys ("
    "kid TEXT PRIMARY KEY, private_key TEXT NOT NULL, created_ms BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS auth_sessions ("
    "session_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, created_ms BIGINT NOT NULL,"
    " last_used_ms BIGINT NOT NULL, expires_ms BIGINT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS auth_sessions_user ON auth_sessions (user_id)",
    "CREATE TABLE IF NOT EXISTS auth_refresh_tokens ("
    "token_hash TEXT PRIMARY KEY, session_id TEXT NOT NULL, user_id TEXT NOT NULL,"
    " used INTEGER NOT NULL, expires_ms BIGINT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS auth_refresh_tokens_session ON auth_refresh_tokens (session_id)",
    "CREATE TABLE IF NOT EXISTS auth_totp ("
    "user_id TEXT PRIMARY KEY, sealed_seed TEXT NOT NULL, confirmed INTEGER NOT NULL,"
    " last_counter BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS auth_recovery_codes ("
    "user_id TEXT NOT NULL, code_hash TEXT NOT NULL, PRIMARY KEY (user_id, code_hash))",
    "CREATE TABLE IF NOT EXISTS auth_passkeys ("
    "credential_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, public_key TEXT NOT NULL,"
    " sign_count BIGINT NOT NULL, transports TEXT NOT NULL, name TEXT NOT NULL,"
    " created_ms BIGINT NOT NULL, last_used_ms BIGINT)",
    "CREATE INDEX IF NOT EXISTS auth_passkeys_user ON auth_passkeys (user_id)",
    "CREATE TABLE IF NOT EXISTS auth_challenges ("
    "digest TEXT PRIMARY KEY, user_id TEXT NOT NULL, purpose TEXT NOT NULL,"
    " expires_ms BIGINT NOT NULL)",
)

USER_TABLES = (
    "auth_challenges",
    "auth_passkeys",
    "auth_recovery_codes",
    "auth_totp",
    "auth_refresh_tokens",
    "auth_sessions",
    "auth_credentials",
)


def create_tables(db: Database) -> None:
    with db.write() as cursor:
        for statement in TABLES:
            cursor.execute(statement)


def erase_user(db: Database, user_id: str) -> None:
    """Delete every credential row of a user, in one transaction."""
    with db.write() as cursor:
        for table in USER_TABLES:
            cursor.execute(f"DELETE FROM {table} WHERE user_id = ?", (user_id,))  # noqa: S608
