"""The embedded search index on PostgreSQL: a table per generation with a ``tsvector`` column
under a GIN index, queried with ``websearch_to_tsquery``.

The ``simple`` text search configuration lower-cases and does not stem: the node does not
know which language a message is in, and a stemmer for the wrong one would mangle words.
It matches what FTS5's ``unicode61`` tokenizer does on SQLite. A deleted row's bytes
(text and ``tsvector``) are left as a dead tuple until vacuum; the deletion tests run
``VACUUM FULL`` before they scan, as an operator's routine vacuum would.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from infra.search.scope import ScopedIndex, SqlSearchScope
from infra.search.sql_index import document_row, sql_filters
from infra.sql import Cursor
from projections.search_models import (
    ELLIPSIS,
    HIGHLIGHT_END,
    HIGHLIGHT_START,
    SNIPPET_WORDS,
    SearchDocument,
    SearchQuery,
)

_MARKERS = f"StartSel={HIGHLIGHT_START}, StopSel={HIGHLIGHT_END}"
WHOLE_TEXT_CHARS = 160
"""A message this short is its own snippet, as on FTS5 and Meilisearch (``ts_headline``'s
fragments would trim words from its start)."""
WHOLE_OPTIONS = f"{_MARKERS}, HighlightAll=true"
FRAGMENT_OPTIONS = (
    f"{_MARKERS}, MaxWords={SNIPPET_WORDS}, MinWords={SNIPPET_WORDS // 3},"
    f' MaxFragments=2, FragmentDelimiter=" {ELLIPSIS} "'
)
"""``ts_headline`` options for a longer message: the fragments around the matches, about as
long as FTS5's snippet."""


def _table(generation: int) -> str:
    return f"search_g{generation}_documents"


def create_statements(generation: int) -> list[str]:
    documents = _table(generation)
    return [
        f"CREATE TABLE IF NOT EXISTS {documents} (id TEXT PRIMARY KEY,"
        " server_id TEXT NOT NULL, channel_id TEXT NOT NULL, author_id TEXT NOT NULL,"
        " hlc TEXT NOT NULL, edited_hlc TEXT, content TEXT NOT NULL,"
        " terms tsvector GENERATED ALWAYS AS (to_tsvector('simple', content)) STORED)",
        f"CREATE INDEX IF NOT EXISTS {documents}_terms ON {documents} USING GIN (terms)",
        f"CREATE INDEX IF NOT EXISTS {documents}_server_hlc ON {documents} (server_id, hlc)",
        f"CREATE INDEX IF NOT EXISTS {documents}_channel ON {documents} (channel_id)",
    ]


def drop_statements(generation: int) -> list[str]:
    return [f"DROP TABLE IF EXISTS {_table(generation)}"]


class PostgresIndexWriter:
    def __init__(self, cursor: Cursor, generation: int) -> None:
        self.cursor = cursor
        self.documents = _table(generation)

    def upsert(self, documents: Sequence[SearchDocument]) -> None:
        self.cursor.executemany(
            f"INSERT INTO {self.documents}"
            " (id, server_id, channel_id, author_id, hlc, edited_hlc, content)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
            " edited_hlc = excluded.edited_hlc, content = excluded.content",
            [(*document_row(document), document.content) for document in documents],
        )

    def delete(self, message_ids: Sequence[UUID]) -> None:
        self.cursor.executemany(
            f"DELETE FROM {self.documents} WHERE id = ?", [(str(i),) for i in message_ids]
        )

    def delete_channel(self, channel_id: UUID) -> None:
        self.cursor.execute(
            f"DELETE FROM {self.documents} WHERE channel_id = ?", (str(channel_id),)
        )


def scoped_index(cursor: Cursor, generation: int) -> ScopedIndex[PostgresIndexWriter]:
    return ScopedIndex(SqlSearchScope(cursor, generation), PostgresIndexWriter(cursor, generation))


def select_matches(generation: int, query: SearchQuery) -> tuple[str, list[object]]:
    where, params = sql_filters(query)
    if query.before is not None:
        where += " AND d.hlc < ?"
        params.append(str(query.before))
    return (
        "SELECT d.id, d.channel_id, d.author_id, d.hlc, d.edited_hlc,"
        " ts_headline('simple', d.content, q.query,"
        " CASE WHEN char_length(d.content) <= ? THEN ? ELSE ? END) AS snippet"
        f" FROM {_table(generation)} AS d,"
        " websearch_to_tsquery('simple', ?) AS q (query)"
        f" WHERE d.terms @@ q.query AND {where} ORDER BY d.hlc DESC LIMIT ?",
        [
            WHOLE_TEXT_CHARS,
            WHOLE_OPTIONS,
            FRAGMENT_OPTIONS,
            query.terms.text(),
            *params,
            query.limit,
        ],
    )
