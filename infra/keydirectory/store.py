"""The key directory in SQL: each user's identity key, signed prekey and one-time prekeys.

It lives in the **accounts database**, beside the credential store, not in the views
database: these rows are primary data that the log does not hold (a one-time prekey must be
forgotten once handed out, which a log cannot do), so they must never be dropped and rebuilt
the way read models are, and like credentials they are mutable rows whose deletion is real
(SQLite ``secure_delete``). On PostgreSQL the two databases are one anyway.

Keys are stored as their canonical base64url text (``domain.base64url``), as served.
"""

from __future__ import annotations

from uuid import UUID

from domain import keys
from domain.keys import Bundle, KeyUpload, OneTimePrekey, SignedPrekey
from infra.sql import Cursor, Database

TABLES = (
    "CREATE TABLE IF NOT EXISTS key_directory_identities ("
    "user_id TEXT PRIMARY KEY, identity_key TEXT NOT NULL, signed_prekey_id BIGINT NOT NULL,"
    " signed_prekey TEXT NOT NULL, signed_prekey_signature TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS key_directory_one_time_prekeys ("
    "user_id TEXT NOT NULL, prekey_id BIGINT NOT NULL, public_key TEXT NOT NULL,"
    " PRIMARY KEY (user_id, prekey_id))",
)


class SqlKeyDirectoryStore:
    """Implements ``api.key_directory.KeyDirectoryStore``."""

    def __init__(self, db: Database) -> None:
        self.db = db
        # PostgreSQL: lock the one-time prekey a fetch takes, and let concurrent fetches skip
        # it for the next one instead of waiting. SQLite needs nothing: its writes are
        # serialised (``SQLiteDatabase.write``).
        lock = " FOR UPDATE SKIP LOCKED" if db.dialect == "postgresql" else ""
        self._take_one_time_prekey = (  # the one interpolation is the constant above
            "DELETE FROM key_directory_one_time_prekeys WHERE user_id = ? AND prekey_id = ("  # noqa: S608
            "SELECT prekey_id FROM key_directory_one_time_prekeys WHERE user_id = ?"
            f" ORDER BY prekey_id LIMIT 1{lock}) RETURNING prekey_id, public_key"
        )
        with db.write() as cursor:
            for statement in TABLES:
                cursor.execute(statement)

    def publish(self, user_id: UUID, upload: KeyUpload) -> int:
        user = str(user_id)
        signed = upload.signed_prekey
        with self.db.write() as cursor:
            cursor.execute(
                "SELECT identity_key FROM key_directory_identities WHERE user_id = ?", (user,)
            )
            stored = cursor.fetchone()
            if stored is None or stored["identity_key"] != upload.identity_key:
                cursor.execute(
                    "DELETE FROM key_directory_one_time_prekeys WHERE user_id = ?", (user,)
                )
            cursor.execute(
                "INSERT INTO key_directory_identities (user_id, identity_key, signed_prekey_id,"
                " signed_prekey, signed_prekey_signature) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (user_id) DO UPDATE SET identity_key = excluded.identity_key,"
                " signed_prekey_id = excluded.signed_prekey_id,"
                " signed_prekey = excluded.signed_prekey,"
                " signed_prekey_signature = excluded.signed_prekey_signature",
                (user, upload.identity_key, signed.id, signed.public_key, signed.signature),
            )
            if upload.one_time_prekeys:
                cursor.executemany(
                    "INSERT INTO key_directory_one_time_prekeys (user_id, prekey_id, public_key)"
                    " VALUES (?, ?, ?) ON CONFLICT (user_id, prekey_id)"
                    " DO UPDATE SET public_key = excluded.public_key",
                    [(user, prekey.id, prekey.public_key) for prekey in upload.one_time_prekeys],
                )
            held = _count(cursor, user)
            keys.check_holding(held)  # raising here rolls the whole upload back
            return held

    def take_bundle(self, user_id: UUID) -> Bundle | None:
        user = str(user_id)
        with self.db.write() as cursor:
            cursor.execute(
                "SELECT identity_key, signed_prekey_id, signed_prekey, signed_prekey_signature"
                " FROM key_directory_identities WHERE user_id = ?",
                (user,),
            )
            identity = cursor.fetchone()
            if identity is None:
                return None
            cursor.execute(self._take_one_time_prekey, (user, user))
            taken = next(iter(cursor.fetchall()), None)
        return Bundle(
            identity_key=identity["identity_key"],
            signed_prekey=SignedPrekey(
                id=identity["signed_prekey_id"],
                public_key=identity["signed_prekey"],
                signature=identity["signed_prekey_signature"],
            ),
            one_time_prekey=None
            if taken is None
            else OneTimePrekey(id=taken["prekey_id"], public_key=taken["public_key"]),
        )

    def one_time_prekey_count(self, user_id: UUID) -> int:
        with self.db.read() as cursor:
            return _count(cursor, str(user_id))

    def erase(self, user_id: UUID) -> None:
        """Forget every key a deleted user published."""
        with self.db.write() as cursor:
            for table in ("key_directory_one_time_prekeys", "key_directory_identities"):
                cursor.execute(f"DELETE FROM {table} WHERE user_id = ?", (str(user_id),))  # noqa: S608


def _count(cursor: Cursor, user: str) -> int:
    cursor.execute(
        "SELECT COUNT(*) AS held FROM key_directory_one_time_prekeys WHERE user_id = ?", (user,)
    )
    row = cursor.fetchone()
    return 0 if row is None else int(row["held"])
