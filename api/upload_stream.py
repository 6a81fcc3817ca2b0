"""Streaming a multipart upload into a storage backend with flat memory.

The body is parsed as it arrives (python-multipart's push parser) and the bytes of the part
named ``file`` are handed, a chunk at a time, through a small buffer to the backend's
``put``, which runs on a worker thread: at most ``BUFFERED_CHUNKS`` chunks are in memory,
whatever the file's size. Going over the size limit aborts the put, so nothing is stored.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterator
from dataclasses import dataclass, field

import anyio
import anyio.from_thread
import anyio.to_thread
from python_multipart.multipart import MultipartParser, parse_options_header

from api.content_types import SNIFF_BYTES
from api.file_storage import PutAborted, StorageBackend, StoredObject

BUFFERED_CHUNKS = 8
FILE_FIELD = b"file"


class UploadTooLarge(Exception):
    """The file part is bigger than the node accepts."""


class NoFilePart(Exception):
    """The body has no part named ``file`` (or is not multipart at all)."""


@dataclass
class FilePart:
    """The ``file`` part of a multipart/form-data body, fed as the body arrives."""

    boundary: bytes
    limit: int
    name: str = ""
    head: bytes = b""
    """The first ``SNIFF_BYTES`` bytes, for sniffing the content type."""
    size: int = 0
    found: bool = False
    _in_file: bool = False
    _header: bytes = b""
    _headers: dict[bytes, bytes] = field(default_factory=dict)
    _ready: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._parser = MultipartParser(
            self.boundary,
            {
                "on_part_begin": self._begin,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._data,
                "on_part_end": self._end,
            },
        )

    def feed(self, data: bytes) -> list[bytes]:
        """Parse more of the body; the new bytes of the file part."""
        self._parser.write(data)
        ready, self._ready = self._ready, []
        return ready

    def finish(self) -> None:
        self._parser.finalize()
        if not self.found:
            raise NoFilePart("the body has no part named 'file'")

    def _begin(self) -> None:
        self._headers, self._in_file = {}, False

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        key = self._header.lower()
        self._headers[key] = self._headers.get(key, b"") + data[start:end]

    def _header_end(self) -> None:
        self._header = b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        if options.get(b"name") == FILE_FIELD and not self.found:
            self._in_file = self.found = True
            self.name = options.get(b"filename", b"").decode("utf-8", "replace")

    def _data(self, data: bytes, start: int, end: int) -> None:
        if not self._in_file:
            return
        chunk = data[start:end]
        self.size += len(chunk)
        if self.size > self.limit:
            raise UploadTooLarge(f"files are limited to {self.limit} bytes")
        if len(self.head) < SNIFF_BYTES:
            self.head += chunk[: SNIFF_BYTES - len(self.head)]
        self._ready.append(chunk)

    def _end(self) -> None:
        self._in_file = False


async def stream_into(
    backend: StorageBackend, body: AsyncIterable[bytes], part: FilePart
) -> StoredObject:
    """Store the file part of ``body``; UploadTooLarge or NoFilePart leave nothing stored."""
    send, receive = anyio.create_memory_object_stream[bytes](BUFFERED_CHUNKS)
    failure: list[Exception] = []

    async def pump() -> None:
        async with send:
            try:
                async for data in body:
                    for chunk in part.feed(data):
                        await send.send(chunk)
                part.finish()
            except anyio.BrokenResourceError:  # the backend gave up; its error is reported
                pass
            except Exception as error:
                failure.append(error)

    def chunks() -> Iterator[bytes]:
        while True:
            try:
                yield anyio.from_thread.run(receive.receive)
            except anyio.EndOfStream:
                if failure:
                    raise PutAborted(str(failure[0])) from None
                return

    def store() -> StoredObject:
        try:
            return backend.put(chunks())
        finally:
            anyio.from_thread.run_sync(receive.close)

    stored: list[StoredObject] = []
    backend_failure: list[Exception] = []
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(pump)
        try:
            stored.append(await anyio.to_thread.run_sync(store))
        except Exception as error:  # raised below, outside the task group's exception group
            backend_failure.append(error)
    if failure:
        raise failure[0]
    if backend_failure:
        raise backend_failure[0]
    return stored[0]
