"""Read markers and the read-receipt preference: per-user state local to this node.

Not in the log: where a person stopped reading is personal, changes constantly,
and is never federated. Rows are ordinary (and really deletable) table rows.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from api.ports import ReadMarker
from infra.sql import Database

STATEMENTS = (
    "CREATE TABLE IF NOT EXISTS read_markers ("
    "user_id TEXT NOT NULL, channel_id TEXT NOT NULL, message_id TEXT NOT NULL,"
    " hlc TEXT NOT NULL, PRIMARY KEY (user_id, channel_id))",
    "CREATE TABLE IF NOT EXISTS read_receipt_choices ("
    "user_id TEXT PRIMARY KEY, share INTEGER NOT NULL)",
)


class SqlReadState:
    def __init__(self, db: Database) -> None:
        self.db = db
        with db.write() as cursor:
            for statement in STATEMENTS:
                cursor.execute(statement)

    def mark_read(self, user_id: UUID, channel_id: UUID, message_id: UUID, hlc: str) -> None:
        """Move the marker forward only: reading an older message does not un-read newer ones."""
        with self.db.write() as cursor:
            cursor.execute(
                "INSERT INTO read_markers (user_id, channel_id, message_id, hlc)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (user_id, channel_id) DO UPDATE SET"
                " message_id = excluded.message_id, hlc = excluded.hlc"
                " WHERE excluded.hlc > read_markers.hlc",
                (str(user_id), str(channel_id), str(message_id), hlc),
            )

    def markers_of(self, user_id: UUID) -> list[ReadMarker]:
        with self.db.read() as cursor:
            cursor.execute(
                "SELECT user_id, channel_id, message_id, hlc FROM read_markers WHERE user_id = ?",
                (str(user_id),),
            )
            return [_marker(row) for row in cursor.fetchall()]

    def receipts(self, channel_id: UUID, limit: int) -> list[ReadMarker]:
        """The newest markers in a channel of users who chose to share read receipts."""
        with self.db.read() as cursor:
            cursor.execute(
                "SELECT m.user_id, m.channel_id, m.message_id, m.hlc FROM read_markers m"
                " JOIN read_receipt_choices c ON c.user_id = m.user_id AND c.share = 1"
                " WHERE m.channel_id = ? ORDER BY m.hlc DESC LIMIT ?",
                (str(channel_id), limit),
            )
            return [_marker(row) for row in cursor.fetchall()]

    def shares_receipts(self, user_id: UUID) -> bool:
        with self.db.read() as cursor:
            cursor.execute(
                "SELECT share FROM read_receipt_choices WHERE user_id = ?", (str(user_id),)
            )
            row = cursor.fetchone()
        return bool(row and row["share"])

    def choose(self, user_id: UUID, share: bool) -> None:
        with self.db.write() as cursor:
            cursor.execute(
                "INSERT INTO read_receipt_choices (user_id, share) VALUES (?, ?)"
                " ON CONFLICT (user_id) DO UPDATE SET share = excluded.share",
                (str(user_id), int(share)),
            )

    def forget(self, user_id: UUID) -> None:
        with self.db.write() as cursor:
            cursor.execute("DELETE FROM read_markers WHERE user_id = ?", (str(user_id),))
            cursor.execute("DELETE FROM read_receipt_choices WHERE user_id = ?", (str(user_id),))


def _marker(row: Any) -> ReadMarker:
    return ReadMarker(
        user_id=row["user_id"],
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        hlc=row["hlc"],
    )
