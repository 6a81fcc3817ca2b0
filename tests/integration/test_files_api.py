"""Uploads and downloads through the API: streaming into storage, de-duplication, sniffed
content types, safe headers, size limits, Range requests and who may download."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient

from infra.bootstrap import Node
from infra.settings import Settings, load_settings
from tests.conftest import Person

PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(300)
HTML = b"<!DOCTYPE html><html><script>alert(1)</script></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script/></svg>'


@pytest.fixture
def settings(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """The shared settings with a small upload limit, so the limit is cheap to cross."""
    env = {
        "HEARTH_DATA_DIR": str(tmp_path / "data"),
        "HEARTH_NODE_NAME": "test-node",
        "HEARTH_UPLOAD_MAX_BYTES": str(64 * 1024),
    }
    if backend == "postgresql":
        env["HEARTH_DATABASE_URL"] = request.getfixturevalue("postgres_url")
    return load_settings(env)


def upload(
    person: Person, data: bytes, name: str = "a.bin", claimed: str = "image/png", **params: Any
) -> Any:
    return person.client.post(
        "/api/v1/upload",
        files={"file": (name, data, claimed)},
        headers=person.headers,
        params=params,
    )


def stored(node: Node) -> list[str]:
    return list(node.files.list())


def shared_channel(alice: Person, bob: Person) -> str:
    server = alice.post("/api/v1/servers", {"name": "S"}).json()
    assert bob.join(alice.invite(server["id"])).status_code in (200, 201)
    channel: str = server["general_channel_id"]
    return channel


def test_upload_stores_by_hash_and_deduplicates(node: Node, people: dict[str, Person]) -> None:
    alice, bob = people["alice"], people["bob"]
    first = upload(alice, PNG, "photo.png")
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["file_id"] == hashlib.sha256(PNG).hexdigest()
    assert body | {"name": "photo.png", "size": len(PNG), "content_type": "image/png"} == body
    again, other = upload(alice, PNG, "again.png"), upload(bob, PNG, "bobs.png")
    assert again.json()["file_id"] == other.json()["file_id"] == body["file_id"]
    assert stored(node) == [body["file_id"]]
    uploads = [
        r.envelope.event for r in node.store.read(0, 1000) if r.envelope.type == "FileUploaded"
    ]
    assert [(e.uploader_id, e.name) for e in uploads] == [
        (alice.id, "photo.png"),
        (bob.id, "bobs.png"),
    ]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("data", "claimed", "sniffed", "served"),
    [
        (PNG, "text/html", "image/png", "image/png"),
        (HTML, "image/png", "text/html", "application/octet-stream"),
        (SVG, "image/png", "image/svg+xml", "application/octet-stream"),
        (b"%PDF-1.7 hello", "text/plain", "application/pdf", "application/pdf"),
        (b"plain words\n", "application/pdf", "text/plain", "text/plain; charset=utf-8"),
        (
            os.urandom(500) + b"\x00",
            "image/jpeg",
            "application/octet-stream",
            "application/octet-stream",
        ),
    ],
)
def test_content_type_is_sniffed_not_trusted(
    people: dict[str, Person], data: bytes, claimed: str, sniffed: str, served: str
) -> None:
    alice = people["alice"]
    answer = upload(alice, data, "x", claimed)
    assert answer.json()["content_type"] == sniffed
    download = alice.get(f"/api/v1/files/{answer.json()['file_id']}")
    assert download.status_code == 200 and download.content == data
    assert download.headers["content-type"] == served
    assert download.headers["x-content-type-options"] == "nosniff"
    if served == "application/octet-stream":
        assert download.headers["content-disposition"].startswith("attachment;")


def test_encrypted_upload_is_opaque(people: dict[str, Person]) -> None:
    alice = people["alice"]
    answer = upload(alice, PNG, "ignored", encrypted="true").json()
    assert answer["content_type"] == "application/octet-stream" and answer["encrypted"] is True


def raw_upload(person: Person, filename: bytes, data: bytes) -> Any:
    """A multipart body written by hand, so the file name reaches the node byte for byte
    (HTTP clients percent-encode quotes and line breaks themselves)."""
    boundary = b"hearth-test-boundary"
    body = (
        b"--" + boundary + b"\r\n"
        b'Content-Disposition: form-data; name="file"; filename="' + filename + b'"\r\n'
        b"Content-Type: text/html\r\n\r\n" + data + b"\r\n--" + boundary + b"--\r\n"
    )
    content_type = "multipart/form-data; boundary=" + boundary.decode()
    return person.client.post(
        "/api/v1/upload", content=body, headers={**person.headers, "Content-Type": content_type}
    )


HOSTILE_NAMES = [
    'quo"te\\d.txt',
    "crlf\r\nSet-Cookie: x=1.txt",
    "../../etc/passwd",
    "..\\..\\boot.ini",
    "r\u00e9sum\u00e9 \u2603 \u202eexe.pdf",
    "a" * 1000 + ".txt",
    "semi;colon%20 pct.txt",
    "",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_file_names_give_safe_headers(people: dict[str, Person], name: str) -> None:
    alice = people["alice"]
    answer = upload(alice, b"hello " + name.encode(), name)
    assert answer.status_code == 201, answer.text
    assert_safe_disposition(alice, answer.json())


@pytest.mark.parametrize(
    "filename",
    [b"tab\tand\x1b[31mescape\x7f.txt", b'back\\"slash.txt', "\u00fcml\u00e4ut.txt".encode()],
)
def test_raw_hostile_file_names_give_safe_headers(
    people: dict[str, Person], filename: bytes
) -> None:
    alice = people["alice"]
    answer = raw_upload(alice, filename, b"raw " + filename)
    assert answer.status_code == 201, answer.text
    assert_safe_disposition(alice, answer.json())


def assert_safe_disposition(person: Person, uploaded: dict[str, Any]) -> None:
    recorded: str = uploaded["name"]
    assert recorded and len(recorded) <= 255 and recorded.isprintable()
    assert "/" not in recorded and "\\" not in recorded and recorded not in (".", "..")
    download = person.get(f"/api/v1/files/{uploaded['file_id']}")
    disposition = download.headers["content-disposition"]
    assert disposition.isascii() and disposition.isprintable()
    kind, plain, encoded = disposition.split("; ")
    assert kind in ("attachment", "inline")
    fallback = plain.removeprefix('filename="').removesuffix('"')
    assert fallback and not set(fallback) & set('"\\/%;') and len(fallback) <= 100
    assert encoded.startswith("filename*=UTF-8''")
    assert unquote(encoded.removeprefix("filename*=UTF-8''"), errors="strict") == recorded


def test_oversize_upload_is_refused_and_nothing_is_stored(
    node: Node, people: dict[str, Person], tmp_path: Path
) -> None:
    alice = people["alice"]
    answer = upload(alice, os.urandom(64 * 1024 + 1))
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "too_large"
    assert upload(alice, os.urandom(64 * 1024)).status_code == 201
    assert len(stored(node)) == 1
    files_dir = node.settings.data_dir / "files"
    assert [p for p in files_dir.rglob("*") if p.is_file() and ".partial" in p.name] == []


def test_a_body_without_a_file_part_is_refused(people: dict[str, Person]) -> None:
    alice = people["alice"]
    no_file = alice.client.post(
        "/api/v1/upload", data={"other": "x"}, files={"x": ("a", b"b")}, headers=alice.headers
    )
    assert no_file.status_code == 422
    assert alice.client.post("/api/v1/upload", json={}, headers=alice.headers).status_code == 415


@pytest.mark.parametrize(
    "file_id",
    [
        "..%2F..%2Fevents.sqlite3",
        "../events.sqlite3",
        "A" * 64,
        "0" * 63,
        "0" * 65,
        "g" * 64,
        "%2e%2e",
    ],
)
def test_file_ids_that_are_not_hashes_are_not_found(
    client: TestClient, people: dict[str, Person], file_id: str
) -> None:
    assert people["alice"].get(f"/api/v1/files/{file_id}").status_code == 404


def test_download_needs_a_readable_message_or_the_upload(people: dict[str, Person]) -> None:
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    channel = shared_channel(alice, bob)
    file_id = upload(alice, PNG).json()["file_id"]
    assert bob.get(f"/api/v1/files/{file_id}").status_code == 404
    refused = bob.post(
        f"/api/v1/channels/{channel}/messages", {"content": "mine", "attachments": [file_id]}
    )
    assert refused.status_code == 422, "attaching a file one did not upload"
    posted = alice.post(
        f"/api/v1/channels/{channel}/messages", {"content": "see", "attachments": [file_id]}
    )
    assert posted.status_code == 201 and posted.json()["attachments"] == [file_id]
    assert bob.get(f"/api/v1/files/{file_id}").content == PNG
    assert carol.get(f"/api/v1/files/{file_id}").status_code == 404
    assert alice.client.get(f"/api/v1/files/{file_id}").status_code == 401
    page = bob.get(f"/api/v1/channels/{channel}/messages").json()
    assert page[-1]["attachments"] == [file_id]


def test_range_requests(people: dict[str, Person]) -> None:
    alice = people["alice"]
    data = bytes(range(256)) * 8
    file_id = upload(alice, data).json()["file_id"]
    url = f"/api/v1/files/{file_id}"

    def get(value: str) -> Any:
        return alice.client.get(url, headers={**alice.headers, "Range": value})

    part = get("bytes=10-19")
    assert part.status_code == 206 and part.content == data[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(data)}"
    assert get("bytes=2000-").content == data[2000:]
    assert get("bytes=-5").content == data[-5:]
    assert get("bytes=2040-99999").content == data[2040:]
    unsatisfiable = get("bytes=5000-6000")
    assert unsatisfiable.status_code == 416
    assert unsatisfiable.headers["content-range"] == f"bytes */{len(data)}"
    assert get("bytes=0-1,5-6").status_code == 200
    assert get("pages=1-2").status_code == 200
    for ignored in ("bytes=abc-5", "bytes=-", "bytes=9-3", "bytes=5"):
        assert get(ignored).status_code == 200, ignored
    assert get("bytes=-0").status_code == 416
    whole = alice.get(url)
    assert whole.headers["accept-ranges"] == "bytes" and whole.content == data
