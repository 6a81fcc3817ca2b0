"""Files in a local folder, named by the SHA-256 of their content.

An object is written to a temporary file in the same folder, fsynced, and renamed onto its
name: a rename within one file system is atomic, so a reader sees the whole file or none.
Names are sharded as ``ab/cd/abcd…`` so no folder holds more than 256 subfolders.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from api.file_storage import CHUNK_BYTES, ObjectNotFound, StorageError, StoredObject

_PARTIAL = ".partial-"


class LocalFileBackend:
    def __init__(self, root: Path) -> None:
        self.root = root
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StorageError(f"cannot create {root}: {error.strerror}") from None

    def _path(self, content_hash: str) -> Path:
        return self.root / content_hash[:2] / content_hash[2:4] / content_hash

    def put(self, chunks: Iterable[bytes]) -> StoredObject:
        digest, size = hashlib.sha256(), 0
        handle, temporary = tempfile.mkstemp(prefix=_PARTIAL, dir=self.root)
        try:
            with os.fdopen(handle, "wb") as out:
                for chunk in chunks:
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            content_hash = digest.hexdigest()
            target = self._path(content_hash)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temporary, target)
            _fsync_dir(target.parent)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        return StoredObject(content_hash, size)

    def get(self, content_hash: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        try:
            handle = self._path(content_hash).open("rb")
        except FileNotFoundError:
            raise ObjectNotFound(content_hash) from None
        return _read(handle, start, end)

    def size(self, content_hash: str) -> int:
        try:
            return self._path(content_hash).stat().st_size
        except FileNotFoundError:
            raise ObjectNotFound(content_hash) from None

    def exists(self, content_hash: str) -> bool:
        return self._path(content_hash).is_file()

    def delete(self, content_hash: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(content_hash).unlink()

    def list(self, prefix: str = "") -> Iterator[str]:
        names = (p.name for p in self.root.glob("??/??/*") if not p.name.startswith(_PARTIAL))
        return iter(sorted(name for name in names if name.startswith(prefix)))


def _read(handle: BinaryIO, start: int, end: int | None) -> Iterator[bytes]:
    """Chunks of the open file from ``start`` to ``end`` inclusive; closes it when done."""
    with handle as file:
        file.seek(start)
        remaining = None if end is None else end - start + 1
        while remaining is None or remaining > 0:
            chunk = file.read(CHUNK_BYTES if remaining is None else min(CHUNK_BYTES, remaining))
            if not chunk:
                return
            if remaining is not None:
                remaining -= len(chunk)
            yield chunk


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX: a directory entry is data of its folder)."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
