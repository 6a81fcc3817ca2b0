"""The storage backend port: where uploaded files' bytes live (docs/protocol/files.md).

The API (uploads, downloads) and the file reaper use it; ``infra/storage`` implements it
for a local folder and for S3-compatible object stores. Objects are named by the SHA-256
of their content (64 lower-case hex digits), so equal uploads share one object.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

CHUNK_BYTES = 1024 * 1024
"""The size of the chunks backends read and write: memory per transfer stays about this."""


class StorageError(Exception):
    """The backend failed (unreachable, refused, out of space)."""


class ObjectNotFound(StorageError):
    """No object has this content hash."""


class PutAborted(StorageError):
    """The chunk source gave up (the upload was cut short or too large); nothing was stored."""


@dataclass(frozen=True)
class StoredObject:
    content_hash: str
    size: int


class StorageBackend(Protocol):
    def put(self, chunks: Iterable[bytes]) -> StoredObject:
        """Store the bytes, named by their SHA-256; nothing is visible until all arrived.
        An exception from ``chunks`` leaves nothing behind and propagates."""
        ...

    def get(self, content_hash: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """The bytes ``start`` to ``end`` (inclusive; None: to the last), as chunks.
        Raises ObjectNotFound before the first chunk when there is no such object."""
        ...

    def size(self, content_hash: str) -> int:
        """The object's size in bytes; ObjectNotFound when missing."""
        ...

    def exists(self, content_hash: str) -> bool: ...

    def delete(self, content_hash: str) -> None:
        """Remove the object; removing a missing one does nothing."""
        ...

    def list(self, prefix: str = "") -> Iterator[str]:
        """The content hashes that start with ``prefix``, in ascending order."""
        ...
