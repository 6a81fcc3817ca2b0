"""Usernames and password hashes: the first factor, in the credential store.

The username's skeleton (``domain.usernames.skeleton``) is unique beside the name
itself, so two accounts can never read alike. Deleting an account erases every
credential row of the user at once (``infra.auth.schema.erase_user``).
"""

from __future__ import annotations

import sqlite3
from uuid import UUID

import psycopg

from domain.errors import AlreadyExists
from domain.usernames import skeleton
from infra.auth.schema import create_tables, erase_user
from infra.sql import Database


class CredentialStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        create_tables(db)

    def claim(self, user_id: UUID, username_key: str, password_hash: str) -> None:
        """Take the username for a new user; AlreadyExists if it (or a look-alike) is taken."""
        try:
            with self.db.write() as cursor:
                cursor.execute(
                    "INSERT INTO auth_credentials"
                    " (user_id, username_key, username_skeleton, password_hash)"
                    " VALUES (?, ?, ?, ?)",
                    (str(user_id), username_key, skeleton(username_key), password_hash),
                )
        except (sqlite3.IntegrityError, psycopg.IntegrityError):
            raise AlreadyExists("that username is taken") from None

    def find(self, username_key: str) -> tuple[UUID, str] | None:
        """The user id and password hash for a username."""
        with self.db.read() as cursor:
            cursor.execute(
                "SELECT user_id, password_hash FROM auth_credentials WHERE username_key = ?",
                (username_key,),
            )
            row = cursor.fetchone()
        return None if row is None else (UUID(row["user_id"]), row["password_hash"])

    def username(self, user_id: UUID) -> str | None:
        with self.db.read() as cursor:
            cursor.execute(
                "SELECT username_key FROM auth_credentials WHERE user_id = ?", (str(user_id),)
            )
            row = cursor.fetchone()
        return None if row is None else str(row["username_key"])

    def password_hash(self, user_id: UUID) -> str | None:
        with self.db.read() as cursor:
            cursor.execute(
                "SELECT password_hash FROM auth_credentials WHERE user_id = ?", (str(user_id),)
            )
            row = cursor.fetchone()
        return None if row is None else str(row["password_hash"])

    def set_password_hash(self, user_id: UUID, password_hash: str) -> None:
        with self.db.write() as cursor:
            cursor.execute(
                "UPDATE auth_credentials SET password_hash = ? WHERE user_id = ?",
                (password_hash, str(user_id)),
            )

    def erase(self, user_id: UUID) -> None:
        """Forget the user entirely: password, sessions, second factors, challenges."""
        erase_user(self.db, str(user_id))
