"""What the search projection and the search API need, as interfaces the infra layer implements.

The projection writes through two ports inside the transaction that moves its position:
``SearchScope`` (which channels are public, which messages are indexed: bookkeeping kept in
SQL with the position) and ``SearchIndexWriter`` (the documents, in whichever engine holds
them). Every index operation is idempotent, so an engine outside that transaction
(Meilisearch) may see a batch twice after a crash and still converge.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol
from uuid import UUID

from projections.search_models import IndexedMessage, SearchDocument, SearchHit, SearchQuery


class SearchScope(Protocol):
    def add_public_channel(self, channel_id: UUID, server_id: UUID) -> None: ...
    def public_channel_server(self, channel_id: UUID) -> UUID | None:
        """The server of a public channel; None for any other channel (private, DM, unknown)."""
        ...

    def remove_channel(self, channel_id: UUID) -> None:
        """Forget a channel and every message of it."""
        ...

    def add_message(self, message: IndexedMessage) -> None: ...
    def message(self, message_id: UUID) -> IndexedMessage | None: ...
    def remove_message(self, message_id: UUID) -> None: ...


class SearchIndexWriter(Protocol):
    def upsert(self, documents: Sequence[SearchDocument]) -> None:
        """Add documents, or replace those with the same message id."""
        ...

    def delete(self, message_ids: Sequence[UUID]) -> None:
        """Remove documents; ids not in the index are ignored."""
        ...

    def delete_channel(self, channel_id: UUID) -> None:
        """Remove every document of a channel."""
        ...


class SearchView(Protocol):
    """What ``projections.search.apply`` writes to."""

    scope: SearchScope
    index: SearchIndexWriter


class SearchUnavailable(Exception):
    """The index cannot answer now (its server is down): the search may be retried."""


class SearchIndexReader(Protocol):
    def search(self, query: SearchQuery) -> list[SearchHit]:
        """Matches of ``query`` in one server, newest first, at most ``query.limit``;
        ``SearchUnavailable`` when the index cannot be reached."""
        ...
