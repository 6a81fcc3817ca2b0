"""What the two SQL search indexes (SQLite FTS5, PostgreSQL) share: the query's filters, the
reading of a result row, and the reader of the live generation."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from infra.projections.views import live_generation
from infra.sql import Database
from projections import search
from projections.search_models import SearchDocument, SearchHit, SearchQuery, snippet_parts


def document_row(document: SearchDocument) -> tuple[str, str, str, str, str, str | None]:
    """A document's id, server, channel, author, time and edit time, as stored."""
    return (
        str(document.message_id),
        str(document.server_id),
        str(document.channel_id),
        str(document.author_id),
        str(document.hlc),
        None if document.edited_hlc is None else str(document.edited_hlc),
    )


def sql_filters(query: SearchQuery) -> tuple[str, list[str]]:
    """The conditions on ``d`` (the documents) for server, channel and author; each backend
    adds its own condition for ``before``."""
    conditions, params = ["d.server_id = ?"], [str(query.server_id)]
    if query.channel_id is not None:
        conditions.append("d.channel_id = ?")
        params.append(str(query.channel_id))
    if query.author_id is not None:
        conditions.append("d.author_id = ?")
        params.append(str(query.author_id))
    return " AND ".join(conditions), params


def hit_from_row(row: Any) -> SearchHit:
    return SearchHit(
        message_id=UUID(row["id"]),
        channel_id=UUID(row["channel_id"]),
        author_id=UUID(row["author_id"]),
        hlc=row["hlc"],
        edited_hlc=row["edited_hlc"],
        snippet=snippet_parts(row["snippet"]),
    )


SelectMatches = Callable[[int, SearchQuery], tuple[str, Sequence[object]]]
"""A backend's statement for a query against one generation's tables, and its parameters."""


class SqlIndexReader:
    """Searches the live generation of a SQL index (SQLite FTS5 or PostgreSQL)."""

    def __init__(self, db: Database, select_matches: SelectMatches) -> None:
        self.db = db
        self.select_matches = select_matches

    def search(self, query: SearchQuery) -> list[SearchHit]:
        with self.db.read() as cursor:
            generation = live_generation(cursor, search.NAME)
            if generation is None:
                return []
            statement, params = self.select_matches(generation, query)
            cursor.execute(statement, params)
            return [hit_from_row(row) for row in cursor.fetchall()]
