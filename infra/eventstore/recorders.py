"""eventsourcing's application recorders, extended with the content-key table.

The keys of new aggregates are inserted in the same transaction as their first
events (the library calls ``_insert_events`` inside its write transaction), so an
event is never committed without its key. Keys live beside the log, not in it,
because a key must be deletable: see ``docs/architecture.md``, "Deletion".
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteCursor,
    SQLiteDatastore,
)
from psycopg import Cursor as PgCursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from infra.sql import SQLITE_PRAGMAS

ContentKeys = Sequence[tuple[UUID, bytes]]


class _DurableSQLitePool(SQLiteConnectionPool):
    """The library's pool, with Hearth's durability and secure-delete pragmas."""

    def _create_connection(self) -> SQLiteConnection:
        connection = super()._create_connection()
        raw: sqlite3.Connection = connection._sqlite_conn
        for pragma in SQLITE_PRAGMAS:
            raw.execute(pragma)
        return connection


def sqlite_datastore(path: str) -> SQLiteDatastore:
    datastore = SQLiteDatastore(db_name=path, lock_timeout=10)
    datastore.pool.close()
    datastore.pool = _DurableSQLitePool(db_name=path, lock_timeout=10)
    return datastore


class SQLiteEventRecorder(SQLiteApplicationRecorder):
    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS content_keys ("
            "aggregate_id TEXT PRIMARY KEY, key BLOB NOT NULL) WITHOUT ROWID",
            "CREATE TABLE IF NOT EXISTS shredder_position ("
            "id INTEGER PRIMARY KEY CHECK (id = 1), position INTEGER NOT NULL)",
        ]

    def _insert_events(
        self,
        c: SQLiteCursor,
        stored_events: Sequence[StoredEvent],
        *,
        content_keys: ContentKeys = (),
        **kwargs: Any,
    ) -> Sequence[int] | None:
        if content_keys:
            c.executemany(
                "INSERT INTO content_keys (aggregate_id, key) VALUES (?, ?)",
                [(str(aggregate_id), key) for aggregate_id, key in content_keys],
            )
        return super()._insert_events(c, stored_events, **kwargs)


class PostgresEventRecorder(PostgresApplicationRecorder):
    def __init__(self, datastore: PostgresDatastore) -> None:
        super().__init__(datastore, events_table_name="stored_events")
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {0}.content_keys ("
                "aggregate_id text PRIMARY KEY, key bytea NOT NULL)"
            ).format(Identifier(datastore.schema))
        )
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {0}.shredder_position ("
                "id integer PRIMARY KEY CHECK (id = 1), position bigint NOT NULL)"
            ).format(Identifier(datastore.schema))
        )

    def _insert_events(
        self,
        curs: PgCursor[DictRow],
        stored_events: Sequence[StoredEvent],
        *,
        content_keys: ContentKeys = (),
        **kwargs: Any,
    ) -> None:
        if content_keys:
            curs.executemany(
                SQL("INSERT INTO {0}.content_keys (aggregate_id, key) VALUES (%s, %s)").format(
                    Identifier(self.datastore.schema)
                ),
                [(str(aggregate_id), key) for aggregate_id, key in content_keys],
            )
        super()._insert_events(curs, stored_events, **kwargs)
