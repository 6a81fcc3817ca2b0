"""The embedded search index on SQLite: an FTS5 table per generation, in its own file.

Python's ``sqlite3`` module is linked against the system's SQLite, which on Debian 12 is
3.40; FTS5's ``secure-delete`` option needs 3.44. Without it a deleted row's terms stay in
the index's b-tree until a later merge happens to rewrite their segment, so a deleted
message's words could be read back from the file. The index therefore lives in
``search.sqlite3`` and is opened through ``pysqlite3`` (the same DB-API, built on a current
SQLite). With ``secure-delete`` on, deleting a row rewrites the index pages without its terms,
and ``PRAGMA secure_delete`` zeroes the freed bytes of the content table.

A document is a row of ``documents`` (message ids, server, channel, author, times) and, under
the same rowid, a row of the FTS5 table holding its text, tokenised by ``unicode61`` with
diacritics folded.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from uuid import UUID

from domain.hlc import HLC, MAX_COUNTER
from infra.errors import StorageUnavailable
from infra.search.scope import ScopedIndex, SqlSearchScope
from infra.search.sql_index import document_row, sql_filters
from infra.sql import Cursor, SQLiteDatabase
from projections.search_models import (
    ELLIPSIS,
    HIGHLIGHT_END,
    HIGHLIGHT_START,
    SNIPPET_WORDS,
    SearchDocument,
    SearchQuery,
    SearchTerms,
)

MIN_SQLITE = (3, 44, 0)
"""The first SQLite whose FTS5 has the ``secure-delete`` option."""


def fts_driver() -> ModuleType:
    """The DB-API module for the search file, refusing a SQLite without FTS5 secure-delete."""
    try:
        from pysqlite3 import dbapi2  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        raise StorageUnavailable(
            "the embedded search index needs the pysqlite3-binary package (SQLite >= 3.44)"
        ) from None
    driver: ModuleType = dbapi2
    if driver.sqlite_version_info < MIN_SQLITE:
        raise StorageUnavailable(
            f"the embedded search index needs SQLite >= 3.44 for FTS5 secure-delete;"
            f" pysqlite3 has {driver.sqlite_version}"
        )
    return driver


def open_search_file(path: str) -> SQLiteDatabase:
    return SQLiteDatabase(path, fts_driver())


_COUNTER_SPAN: int = MAX_COUNTER + 1


def time_key(hlc: HLC) -> int:
    """A document's rowid: its post's HLC as one integer, so that rowid order is time order.
    Unique because a node stamps every event of its log with a distinct (wall, counter)."""
    return hlc.wall_ms * _COUNTER_SPAN + hlc.counter


def _tables(generation: int) -> tuple[str, str]:
    """The (documents, fts) tables of one generation."""
    return f"search_g{generation}_documents", f"search_g{generation}_fts"


def create_statements(generation: int) -> list[str]:
    documents, fts = _tables(generation)
    return [
        f"CREATE TABLE IF NOT EXISTS {documents} (rowid INTEGER PRIMARY KEY,"
        " id TEXT NOT NULL UNIQUE, server_id TEXT NOT NULL, channel_id TEXT NOT NULL,"
        " author_id TEXT NOT NULL, hlc TEXT NOT NULL, edited_hlc TEXT)",
        f"CREATE INDEX IF NOT EXISTS {documents}_server_hlc ON {documents} (server_id, hlc)",
        f"CREATE INDEX IF NOT EXISTS {documents}_channel ON {documents} (channel_id)",
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5("
        "content, tokenize = 'unicode61 remove_diacritics 2')",
        f"INSERT INTO {fts} ({fts}, rank) VALUES ('secure-delete', 1)",
    ]


def drop_statements(generation: int) -> list[str]:
    return [f"DROP TABLE IF EXISTS {table}" for table in _tables(generation)]


class FtsIndexWriter:
    def __init__(self, cursor: Cursor, generation: int) -> None:
        self.cursor = cursor
        self.documents, self.fts = _tables(generation)

    def upsert(self, documents: Sequence[SearchDocument]) -> None:
        for document in documents:
            rowid = time_key(document.hlc)
            self.cursor.execute(
                f"INSERT INTO {self.documents}"
                " (rowid, id, server_id, channel_id, author_id, hlc, edited_hlc)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET edited_hlc = excluded.edited_hlc",
                (rowid, *document_row(document)),
            )
            self.cursor.execute(f"DELETE FROM {self.fts} WHERE rowid = ?", (rowid,))
            self.cursor.execute(
                f"INSERT INTO {self.fts} (rowid, content) VALUES (?, ?)",
                (rowid, document.content),
            )

    def delete(self, message_ids: Sequence[UUID]) -> None:
        for message_id in message_ids:
            self._delete_where("id = ?", str(message_id))

    def delete_channel(self, channel_id: UUID) -> None:
        self._delete_where("channel_id = ?", str(channel_id))

    def _delete_where(self, condition: str, value: str) -> None:
        self.cursor.execute(
            f"DELETE FROM {self.fts} WHERE rowid IN"
            f" (SELECT rowid FROM {self.documents} WHERE {condition})",
            (value,),
        )
        self.cursor.execute(f"DELETE FROM {self.documents} WHERE {condition}", (value,))


def scoped_index(cursor: Cursor, generation: int) -> ScopedIndex[FtsIndexWriter]:
    return ScopedIndex(SqlSearchScope(cursor, generation), FtsIndexWriter(cursor, generation))


def match_expression(terms: SearchTerms) -> str:
    """FTS5 query syntax: each phrase in double quotes, all of them required. Words hold
    only letters and digits (``parse_query``), so nothing inside the quotes needs escaping."""
    return " ".join('"' + " ".join(phrase) + '"' for phrase in terms.phrases)


def select_matches(generation: int, query: SearchQuery) -> tuple[str, list[object]]:
    """Newest first by rowid (``time_key``): FTS5 walks its matches in rowid order, so the
    query stops at the limit and computes snippets for the rows it returns only, and
    ``before`` is a rowid range FTS5 seeks to. ``CROSS JOIN`` keeps the FTS table the outer
    loop."""
    documents, fts = _tables(generation)
    where, params = sql_filters(query)
    conditions: list[object] = []
    if query.before is not None:
        where += f" AND {fts}.rowid < ?"
        conditions.append(time_key(query.before))
    return (
        f"SELECT d.id, d.channel_id, d.author_id, d.hlc, d.edited_hlc,"
        f" snippet({fts}, 0, ?, ?, ?, ?) AS snippet"
        f" FROM {fts} CROSS JOIN {documents} AS d ON d.rowid = {fts}.rowid"
        f" WHERE {fts} MATCH ? AND {where} ORDER BY {fts}.rowid DESC LIMIT ?",
        [
            HIGHLIGHT_START,
            HIGHLIGHT_END,
            ELLIPSIS,
            SNIPPET_WORDS,
            match_expression(query.terms),
            *params,
            *conditions,
            query.limit,
        ],
    )
