"""The File aggregate: one user's upload of one content (docs/protocol/files.md).

A file's id is the SHA-256 of its bytes, so equal uploads share one stored object. Who
uploaded it, under which name, is per uploader: the aggregate id is derived from the content
hash and the uploader, so uploading the same bytes twice records nothing new. The name is
personal content and sealed with the aggregate's own key; ``FileDeleted`` (appended when the
last message referencing the file is deleted) shreds it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from domain.aggregates import AggregateKind
from domain.errors import InvalidCommand
from domain.events import Event, catalogue

MAX_NAME_CHARS = 255
MAX_ATTACHMENTS = 10
ENCRYPTED_CONTENT_TYPE = "application/octet-stream"
_NAMESPACE = UUID("6f1c2a0e-8a43-4c55-9d2b-3e8b1f0c7a51")
FILE_ID_PATTERN = r"^[0-9a-f]{64}$"
_FILE_ID = re.compile(r"[0-9a-f]{64}")


def is_file_id(text: str) -> bool:
    """A file id is the SHA-256 of the content as 64 lower-case hex digits, and nothing else:
    no path separator or dot from a request can ever reach a storage backend."""
    return _FILE_ID.fullmatch(text) is not None


def file_aggregate_id(file_id: str, uploader_id: UUID) -> UUID:
    """The aggregate of ``uploader_id``'s upload of the content ``file_id`` (UUIDv5)."""
    return uuid.uuid5(_NAMESPACE, f"{file_id}/{uploader_id}")


@catalogue.register
class FileUploaded(Event):
    """``content_type`` is sniffed from the bytes by the node (``application/octet-stream``
    for an encrypted attachment), never taken from the client."""

    sealed_fields: ClassVar[frozenset[str]] = frozenset({"name"})

    file_id: str
    uploader_id: UUID
    name: str | None
    size: int
    content_type: str
    encrypted: bool = False
    uploaded_at_ms: int


@catalogue.register
class FileDeleted(Event):
    """The stored bytes are gone: the last message referencing the file was deleted."""

    file_id: str


class File(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: UUID
    file_id: str
    uploader_id: UUID
    name: str | None
    size: int
    content_type: str
    encrypted: bool
    uploaded_at_ms: int
    deleted: bool = False


def clean_name(name: str) -> str:
    """The name as recorded: its last path segment, without control characters, at most
    ``MAX_NAME_CHARS`` long. (Download headers escape it again; this keeps the log tidy.)"""
    last = name.replace("\\", "/").rsplit("/", 1)[-1]
    printable = "".join(ch for ch in last if ch.isprintable()).strip()
    return printable[:MAX_NAME_CHARS] or "file"


def upload(
    state: File | None,
    file_id: str,
    uploader_id: UUID,
    name: str,
    size: int,
    content_type: str,
    encrypted: bool,
    now_ms: int,
) -> list[Event]:
    """Record the upload, unless this uploader already holds this content (de-duplication)."""
    if state is not None and not state.deleted:
        return []
    return [
        FileUploaded(
            file_id=file_id,
            uploader_id=uploader_id,
            name=clean_name(name),
            size=size,
            content_type=content_type,
            encrypted=encrypted,
            uploaded_at_ms=now_ms,
        )
    ]


def delete(state: File | None) -> list[Event]:
    """Forget a live upload (idempotent: the reaper may repeat itself after a crash)."""
    if state is None or state.deleted:
        return []
    return [FileDeleted(file_id=state.file_id)]


def require_attachable(file_ids: Sequence[str], uploads: Sequence[File | None]) -> None:
    """A message attaches only files its author uploaded: knowing a content hash must not be
    enough to gain access to the file through a message of one's own."""
    if len(file_ids) > MAX_ATTACHMENTS:
        raise InvalidCommand(f"a message has at most {MAX_ATTACHMENTS} attachments")
    if len(set(file_ids)) != len(file_ids):
        raise InvalidCommand("attachments must not repeat a file")
    if any(upload is None or upload.deleted for upload in uploads):
        raise InvalidCommand("attachments must name files the author uploaded")


def evolve(state: File | None, event: Event, aggregate_id: UUID) -> File:
    match event:
        case FileUploaded():
            return File(
                id=aggregate_id,
                file_id=event.file_id,
                uploader_id=event.uploader_id,
                name=event.name,
                size=event.size,
                content_type=event.content_type,
                encrypted=event.encrypted,
                uploaded_at_ms=event.uploaded_at_ms,
            )
        case FileDeleted() if state is not None:
            return state.model_copy(update={"deleted": True})
    raise TypeError(f"File cannot apply {event.type_name()}")


FILE: AggregateKind[File] = AggregateKind("file", evolve)
