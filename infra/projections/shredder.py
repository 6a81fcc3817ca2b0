"""The shredder: follows the log and destroys the data key of each deleted aggregate.

Deletion is an event first (the tombstone), and the key's destruction follows the
log like any projection, so a crash between the two cannot leave a deleted
message readable: the shredder resumes from its position and finishes the job.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from uuid import UUID

from domain.events import Recorded
from domain.file import FileDeleted
from domain.invite import InviteRevoked
from domain.message import MessageDeleted
from domain.user import UserDeleted
from infra.eventstore.keys import KeyStore
from infra.projections.views import ensure_meta, record_failure
from infra.sql import Database

SHREDDING_EVENTS = (MessageDeleted, UserDeleted, InviteRevoked, FileDeleted)


class ShredderTarget:
    name = "shredder"

    def __init__(
        self, keys: KeyStore, status: Database, erasers: Sequence[Callable[[UUID], None]] = ()
    ) -> None:
        """``status`` is where failures are reported; each of ``erasers`` forgets a deleted
        user's rows outside the log (published keys, read markers). Erasing is idempotent, so
        a crash before the position is saved only repeats it."""
        self.keys = keys
        self.status = status
        self.erasers = erasers
        ensure_meta(status)
        with status.write() as cursor:
            cursor.execute("DELETE FROM projection_failures WHERE name = ?", (self.name,))

    def position(self) -> int:
        return self.keys.shredder_position()

    def apply_batch(self, batch: list[Recorded]) -> None:
        doomed = [
            r.envelope.aggregate_id for r in batch if isinstance(r.envelope.event, SHREDDING_EVENTS)
        ]
        for recorded in batch:
            if isinstance(recorded.envelope.event, UserDeleted):
                for erase in self.erasers:
                    erase(recorded.envelope.aggregate_id)
        self.keys.shred(doomed, batch[-1].position)

    def record_failure(self, position: int, error: str) -> None:
        record_failure(self.status, self.name, position, error)
