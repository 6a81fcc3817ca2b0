"""The file reaper: follows the log and deletes a file's bytes with its last reference.

A file's bytes are deleted when the last message attaching it is deleted (by its author, a
moderator, or its TTL running out): the same tombstone that shreds the message's text, so
deletion stays one event and the bytes follow the log (docs/architecture.md, "Deletion").
It then appends ``FileDeleted`` for every upload of the content, which the shredder turns
into the destruction of the uploaded names' keys.

The reaper keeps which live messages attach which file, and which uploads hold which
content, in tables of its own, written with its position in one transaction. Deleting an
object and appending ``FileDeleted`` are both idempotent, so a crash before the position is
saved only repeats them.
"""

from __future__ import annotations

from uuid import UUID

from api.file_commands import FileCommands
from api.file_storage import StorageBackend
from domain.events import Recorded
from domain.file import FileDeleted, FileUploaded
from domain.message import MessageDeleted, MessagePosted
from infra.projections.views import ensure_meta, get_position, record_failure, set_position
from infra.sql import Cursor, Database

GENERATION = 1
"""The reaper is never rebuilt: its effects (deleted bytes) cannot be replayed."""
TABLES = (
    "CREATE TABLE IF NOT EXISTS file_reaper_references ("
    "file_id TEXT NOT NULL, message_id TEXT NOT NULL, PRIMARY KEY (file_id, message_id))",
    "CREATE INDEX IF NOT EXISTS file_reaper_references_message"
    " ON file_reaper_references (message_id)",
    "CREATE TABLE IF NOT EXISTS file_reaper_uploads ("
    "file_id TEXT NOT NULL, upload_id TEXT NOT NULL, PRIMARY KEY (file_id, upload_id))",
)


class FileReaperTarget:
    name = "file_reaper"

    def __init__(self, db: Database, storage: StorageBackend, files: FileCommands) -> None:
        self.db = db
        self.storage = storage
        self.files = files
        ensure_meta(db)
        with db.write() as cursor:
            for statement in TABLES:
                cursor.execute(statement)
            cursor.execute("DELETE FROM projection_failures WHERE name = ?", (self.name,))

    def position(self) -> int:
        with self.db.read() as cursor:
            return get_position(cursor, self.name, GENERATION)

    def apply_batch(self, batch: list[Recorded]) -> None:
        with self.db.write() as cursor:
            doomed: set[str] = set()
            for recorded in batch:
                doomed |= self._apply(cursor, recorded)
            for file_id in sorted(doomed):
                self._reap(cursor, file_id)
            set_position(cursor, self.name, GENERATION, batch[-1].position)

    def _apply(self, cursor: Cursor, recorded: Recorded) -> set[str]:
        """The files whose last reference this event removed."""
        event, aggregate_id = recorded.envelope.event, str(recorded.envelope.aggregate_id)
        match event:
            case MessagePosted() if event.attachments:
                cursor.executemany(
                    "INSERT INTO file_reaper_references (file_id, message_id) VALUES (?, ?)"
                    " ON CONFLICT DO NOTHING",
                    [(file_id, aggregate_id) for file_id in event.attachments],
                )
            case MessageDeleted():
                return self._unreference(cursor, aggregate_id)
            case FileUploaded():
                cursor.execute(
                    "INSERT INTO file_reaper_uploads (file_id, upload_id) VALUES (?, ?)"
                    " ON CONFLICT DO NOTHING",
                    (event.file_id, aggregate_id),
                )
            case FileDeleted():
                cursor.execute(
                    "DELETE FROM file_reaper_uploads WHERE upload_id = ?", (aggregate_id,)
                )
        return set()

    def _unreference(self, cursor: Cursor, message_id: str) -> set[str]:
        cursor.execute(
            "SELECT file_id FROM file_reaper_references WHERE message_id = ?", (message_id,)
        )
        attached = {str(row["file_id"]) for row in cursor.fetchall()}
        cursor.execute("DELETE FROM file_reaper_references WHERE message_id = ?", (message_id,))
        orphans = set()
        for file_id in attached:
            cursor.execute(
                "SELECT 1 FROM file_reaper_references WHERE file_id = ? LIMIT 1", (file_id,)
            )
            if cursor.fetchone() is None:
                orphans.add(file_id)
        return orphans

    def _reap(self, cursor: Cursor, file_id: str) -> None:
        self.storage.delete(file_id)
        cursor.execute("SELECT upload_id FROM file_reaper_uploads WHERE file_id = ?", (file_id,))
        for row in cursor.fetchall():
            self.files.forget(UUID(row["upload_id"]))

    def record_failure(self, position: int, error: str) -> None:
        record_failure(self.db, self.name, position, error)
