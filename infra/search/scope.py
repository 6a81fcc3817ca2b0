"""The search projection's bookkeeping, in SQL beside its position (every backend).

Which channels are public, and which messages are in the index with where they live: an
edit or a deletion arrives without its channel, and must touch only what was indexed. Only
ids and times are kept here, never text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar
from uuid import UUID

from domain.hlc import HLC
from infra.sql import Cursor
from projections.search_models import IndexedMessage
from projections.search_ports import SearchIndexWriter

W = TypeVar("W", bound=SearchIndexWriter)


def scope_tables(generation: int) -> tuple[str, str]:
    """The (channels, messages) tables of one generation."""
    return f"search_g{generation}_channels", f"search_g{generation}_messages"


def scope_create_statements(generation: int) -> list[str]:
    channels, messages = scope_tables(generation)
    return [
        f"CREATE TABLE IF NOT EXISTS {channels} (id TEXT PRIMARY KEY, server_id TEXT NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {messages} (id TEXT PRIMARY KEY, server_id TEXT NOT NULL,"
        " channel_id TEXT NOT NULL, author_id TEXT NOT NULL, hlc TEXT NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS {messages}_channel ON {messages} (channel_id)",
    ]


def scope_drop_statements(generation: int) -> list[str]:
    return [f"DROP TABLE IF EXISTS {table}" for table in scope_tables(generation)]


class SqlSearchScope:
    def __init__(self, cursor: Cursor, generation: int) -> None:
        self.cursor = cursor
        self.channels, self.messages = scope_tables(generation)

    def add_public_channel(self, channel_id: UUID, server_id: UUID) -> None:
        self.cursor.execute(
            f"INSERT INTO {self.channels} (id, server_id) VALUES (?, ?)"
            " ON CONFLICT (id) DO NOTHING",
            (str(channel_id), str(server_id)),
        )

    def public_channel_server(self, channel_id: UUID) -> UUID | None:
        self.cursor.execute(
            f"SELECT server_id FROM {self.channels} WHERE id = ?", (str(channel_id),)
        )
        row = self.cursor.fetchone()
        return None if row is None else UUID(row["server_id"])

    def remove_channel(self, channel_id: UUID) -> None:
        self.cursor.execute(f"DELETE FROM {self.messages} WHERE channel_id = ?", (str(channel_id),))
        self.cursor.execute(f"DELETE FROM {self.channels} WHERE id = ?", (str(channel_id),))

    def add_message(self, message: IndexedMessage) -> None:
        self.cursor.execute(
            f"INSERT INTO {self.messages} (id, server_id, channel_id, author_id, hlc)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
            (
                str(message.message_id),
                str(message.server_id),
                str(message.channel_id),
                str(message.author_id),
                str(message.hlc),
            ),
        )

    def message(self, message_id: UUID) -> IndexedMessage | None:
        self.cursor.execute(
            f"SELECT server_id, channel_id, author_id, hlc FROM {self.messages} WHERE id = ?",
            (str(message_id),),
        )
        row = self.cursor.fetchone()
        if row is None:
            return None
        return IndexedMessage(
            message_id=message_id,
            server_id=UUID(row["server_id"]),
            channel_id=UUID(row["channel_id"]),
            author_id=UUID(row["author_id"]),
            hlc=HLC.parse(row["hlc"]),
        )

    def remove_message(self, message_id: UUID) -> None:
        self.cursor.execute(f"DELETE FROM {self.messages} WHERE id = ?", (str(message_id),))


@dataclass(frozen=True)
class ScopedIndex(Generic[W]):
    """What the runner hands to ``projections.search.apply``: this bookkeeping and an index."""

    scope: SqlSearchScope
    index: W
