"""Read models kept in SQL tables, each with a position and a generation.

A view's tables carry its generation in their names. The live generation is a row
in ``projection_generations``; a rebuild fills generation g+1 from position zero
while g keeps serving, then swaps the row in the same transaction as its final
batch. Every batch checks, inside its write transaction, that its generation is
still live, so a runner left on the old generation notices and switches instead
of writing into tables that are about to be dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from domain.events import Envelope, Recorded
from infra.cluster.signals import PROGRESS_CHANNEL
from infra.sql import Cursor, Database

META_STATEMENTS = (
    "CREATE TABLE IF NOT EXISTS projection_generations ("
    "name TEXT PRIMARY KEY, generation INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS projection_positions ("
    "name TEXT NOT NULL, generation INTEGER NOT NULL, position BIGINT NOT NULL,"
    " PRIMARY KEY (name, generation))",
    "CREATE TABLE IF NOT EXISTS projection_failures ("
    "name TEXT PRIMARY KEY, position BIGINT NOT NULL, error TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS projection_versions ("
    "name TEXT NOT NULL, generation INTEGER NOT NULL, version INTEGER NOT NULL,"
    " PRIMARY KEY (name, generation))",
)


def _record_version(cursor: Cursor, spec: ViewSpec, generation: int) -> None:
    cursor.execute(
        "INSERT INTO projection_versions (name, generation, version) VALUES (?, ?, ?)"
        " ON CONFLICT (name, generation) DO UPDATE SET version = excluded.version",
        (spec.name, generation, spec.version),
    )


def _built_version(cursor: Cursor, name: str, generation: int) -> int | None:
    cursor.execute(
        "SELECT version FROM projection_versions WHERE name = ? AND generation = ?",
        (name, generation),
    )
    row = cursor.fetchone()
    return None if row is None else int(row["version"])


class OutsideStore(Protocol):
    """Data a view keeps outside its database (a Meilisearch index), one copy per generation.

    Both calls are idempotent: they run again after a crash between them and the commit."""

    def create(self, generation: int) -> None: ...
    def drop(self, generation: int) -> None: ...


class GenerationChanged(Exception):
    """The view was rebuilt into a newer generation; switch to it."""


class PositionMoved(GenerationChanged):
    """Another process applied these events first; reopen the view and resume from its position."""


@dataclass(frozen=True)
class ViewSpec:
    """How to build one view: its tables, and how events become writes to them."""

    name: str
    apply: Callable[[Envelope, Any], None]
    writer: Callable[[Cursor, int], Any]
    create_statements: Callable[[int], list[str]]
    drop_statements: Callable[[int], list[str]]
    version: int = 1
    """Bumped whenever the tables change shape: a generation built by another version is
    rebuilt (``ViewTarget.stale``) rather than written with the wrong columns."""
    outside: OutsideStore | None = None
    flush: Callable[[Any], None] | None = None
    """Called with the writer after a batch's events, before the position commits: a writer
    to an outside store sends and confirms its buffered operations there."""


def ensure_meta(db: Database) -> None:
    with db.write() as cursor:
        for statement in META_STATEMENTS:
            cursor.execute(statement)


def live_generation(cursor: Cursor, name: str, *, lock: str = "") -> int | None:
    """The live generation; ``lock`` (PostgreSQL's ``FOR SHARE``) holds off a swap until commit."""
    cursor.execute(f"SELECT generation FROM projection_generations WHERE name = ?{lock}", (name,))
    row = cursor.fetchone()
    return None if row is None else int(row["generation"])


def set_position(cursor: Cursor, name: str, generation: int, position: int) -> None:
    cursor.execute(
        "INSERT INTO projection_positions (name, generation, position) VALUES (?, ?, ?)"
        " ON CONFLICT (name, generation) DO UPDATE SET position = excluded.position",
        (name, generation, position),
    )


def record_failure(db: Database, name: str, position: int, error: str) -> None:
    """Say, for `hearth projections status`, where and why a follower of the log stopped."""
    with db.write() as cursor:
        cursor.execute(
            "INSERT INTO projection_failures (name, position, error) VALUES (?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET position = excluded.position,"
            " error = excluded.error",
            (name, position, error),
        )


def failure(cursor: Cursor, name: str) -> tuple[int, str] | None:
    cursor.execute("SELECT position, error FROM projection_failures WHERE name = ?", (name,))
    row = cursor.fetchone()
    return None if row is None else (int(row["position"]), str(row["error"]))


def get_position(cursor: Cursor, name: str, generation: int) -> int:
    cursor.execute(
        "SELECT position FROM projection_positions WHERE name = ? AND generation = ?",
        (name, generation),
    )
    row = cursor.fetchone()
    return 0 if row is None else int(row["position"])


class ViewTarget:
    """One generation of a view, as a target the runner applies batches to."""

    def __init__(self, db: Database, spec: ViewSpec, generation: int, *, live: bool) -> None:
        self.db = db
        self.spec = spec
        self.generation = generation
        self.live = live
        self.name = spec.name
        self.stale = False
        """The live tables were built by another version of the view: rebuild before use."""

    @classmethod
    def open_live(cls, db: Database, spec: ViewSpec) -> ViewTarget:
        """The live generation, creating generation 1 on a fresh database."""
        ensure_meta(db)
        with db.write() as cursor:
            generation = live_generation(cursor, spec.name)
            if generation is None:
                generation = 1
                cursor.execute(
                    "INSERT INTO projection_generations (name, generation) VALUES (?, ?)",
                    (spec.name, generation),
                )
                _record_version(cursor, spec, generation)
            stale = _built_version(cursor, spec.name, generation) != spec.version
            for statement in spec.create_statements(generation):
                cursor.execute(statement)
            cursor.execute(
                "INSERT INTO projection_positions (name, generation, position) VALUES (?, ?, 0)"
                " ON CONFLICT (name, generation) DO NOTHING",
                (spec.name, generation),
            )
            cursor.execute("DELETE FROM projection_failures WHERE name = ?", (spec.name,))
        if spec.outside is not None:
            spec.outside.create(generation)
        target = cls(db, spec, generation, live=True)
        target.stale = stale
        return target

    @classmethod
    def create_next(cls, db: Database, spec: ViewSpec) -> ViewTarget:
        """Fresh, empty tables for the generation after the live one (for a rebuild)."""
        live = cls.open_live(db, spec)
        with db.write() as cursor:
            cursor.execute(
                "SELECT MAX(generation) AS newest FROM projection_positions WHERE name = ?",
                (spec.name,),
            )
            row = cursor.fetchone()
            generation = max(live.generation, int(row["newest"] or 0)) + 1
            for statement in spec.drop_statements(generation) + spec.create_statements(generation):
                cursor.execute(statement)
            _record_version(cursor, spec, generation)
            set_position(cursor, spec.name, generation, 0)
        if spec.outside is not None:
            spec.outside.drop(generation)
            spec.outside.create(generation)
        return cls(db, spec, generation, live=False)

    def position(self) -> int:
        """This generation's position; for the live view, that of whichever generation is
        live now (a process that only follows the view sees a rebuild's switch)."""
        with self.db.read() as cursor:
            if self.live:
                generation = live_generation(cursor, self.name)
                return get_position(cursor, self.name, generation or self.generation)
            return get_position(cursor, self.name, self.generation)

    def apply_batch(self, batch: Sequence[Recorded], *, promote: bool = False) -> None:
        """Apply events and move the position in one transaction.

        ``promote`` makes this (rebuilt) generation the live one in the same
        transaction, so readers switch exactly at a batch boundary.
        """
        with self.db.write() as cursor:
            lock = " FOR SHARE" if self.db.dialect == "postgresql" else ""
            live = live_generation(cursor, self.name, lock=lock)
            if self.live and live != self.generation:
                raise GenerationChanged(f"{self.name} is now generation {live}")
            if self.live and batch:
                self._fence(cursor, batch[0].position)
            writer = self.spec.writer(cursor, self.generation)
            for recorded in batch:
                self.spec.apply(recorded.envelope, writer)
            if self.spec.flush is not None:
                self.spec.flush(writer)
            if batch:
                set_position(cursor, self.name, self.generation, batch[-1].position)
                if self.live and self.db.dialect == "postgresql":
                    cursor.execute("SELECT pg_notify(?, ?)", (PROGRESS_CHANNEL, self.name))
            if promote:
                cursor.execute(
                    "UPDATE projection_generations SET generation = ? WHERE name = ?",
                    (self.generation, self.name),
                )
                cursor.execute("DELETE FROM projection_failures WHERE name = ?", (self.name,))
                self.live = True

    def _fence(self, cursor: Cursor, first: int) -> None:
        """Refuse a batch whose first event is already applied: on PostgreSQL another process
        may have applied it (the position row stays locked until this batch commits)."""
        lock = " FOR UPDATE" if self.db.dialect == "postgresql" else ""
        cursor.execute(
            "SELECT position FROM projection_positions WHERE name = ? AND generation = ?" + lock,
            (self.name, self.generation),
        )
        row = cursor.fetchone()
        if row is not None and int(row["position"]) >= first:
            raise PositionMoved(f"{self.name} is already at position {row['position']}")

    def record_failure(self, position: int, error: str) -> None:
        record_failure(self.db, self.name, position, error)

    def drop_other_generations(self) -> None:
        """Drop tables of generations older than this one (left behind by a rebuild)."""
        with self.db.write() as cursor:
            cursor.execute(
                "SELECT generation FROM projection_positions WHERE name = ? AND generation < ?",
                (self.name, self.generation),
            )
            for row in cursor.fetchall():
                for statement in self.spec.drop_statements(int(row["generation"])):
                    cursor.execute(statement)
                if self.spec.outside is not None:
                    self.spec.outside.drop(int(row["generation"]))
            cursor.execute(
                "DELETE FROM projection_positions WHERE name = ? AND generation < ?",
                (self.name, self.generation),
            )
