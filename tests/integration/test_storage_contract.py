"""The storage backend contract (api/file_storage.py), run against every backend: a local
folder and a real SeaweedFS S3 server on loopback."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.file_storage import CHUNK_BYTES, ObjectNotFound, StorageBackend
from infra.storage.local import LocalFileBackend
from infra.storage.s3 import PART_BYTES
from tests.integration.storage_support import (  # noqa: F401
    SeaweedServer,
    seaweedfs,
    slow_first_start,
)


class ChunkSourceFailed(Exception):
    pass


def chunked(data: bytes, size: int = 65536) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def join(chunks: Iterator[bytes]) -> bytes:
    return b"".join(chunks)


class StorageContract:
    """Every adapter of ``StorageBackend`` passes these; subclasses supply ``storage``."""

    @pytest.fixture
    def storage(self) -> StorageBackend:
        raise NotImplementedError

    def test_put_names_the_object_by_its_sha256(self, storage: StorageBackend) -> None:
        data = os.urandom(200_000)
        stored = storage.put(chunked(data))
        assert stored.content_hash == hashlib.sha256(data).hexdigest()
        assert stored.size == len(data)
        assert storage.exists(stored.content_hash)
        assert storage.size(stored.content_hash) == len(data)
        assert join(storage.get(stored.content_hash)) == data

    def test_equal_content_is_stored_once(self, storage: StorageBackend) -> None:
        data = os.urandom(10_000)
        first, second = storage.put(chunked(data, 999)), storage.put([data])
        assert first == second
        assert list(storage.list(first.content_hash[:6])) == [first.content_hash]

    def test_empty_object(self, storage: StorageBackend) -> None:
        stored = storage.put([])
        assert stored.content_hash == hashlib.sha256(b"").hexdigest()
        assert stored.size == 0 and storage.size(stored.content_hash) == 0
        assert join(storage.get(stored.content_hash)) == b""

    def test_large_object_spans_many_chunks_and_parts(self, storage: StorageBackend) -> None:
        data = os.urandom(2 * PART_BYTES + 12345)
        stored = storage.put(chunked(data, CHUNK_BYTES))
        assert join(storage.get(stored.content_hash)) == data
        assert max(len(chunk) for chunk in storage.get(stored.content_hash)) <= CHUNK_BYTES

    def test_byte_ranges(self, storage: StorageBackend) -> None:
        data = bytes(range(256)) * 40
        stored = storage.put([data])
        key = stored.content_hash
        assert join(storage.get(key, 0, 0)) == data[:1]
        assert join(storage.get(key, 100, 199)) == data[100:200]
        assert join(storage.get(key, 10_000)) == data[10_000:]
        assert join(storage.get(key, 5000, len(data) - 1)) == data[5000:]

    def test_missing_objects(self, storage: StorageBackend) -> None:
        missing = hashlib.sha256(os.urandom(8)).hexdigest()
        assert not storage.exists(missing)
        with pytest.raises(ObjectNotFound):
            storage.get(missing)
        with pytest.raises(ObjectNotFound):
            storage.size(missing)
        storage.delete(missing)  # deleting what is not there does nothing

    def test_delete(self, storage: StorageBackend) -> None:
        stored = storage.put([b"short-lived"])
        storage.delete(stored.content_hash)
        assert not storage.exists(stored.content_hash)
        assert list(storage.list(stored.content_hash)) == []
        with pytest.raises(ObjectNotFound):
            storage.get(stored.content_hash)

    def test_list_by_prefix(self, storage: StorageBackend) -> None:
        hashes = sorted(storage.put([os.urandom(64)]).content_hash for _ in range(5))
        assert list(storage.list()) == hashes
        first = hashes[0]
        assert list(storage.list(first[:10])) == [first]
        assert list(storage.list("g")) == []

    def test_a_failing_source_stores_nothing(self, storage: StorageBackend) -> None:
        def failing() -> Iterator[bytes]:
            yield os.urandom(PART_BYTES + 1)
            raise ChunkSourceFailed

        with pytest.raises(ChunkSourceFailed):
            storage.put(failing())
        assert list(storage.list()) == []

    def test_no_partial_object_is_ever_visible(self, storage: StorageBackend) -> None:
        """While a put is between chunks, the listing shows nothing."""
        data = os.urandom(3 * 65536)
        halfway, proceed = threading.Event(), threading.Event()

        def slow() -> Iterator[bytes]:
            yield data[:65536]
            halfway.set()
            assert proceed.wait(30)
            yield data[65536:]

        result: list[str] = []
        writer = threading.Thread(target=lambda: result.append(storage.put(slow()).content_hash))
        writer.start()
        assert halfway.wait(30)
        assert list(storage.list()) == []
        assert not storage.exists(hashlib.sha256(data).hexdigest())
        proceed.set()
        writer.join(30)
        assert result == [hashlib.sha256(data).hexdigest()]
        assert list(storage.list()) == result


class TestLocalFileBackend(StorageContract):
    @pytest.fixture
    def storage(self, tmp_path: Path) -> StorageBackend:
        return LocalFileBackend(tmp_path / "files")

    def test_files_are_sharded_by_hash_with_no_temporary_left(self, tmp_path: Path) -> None:
        storage = LocalFileBackend(tmp_path / "files")
        stored = storage.put([b"sharded"])
        key = stored.content_hash
        assert (tmp_path / "files" / key[:2] / key[2:4] / key).read_bytes() == b"sharded"
        assert [p.name for p in (tmp_path / "files").rglob("*") if p.is_file()] == [key]


@slow_first_start
class TestS3CompatibleBackend(StorageContract):
    @pytest.fixture
    def storage(self, seaweedfs: SeaweedServer) -> StorageBackend:  # noqa: F811
        return seaweedfs.backend()
