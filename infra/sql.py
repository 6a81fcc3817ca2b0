"""A small SQL database handle shared by the read models: SQLite file or PostgreSQL.

Statements are written once with ``?`` placeholders and portable SQL (``ON CONFLICT``
upserts, ``TEXT``/``BIGINT`` columns); this handle rewrites placeholders for psycopg.
Rows are read by column name, which both drivers support.

SQLite: one writer connection behind a lock, with ``BEGIN IMMEDIATE`` so a write
transaction never has to upgrade a read lock (which fails rather than waits when
another process wrote in between); readers get a connection per thread. WAL mode,
``synchronous=FULL`` (a committed transaction survives power loss) and
``secure_delete=ON`` (deleted rows are overwritten with zeros, not left in free pages).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from types import ModuleType
from typing import Any, Literal, Protocol

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from infra.errors import StorageUnavailable

Dialect = Literal["sqlite", "postgresql"]
Row = Any


class Cursor(Protocol):
    def execute(self, statement: str, params: Sequence[Any] = ()) -> None: ...
    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None: ...
    def fetchone(self) -> Row | None: ...
    def fetchall(self) -> list[Row]: ...


SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA secure_delete=ON",
    "PRAGMA busy_timeout=10000",
)


def connect_sqlite(path: str, driver: ModuleType = sqlite3) -> sqlite3.Connection:
    """A connection through ``driver``: Python's own ``sqlite3`` module, or a DB-API twin of it
    built on a newer SQLite library (the search index needs FTS5's ``secure-delete``)."""
    connection: sqlite3.Connection = driver.connect(
        path, isolation_level=None, check_same_thread=False
    )
    connection.row_factory = driver.Row
    for pragma in SQLITE_PRAGMAS:
        connection.execute(pragma)
    return connection


@lru_cache(maxsize=512)
def _to_psycopg(statement: str) -> str:
    return statement.replace("%", "%%").replace("?", "%s")


class _PgCursor:
    def __init__(self, cursor: psycopg.Cursor[Row]) -> None:
        self._cursor = cursor

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        self._cursor.execute(_to_psycopg(statement), params)

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        self._cursor.executemany(_to_psycopg(statement), rows)

    def fetchone(self) -> Row | None:
        return self._cursor.fetchone()

    def fetchall(self) -> list[Row]:
        return self._cursor.fetchall()


class Database:
    """Transactions on one database; see the module docstring for the guarantees."""

    dialect: Dialect

    def write(self) -> Any:
        raise NotImplementedError

    def read(self) -> Any:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class SQLiteDatabase(Database):
    dialect: Dialect = "sqlite"

    def __init__(self, path: str, driver: ModuleType = sqlite3) -> None:
        self.path = path
        self.driver = driver
        try:
            self._writer = connect_sqlite(path, driver)
        except driver.Error as error:
            raise StorageUnavailable(f"cannot open SQLite database {path}: {error}") from error
        self._write_lock = threading.Lock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []

    @contextmanager
    def write(self) -> Iterator[Cursor]:
        with self._write_lock:
            cursor = self._writer.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            try:
                yield cursor  # type: ignore[misc]
            except BaseException:
                self._writer.rollback()
                raise
            self._writer.commit()

    @contextmanager
    def read(self) -> Iterator[Cursor]:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = connect_sqlite(self.path, self.driver)
            self._local.connection = connection
            self._readers.append(connection)
        cursor = connection.cursor()
        cursor.execute("BEGIN")
        try:
            yield cursor  # type: ignore[misc]
        finally:
            connection.rollback()

    def checkpoint(self) -> None:
        """Copy the WAL into the database file and truncate it to zero bytes."""
        with self._write_lock:
            self._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        for connection in [self._writer, *self._readers]:
            connection.close()


class PostgresDatabase(Database):
    dialect: Dialect = "postgresql"

    def __init__(self, url: str, pool_size: int = 8) -> None:
        self.url = url
        self._pool: ConnectionPool[psycopg.Connection[Row]] = ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            kwargs={"row_factory": dict_row, "autocommit": False},
            open=False,
        )
        try:
            self._pool.open(wait=True, timeout=10)
        except psycopg.Error as error:
            raise StorageUnavailable(f"cannot reach PostgreSQL: {error}") from error
        except TimeoutError as error:
            raise StorageUnavailable("cannot reach PostgreSQL: connection timed out") from error

    @contextmanager
    def write(self) -> Iterator[Cursor]:
        """One transaction in pipeline mode: statements whose results are not read are sent
        without waiting for each answer, so a projection batch costs a few round trips, not
        one per row."""
        with (
            self._pool.connection() as connection,
            connection.pipeline(),
            connection.transaction(),
        ):
            yield _PgCursor(connection.cursor())

    @contextmanager
    def read(self) -> Iterator[Cursor]:
        with self._pool.connection() as connection, connection.transaction(force_rollback=True):
            yield _PgCursor(connection.cursor())

    def close(self) -> None:
        self._pool.close()
