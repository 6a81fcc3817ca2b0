"""The shredder: follows the log and destroys the data key of each deleted aggregate.

Deletion is an event first (the tombstone), and the key's destruction follows the
log like any projection, so a crash between the two cannot leave a deleted
message readable: the shredder resumes from its position and finishes the job.
"""

from __future__ import annotations

from domain.events import Recorded
from domain.message import MessageDeleted
from domain.user import UserDeleted
from infra.eventstore.keys import KeyStore

SHREDDING_EVENTS = (MessageDeleted, UserDeleted)


class ShredderTarget:
    name = "shredder"

    def __init__(self, keys: KeyStore) -> None:
        self.keys = keys

    def position(self) -> int:
        return self.keys.shredder_position()

    def apply_batch(self, batch: list[Recorded]) -> None:
        doomed = [
            r.envelope.aggregate_id for r in batch if isinstance(r.envelope.event, SHREDDING_EVENTS)
        ]
        self.keys.shred(doomed, batch[-1].position)

    def record_failure(self, position: int, error: str) -> None:
        """The failure is reported by the runner and `hearth projections status`."""
