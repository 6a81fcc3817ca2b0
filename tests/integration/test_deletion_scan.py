"""Deletion is real: after a delete (or a TTL running out) no stored byte holds the text.

The scan covers every file of the node's data directory on SQLite (the search index's
file included), and on PostgreSQL the whole cluster folder (tables, indexes and WAL) plus
a dump taken afterwards, as a backup would be. It looks for the whole text and for the
word a search index would have kept of it.
"""

from __future__ import annotations

import glob
import secrets
import subprocess
import time
from pathlib import Path

import psycopg
import pytest

from infra.bootstrap import Node
from infra.projections.rebuild import rebuild
from infra.readmodels.chat_view import CHAT_VIEW
from tests.conftest import Person, PostgresServer


def stored_files(node: Node, request: pytest.FixtureRequest, tmp_path: Path) -> list[Path]:
    """Every file holding the node's bytes, after the engine has let go of deleted data."""
    settings = node.settings
    if settings.database_url is None:
        node.storage.checkpoint()
        return [p for p in settings.data_dir.rglob("*") if p.is_file()]
    server: PostgresServer = request.getfixturevalue("postgres_server")
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        conn.execute("VACUUM FULL")
        for _ in range(3):
            conn.execute("SELECT pg_switch_wal()")
            conn.execute("CHECKPOINT")
    dump = tmp_path / "after-delete.sql"
    [pg_dump] = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_dump"))[-1:]
    subprocess.run([pg_dump, "--file", str(dump), settings.database_url], check=True)
    files = [dump]
    if server.folder is not None:
        files += [p for p in (server.folder / "data").rglob("*") if p.is_file()]
    return files


def holders(files: list[Path], needle: bytes) -> list[str]:
    return [str(path) for path in files if needle in path.read_bytes()]


def index_term(marker: str) -> bytes:
    """The marker's last hex characters: how a search index stores its word. FTS5 keeps a
    term prefix-compressed against its neighbour, so only the end is sure to be contiguous."""
    return marker[-20:].encode()


def wait_followed(node: Node, timeout: float = 10.0) -> None:
    head = node.store.last_position()
    for runner in node.runners():
        assert runner.wait_until(head, timeout), runner.failure


def test_deleted_message_leaves_no_byte_behind(
    node: Node, people: dict[str, Person], request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    alice = people["alice"]
    general = alice.post("/api/v1/servers", {"name": "S"}).json()["general_channel_id"]
    marker = f"marker-{secrets.token_hex(16)}"
    message = alice.post(f"/api/v1/channels/{general}/messages", {"content": marker}).json()
    alice.patch(f"/api/v1/channels/{general}/messages/{message['id']}", {"content": marker + "-v2"})
    wait_followed(node)
    key = node.storage.keys.get_many([message["id"]]).get(message["id"])  # type: ignore[arg-type]
    live = stored_files(node, request, tmp_path)
    assert holders(live, marker.encode()), "scan finds live content"
    if node.settings.database_url is None:
        search_file = str(node.settings.data_dir / "search.sqlite3")
        assert search_file in holders(live, index_term(marker)), "scan finds the indexed word"

    assert alice.delete(f"/api/v1/channels/{general}/messages/{message['id']}").status_code == 204
    wait_followed(node)
    files = stored_files(node, request, tmp_path)
    assert holders(files, marker.encode()) == []
    assert holders(files, index_term(marker)) == []
    if key is not None:
        assert holders(files, key) == []

    events = [
        r.envelope.type
        for r in node.store.read(0, 1000)
        if str(r.envelope.aggregate_id) == message["id"]
    ]
    assert events == ["MessagePosted", "MessageEdited", "MessageDeleted"]
    page = alice.get(f"/api/v1/channels/{general}/messages").json()
    assert [(m["id"], m["content"], m["deleted"]) for m in page] == [(message["id"], None, True)]
    rebuilt = rebuild(node.store, node.storage.views, CHAT_VIEW)
    assert rebuilt.position() == node.store.last_position()
    assert alice.get(f"/api/v1/channels/{general}/messages").json() == page


def test_expired_message_is_swept_and_shredded_within_five_seconds(
    node: Node, people: dict[str, Person], request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    alice = people["alice"]
    general = alice.post("/api/v1/servers", {"name": "S"}).json()["general_channel_id"]
    marker = f"ephemeral-{secrets.token_hex(16)}"
    message = alice.post(
        f"/api/v1/channels/{general}/messages", {"content": marker, "ttl_seconds": 1}
    ).json()
    expires_at = message["expires_at_ms"] / 1000
    while time.time() < expires_at + 5:
        current = alice.get(f"/api/v1/channels/{general}/messages").json()[0]
        if current["deleted"]:
            break
        time.sleep(0.1)
    assert current["deleted"], "the sweeper did not delete the message within 5 s of expiry"
    assert time.time() <= expires_at + 5
    wait_followed(node)
    files = stored_files(node, request, tmp_path)
    assert holders(files, marker.encode()) == holders(files, index_term(marker)) == []
    [tombstone] = [
        r.envelope.event
        for r in node.store.read(0, 1000)
        if r.envelope.type == "MessageDeleted" and str(r.envelope.aggregate_id) == message["id"]
    ]
    assert tombstone.reason == "expired"  # type: ignore[attr-defined]
