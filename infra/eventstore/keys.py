"""The content-key table beside the log: look keys up, and shred them for good."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore


class KeyStore:
    """Reads and deletes the per-aggregate data keys that seal personal content."""

    def __init__(self, datastore: SQLiteDatastore | PostgresDatastore) -> None:
        self._datastore = datastore
        self._mark = "?" if isinstance(datastore, SQLiteDatastore) else "%s"

    def get_many(self, aggregate_ids: Iterable[UUID]) -> dict[UUID, bytes]:
        wanted = {str(aggregate_id): aggregate_id for aggregate_id in aggregate_ids}
        if not wanted:
            return {}
        marks = ",".join([self._mark] * len(wanted))
        with self._datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT aggregate_id, key FROM content_keys WHERE aggregate_id IN ({marks})",
                list(wanted),
            )
            rows = cursor.fetchall()
        return {wanted[row["aggregate_id"]]: bytes(row["key"]) for row in rows}

    def shred(self, aggregate_ids: Iterable[UUID], position: int) -> None:
        """Delete the keys, so every sealed field of those aggregates becomes unreadable,
        and record the shredder's log ``position`` in the same transaction."""
        ids = [(str(aggregate_id),) for aggregate_id in aggregate_ids]
        with self._datastore.transaction(commit=True) as cursor:
            cursor.execute(
                "INSERT INTO shredder_position (id, position) VALUES (1, "
                f"{self._mark}) ON CONFLICT (id) DO UPDATE SET position = excluded.position",
                (position,),
            )
            if ids:
                cursor.executemany(
                    f"DELETE FROM content_keys WHERE aggregate_id = {self._mark}",
                    ids,
                )

    def shredder_position(self) -> int:
        with self._datastore.transaction(commit=False) as cursor:
            cursor.execute("SELECT position FROM shredder_position WHERE id = 1")
            row = cursor.fetchone()
            return 0 if row is None else int(row["position"])
