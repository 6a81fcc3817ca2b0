"""Deleting the last message that attaches a file deletes the file's bytes: from the local
folder, and from a real S3 server (the object is gone, and after compaction its bytes are
gone from the server's data folder too). docs/architecture.md, "Deletion"."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.file_storage import ObjectNotFound
from infra.bootstrap import Node, build_node
from infra.settings import load_settings
from infra.web import create_app
from tests.conftest import Person
from tests.integration.storage_support import (  # noqa: F401
    ACCESS_KEY,
    SECRET_KEY,
    SeaweedServer,
    seaweedfs,
    slow_first_start,
)


def wait_followed(node: Node, timeout: float = 10.0) -> None:
    head = node.store.last_position()
    for runner in node.runners():
        assert runner.wait_until(head, timeout), runner.failure


def marked_file() -> tuple[bytes, bytes]:
    """Random (incompressible) bytes around a marker the byte scans look for."""
    marker = b"hearth-file-marker-" + os.urandom(16).hex().encode()
    return marker, os.urandom(100_000) + marker + os.urandom(100_000)


def holders(files: list[Path], needle: bytes) -> list[Path]:
    return [path for path in files if path.is_file() and needle in path.read_bytes()]


def post_with(person: Person, channel: str, file_id: str, **extra: object) -> str:
    body = {"content": "attached", "attachments": [file_id], **extra}
    answer = person.post(f"/api/v1/channels/{channel}/messages", body)
    assert answer.status_code == 201, answer.text
    message_id: str = answer.json()["id"]
    return message_id


def upload(person: Person, data: bytes, name: str) -> str:
    answer = person.client.post(
        "/api/v1/upload", files={"file": (name, data)}, headers=person.headers
    )
    assert answer.status_code == 201, answer.text
    file_id: str = answer.json()["file_id"]
    return file_id


def file_events(node: Node, file_id: str) -> list[tuple[str, object]]:
    return [
        (r.envelope.type, getattr(r.envelope.event, "name", None))
        for r in node.store.read(0, 10_000)
        if getattr(r.envelope.event, "file_id", None) == file_id
    ]


def test_last_reference_deleted_removes_the_bytes_from_disk(
    node: Node, people: dict[str, Person]
) -> None:
    alice = people["alice"]
    channel = alice.post("/api/v1/servers", {"name": "S"}).json()["general_channel_id"]
    marker, data = marked_file()
    file_id = upload(alice, data, "secret-plan.bin")
    first, second = post_with(alice, channel, file_id), post_with(alice, channel, file_id)
    files_dir = node.settings.data_dir / "files"
    assert holders(list(files_dir.rglob("*")), marker), "the scan finds the live file"

    assert alice.delete(f"/api/v1/channels/{channel}/messages/{first}").status_code == 204
    wait_followed(node)
    assert node.files.exists(file_id), "another message still attaches the file"
    assert alice.delete(f"/api/v1/channels/{channel}/messages/{second}").status_code == 204
    wait_followed(node)
    wait_followed(node)  # FileDeleted, appended by the reaper, reaches the shredder
    assert not node.files.exists(file_id)
    assert holders(list(node.settings.data_dir.rglob("*")), marker) == []
    assert alice.get(f"/api/v1/files/{file_id}").status_code == 404
    assert file_events(node, file_id) == [("FileUploaded", None), ("FileDeleted", None)]


def test_expiry_removes_the_bytes(node: Node, people: dict[str, Person]) -> None:
    alice = people["alice"]
    channel = alice.post("/api/v1/servers", {"name": "S"}).json()["general_channel_id"]
    marker, data = marked_file()
    file_id = upload(alice, data, "ephemeral.bin")
    post_with(alice, channel, file_id, ttl_seconds=1)
    deadline = time.monotonic() + 15
    while node.files.exists(file_id) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not node.files.exists(file_id)
    assert holders(list((node.settings.data_dir / "files").rglob("*")), marker) == []


@pytest.fixture
def s3_node(seaweedfs: SeaweedServer, tmp_path: Path) -> Iterator[Node]:  # noqa: F811
    settings = load_settings(
        {
            "HEARTH_DATA_DIR": str(tmp_path / "data"),
            "HEARTH_NODE_NAME": "test-node",
            "STORAGE_BACKEND": "s3",
            "S3_ENDPOINT": seaweedfs.endpoint,
            "S3_BUCKET": f"deletion-{os.urandom(6).hex()}",
            "S3_ACCESS_KEY": ACCESS_KEY,
            "S3_SECRET_KEY": SECRET_KEY,
        }
    )
    node = build_node(settings)
    try:
        yield node
    finally:
        node.close()


@slow_first_start
def test_deletion_removes_the_object_from_the_s3_server(
    s3_node: Node,
    seaweedfs: SeaweedServer,  # noqa: F811
) -> None:
    with TestClient(create_app(s3_node)) as client:
        alice = Person(client, "alice")
        channel = alice.post("/api/v1/servers", {"name": "S"}).json()["general_channel_id"]
        marker, data = marked_file()
        file_id = upload(alice, data, "in-the-bucket.bin")
        message = post_with(alice, channel, file_id)
        assert alice.get(f"/api/v1/files/{file_id}").content == data
        assert holders(seaweedfs.data_files(), marker), "the scan finds the live object"

        assert alice.delete(f"/api/v1/channels/{channel}/messages/{message}").status_code == 204
        wait_followed(s3_node)
        with pytest.raises(ObjectNotFound):  # S3 answers 404 for the object
            s3_node.files.size(file_id)
        # The filer frees an object's chunks on the volume server in the background, so
        # compaction is repeated until it has seen the deletion (about a second).
        deadline = time.monotonic() + 30
        while holders(seaweedfs.data_files(), marker) and time.monotonic() < deadline:
            seaweedfs.vacuum()
            time.sleep(1)
        assert holders(seaweedfs.data_files(), marker) == []


def test_an_unreachable_s3_server_stops_the_node_at_start(tmp_path: Path) -> None:
    from infra.errors import ConfigurationError
    from tests.conftest import free_port

    env = {"HEARTH_DATA_DIR": str(tmp_path), "STORAGE_BACKEND": "s3"}
    with pytest.raises(ConfigurationError, match="S3_ENDPOINT, S3_BUCKET"):
        build_node(load_settings(env))
    endpoint = f"http://127.0.0.1:{free_port()}"
    keys = {"S3_ACCESS_KEY": ACCESS_KEY, "S3_SECRET_KEY": SECRET_KEY, "S3_BUCKET": "b"}
    with pytest.raises(ConfigurationError, match=f"S3_ENDPOINT {endpoint}"):
        build_node(load_settings({**env, **keys, "S3_ENDPOINT": endpoint}))
