"""The File aggregate's rules (domain/file.py) and the content sniffer (api/content_types.py)."""

from __future__ import annotations

import uuid

import pytest

from api.content_types import sniff
from domain import file
from domain.errors import InvalidCommand

FILE_ID = "ab" * 32


def uploaded(uploader: uuid.UUID) -> file.File:
    events = file.upload(None, FILE_ID, uploader, "a.txt", 3, "text/plain", False, 1)
    return file.FILE.replay(file.file_aggregate_id(FILE_ID, uploader), events)  # type: ignore[return-value]


def test_a_repeated_upload_records_nothing_until_the_file_is_deleted() -> None:
    alice = uuid.uuid4()
    state = uploaded(alice)
    assert file.upload(state, FILE_ID, alice, "again.txt", 3, "text/plain", False, 2) == []
    deleted = file.FILE.evolve(state, file.delete(state)[0], state.id)
    assert file.delete(deleted) == []
    assert len(file.upload(deleted, FILE_ID, alice, "b.txt", 3, "text/plain", False, 3)) == 1


def test_upload_ids_are_per_content_and_uploader() -> None:
    alice, bob = uuid.uuid4(), uuid.uuid4()
    assert file.file_aggregate_id(FILE_ID, alice) == file.file_aggregate_id(FILE_ID, alice)
    assert file.file_aggregate_id(FILE_ID, alice) != file.file_aggregate_id(FILE_ID, bob)


def test_only_the_authors_live_uploads_can_be_attached() -> None:
    alice = uuid.uuid4()
    state = uploaded(alice)
    file.require_attachable([FILE_ID], [state])
    with pytest.raises(InvalidCommand):
        file.require_attachable([FILE_ID], [None])
    with pytest.raises(InvalidCommand):
        file.require_attachable([FILE_ID, FILE_ID], [state, state])
    with pytest.raises(InvalidCommand):
        file.require_attachable(["cd" * 32] * 11, [state] * 11)


@pytest.mark.parametrize(
    ("name", "clean"),
    [
        ("../../x.txt", "x.txt"),
        ("a\\b\\c.doc", "c.doc"),
        ("\x00\x1b", "file"),
        ("é" * 300, "é" * 255),
    ],
)
def test_names_keep_their_last_printable_segment(name: str, clean: str) -> None:
    assert file.clean_name(name) == clean


@pytest.mark.parametrize("text", ["0" * 64, "f" * 64, "0123456789abcdef" * 4])
def test_file_ids_are_64_lower_case_hex_digits(text: str) -> None:
    assert file.is_file_id(text)
    for bad in (
        text.upper() if text != "0" * 64 else "A" * 64,
        text + "\n",
        text[:-1],
        "../" + text[3:],
    ):
        assert not file.is_file_id(bad)


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\x89PNG\r\n\x1a\nrest", "image/png"),
        (b"\xff\xd8\xff\xe0", "image/jpeg"),
        (b"GIF89a", "image/gif"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"%PDF-1.4", "application/pdf"),
        (b"PK\x03\x04", "application/zip"),
        (b"\x00\x00\x00\x18ftypmp42", "video/mp4"),
        (b"  <!doctype html><p>", "text/html"),
        (b"<script>alert(1)</script>", "text/html"),
        (b'<?xml version="1.0"?><svg/>', "image/svg+xml"),
        (b"<svg onload=alert(1)>", "image/svg+xml"),
        (b'<?xml version="1.0"?><note/>', "text/xml"),
        (b"hello, world\n", "text/plain"),
        ("caf\u00e9".encode() + b"\xc3", "text/plain"),
        (b"\x00\x01\x02binary", "application/octet-stream"),
        (b"", "application/octet-stream"),
    ],
)
def test_content_types_are_sniffed_from_the_bytes(head: bytes, kind: str) -> None:
    assert sniff(head) == kind
