"""File use cases: record an upload, and forget one whose bytes were deleted."""

from __future__ import annotations

from uuid import UUID

from api.chat_commands import now_ms, retry_on_conflict
from api.ports import EventLog
from domain import file
from domain.aggregates import Change
from domain.events import Recorded


class FileCommands:
    def __init__(self, log: EventLog) -> None:
        self.log = log

    def record_upload(
        self, actor: UUID, file_id: str, name: str, size: int, content_type: str, encrypted: bool
    ) -> Recorded | None:
        """``FileUploaded`` for a first upload by ``actor`` of this content; None for a repeat."""

        def attempt() -> Recorded | None:
            aggregate_id = file.file_aggregate_id(file_id, actor)
            loaded = self.log.load(file.FILE, aggregate_id)
            events = file.upload(
                loaded.state, file_id, actor, name, size, content_type, encrypted, now_ms()
            )
            if not events:
                return None
            return self.log.append([Change(aggregate_id, loaded.version, events)])[-1]

        return retry_on_conflict(attempt)

    def upload_of(self, file_id: str, uploader: UUID) -> file.File | None:
        """``uploader``'s live upload of the content, if any."""
        state = self.log.load(file.FILE, file.file_aggregate_id(file_id, uploader)).state
        return None if state is None or state.deleted else state

    def forget(self, aggregate_id: UUID) -> Recorded | None:
        """Append ``FileDeleted`` (the shredder then destroys the name's key)."""

        def attempt() -> Recorded | None:
            loaded = self.log.load(file.FILE, aggregate_id)
            events = file.delete(loaded.state)
            if not events:
                return None
            return self.log.append([Change(aggregate_id, loaded.version, events)])[-1]

        return retry_on_conflict(attempt)
