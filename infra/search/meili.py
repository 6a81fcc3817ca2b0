"""The search index on a Meilisearch server (``HEARTH_SEARCH_BACKEND=meilisearch``).

One index per node and generation (``hearth-<node>-messages-g<n>``), documents keyed by
message id. The projection's bookkeeping and position stay in SQL; Meilisearch is outside
that transaction, so the writer buffers a batch's operations, sends them in order when the
batch ends and waits until Meilisearch has applied every one before the position commits.
A crash in between makes the runner send the batch again, which changes nothing: every
operation is an idempotent upsert or delete by id.

Results are sorted by time (``sort`` is the first ranking rule) and every word must match
(``matchingStrategy: all``), as on the SQL backends. Meilisearch's typo tolerance and prefix
matching of the last word may find more than they do.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import meilisearch
from meilisearch.errors import MeilisearchError
from meilisearch.models.task import TaskInfo

from infra.errors import StorageUnavailable
from infra.projections.views import live_generation
from infra.search.scope import ScopedIndex, SqlSearchScope
from infra.sql import Cursor, Database
from projections import search
from projections.search_models import (
    ELLIPSIS,
    HIGHLIGHT_END,
    HIGHLIGHT_START,
    SNIPPET_WORDS,
    SearchDocument,
    SearchHit,
    SearchQuery,
    snippet_parts,
)
from projections.search_ports import SearchUnavailable

TASK_TIMEOUT_MS = 60_000
SETTINGS = {
    "searchableAttributes": ["content"],
    "filterableAttributes": ["id", "server_id", "channel_id", "author_id", "wall_ms", "counter"],
    "sortableAttributes": ["wall_ms", "counter"],
    "rankingRules": ["sort", "words", "typo", "proximity", "attribute", "exactness"],
}
"""Filters on the ids and on time; the HLC is split into numbers (wall clock, counter)
because Meilisearch compares numbers, not strings, in filters."""
_RETRIEVED = ["id", "channel_id", "author_id", "hlc", "edited_hlc", "content"]
"""``content`` too: Meilisearch formats (highlights, crops) only the attributes it returns."""


class MeilisearchUnavailable(StorageUnavailable, SearchUnavailable):
    """Meilisearch refused or failed an operation (translated at this adapter's edge)."""


@contextmanager
def _translated() -> Iterator[None]:
    """The client's errors (refused requests, an unreachable server, time-outs) as ours."""
    try:
        yield
    except MeilisearchError as error:
        raise MeilisearchUnavailable(f"Meilisearch: {error}") from None


def _quoted(value: object) -> str:
    """A filter value: JSON string quoting, which Meilisearch's filter syntax accepts."""
    return json.dumps(str(value))


def _document(document: SearchDocument) -> dict[str, Any]:
    return {
        "id": str(document.message_id),
        "server_id": str(document.server_id),
        "channel_id": str(document.channel_id),
        "author_id": str(document.author_id),
        "hlc": str(document.hlc),
        "edited_hlc": None if document.edited_hlc is None else str(document.edited_hlc),
        "wall_ms": document.hlc.wall_ms,
        "counter": document.hlc.counter,
        "content": document.content,
    }


class MeiliIndexes:
    """The node's indexes on one Meilisearch server, one per generation of the view."""

    def __init__(self, url: str, api_key: str | None, node_name: str) -> None:
        self.client = meilisearch.Client(url, api_key, timeout=30)
        self.prefix = f"hearth-{node_name.replace('.', '-')}-messages"

    def uid(self, generation: int) -> str:
        return f"{self.prefix}-g{generation}"

    def wait(self, tasks: Sequence[TaskInfo], allowed_errors: frozenset[str] = frozenset()) -> None:
        """Wait until Meilisearch has processed ``tasks`` (in order); fail on any failure
        whose error code is not in ``allowed_errors``."""
        for info in tasks:
            with _translated():
                task = self.client.wait_for_task(info.task_uid, timeout_in_ms=TASK_TIMEOUT_MS)
            error = task.error or {}
            if task.status != "succeeded" and error.get("code") not in allowed_errors:
                raise MeilisearchUnavailable(f"Meilisearch task {task.uid} {task.status}: {error}")

    def create(self, generation: int) -> None:
        uid = self.uid(generation)
        with _translated():
            created = self.client.create_index(uid, {"primaryKey": "id"})
        self.wait([created], frozenset({"index_already_exists"}))
        with _translated():
            configured = self.client.index(uid).update_settings(SETTINGS)
        self.wait([configured])

    def drop(self, generation: int) -> None:
        with _translated():
            deleted = self.client.delete_index(self.uid(generation))
        self.wait([deleted], frozenset({"index_not_found"}))


class MeiliIndexWriter:
    """Buffers one batch's operations in order; ``flush`` sends them and waits."""

    def __init__(self, indexes: MeiliIndexes, generation: int) -> None:
        self.indexes = indexes
        self.index = indexes.client.index(indexes.uid(generation))
        self._pending: list[tuple[str, Any]] = []

    def upsert(self, documents: Sequence[SearchDocument]) -> None:
        if self._pending and self._pending[-1][0] == "upsert":
            self._pending[-1][1].update({d.message_id: d for d in documents})
        else:
            self._pending.append(("upsert", {d.message_id: d for d in documents}))

    def delete(self, message_ids: Sequence[UUID]) -> None:
        if self._pending and self._pending[-1][0] == "delete":
            self._pending[-1][1].update(message_ids)
        else:
            self._pending.append(("delete", set(message_ids)))

    def delete_channel(self, channel_id: UUID) -> None:
        self._pending.append(("delete_channel", channel_id))

    def flush(self) -> None:
        pending, self._pending = self._pending, []
        with _translated():
            tasks = [self._send(kind, payload) for kind, payload in pending]
        self.indexes.wait(tasks)

    def _send(self, kind: str, payload: Any) -> TaskInfo:
        if kind == "upsert":
            return self.index.add_documents([_document(d) for d in payload.values()], "id")
        if kind == "delete":
            ids = ", ".join(_quoted(message_id) for message_id in sorted(map(str, payload)))
            return self.index.delete_documents(filter=f"id IN [{ids}]")
        return self.index.delete_documents(filter=f"channel_id = {_quoted(payload)}")


def meili_view(indexes: MeiliIndexes) -> Callable[[Cursor, int], ScopedIndex[MeiliIndexWriter]]:
    """The ``ViewSpec.writer`` for Meilisearch: SQL bookkeeping plus a buffering writer."""

    def writer(cursor: Cursor, generation: int) -> ScopedIndex[MeiliIndexWriter]:
        return ScopedIndex(
            SqlSearchScope(cursor, generation), MeiliIndexWriter(indexes, generation)
        )

    return writer


def flush(view: ScopedIndex[MeiliIndexWriter]) -> None:
    view.index.flush()


class MeiliIndexReader:
    """Searches the live generation's index; the generation is read from the view's SQL."""

    def __init__(self, indexes: MeiliIndexes, db: Database) -> None:
        self.indexes = indexes
        self.db = db

    def search(self, query: SearchQuery) -> list[SearchHit]:
        with self.db.read() as cursor:
            generation = live_generation(cursor, search.NAME)
        if generation is None:
            return []
        with _translated():
            found = self.indexes.client.index(self.indexes.uid(generation)).search(
                query.terms.text(), self._parameters(query)
            )
        return [
            SearchHit(
                message_id=UUID(hit["id"]),
                channel_id=UUID(hit["channel_id"]),
                author_id=UUID(hit["author_id"]),
                hlc=hit["hlc"],
                edited_hlc=hit["edited_hlc"],
                snippet=snippet_parts(hit["_formatted"]["content"]),
            )
            for hit in found["hits"]
        ]

    @staticmethod
    def _parameters(query: SearchQuery) -> dict[str, Any]:
        filters = [f"server_id = {_quoted(query.server_id)}"]
        if query.channel_id is not None:
            filters.append(f"channel_id = {_quoted(query.channel_id)}")
        if query.author_id is not None:
            filters.append(f"author_id = {_quoted(query.author_id)}")
        if query.before is not None:
            wall, counter = query.before.wall_ms, query.before.counter
            filters.append(f"(wall_ms < {wall} OR (wall_ms = {wall} AND counter < {counter}))")
        return {
            "filter": " AND ".join(filters),
            "sort": ["wall_ms:desc", "counter:desc"],
            "limit": query.limit,
            "matchingStrategy": "all",
            "attributesToRetrieve": _RETRIEVED,
            "attributesToHighlight": ["content"],
            "attributesToCrop": ["content"],
            "cropLength": SNIPPET_WORDS,
            "cropMarker": ELLIPSIS,
            "highlightPreTag": HIGHLIGHT_START,
            "highlightPostTag": HIGHLIGHT_END,
        }
