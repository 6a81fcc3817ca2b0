"""Several processes of one node on one PostgreSQL: node ids, leases, read-your-writes.

Two nodes built in this test process on the same database stand for two ``hearth serve``
processes: each has its own connections, leases and LISTEN connection, exactly as
separate processes would (the subprocess tests are in ``test_scale_out.py``).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from infra.bootstrap import Node, build_node
from infra.errors import ConfigurationError
from infra.projections.views import PositionMoved, ViewTarget
from infra.readmodels.chat_view import CHAT_VIEW
from infra.settings import Settings, load_settings
from infra.web import create_app
from tests.conftest import Person


def process_settings(
    postgres_url: str, tmp_path_factory: pytest.TempPathFactory, pid: str
) -> Settings:
    return load_settings(
        {
            "HEARTH_DATA_DIR": str(tmp_path_factory.mktemp(f"p{pid}")),
            "HEARTH_NODE_NAME": "test-node",
            "HEARTH_DATABASE_URL": postgres_url,
            "HEARTH_PROCESS_ID": pid,
        }
    )


@pytest.fixture
def pair(
    postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Node, Node]]:
    first = build_node(process_settings(postgres_url, tmp_path_factory, "1"))
    second = build_node(process_settings(postgres_url, tmp_path_factory, "2"))
    try:
        yield first, second
    finally:
        second.close()
        first.close()


def wait_for(condition, seconds: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_a_second_process_with_the_same_process_id_is_refused(
    postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    node = build_node(process_settings(postgres_url, tmp_path_factory, "7"))
    try:
        with pytest.raises(ConfigurationError, match="HEARTH_PROCESS_ID"):
            build_node(process_settings(postgres_url, tmp_path_factory, "7"))
    finally:
        node.close()
    build_node(process_settings(postgres_url, tmp_path_factory, "7")).close()


def test_each_process_runs_what_no_other_runs_and_reads_its_writes(pair: tuple[Node, Node]) -> None:
    first, second = pair
    for name in ("chat_runner", "shredder", "file_reaper"):
        wait_for(lambda n=name: getattr(first, n).leading != getattr(second, n).leading)
    with TestClient(create_app(first)) as a, TestClient(create_app(second)) as b:
        alice = Person(a, "alice")
        on_b = Person(b, "bob")
        server = alice.post("/api/v1/servers", {"name": "S"}).json()
        joined = on_b.join(alice.invite(server["id"]))
        assert joined.status_code == 201, joined.text
        channel = server["general_channel_id"]
        for person, text in ((alice, "from the first"), (on_b, "from the second")):
            posted = person.post(f"/api/v1/channels/{channel}/messages", {"content": text})
            assert posted.status_code == 201, posted.text
            assert posted.json()["content"] == text
        stamps = {
            m["hlc"].split("-", 2)[2]
            for m in on_b.get(f"/api/v1/channels/{channel}/messages").json()
        }
        assert stamps == {"test-node.1", "test-node.2"}


def test_another_process_takes_over_when_the_runner_dies(
    postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    first = build_node(process_settings(postgres_url, tmp_path_factory, "1"))
    second = build_node(process_settings(postgres_url, tmp_path_factory, "2"))
    try:
        wait_for(lambda: first.chat_runner.leading or second.chat_runner.leading)
        leader, follower = (first, second) if first.chat_runner.leading else (second, first)
        with TestClient(create_app(follower)) as client:
            alice = Person(client, "alice")
            leader.close()
            # The follower takes the lease within a check interval, then serves writes alone.
            server = alice.post("/api/v1/servers", {"name": "after the leader died"})
            assert server.status_code == 201, server.text
            assert follower.chat_runner.leading
            wait_for(lambda: follower.shredder.leading and follower.file_reaper.leading)
    finally:
        second.close()
        first.close()


def test_a_batch_another_process_applied_first_is_refused(settings: Settings) -> None:
    """Two processes that both believe they run the chat view cannot apply an event twice."""
    node = build_node(settings, start=False)
    try:
        owner = uuid.uuid4()
        node.commands.register_user(owner, "owner", "Owner")
        node.commands.create_server(owner, "S")
        batch = node.store.read(0)
        mine = ViewTarget.open_live(node.storage.views, CHAT_VIEW)
        theirs = ViewTarget.open_live(node.storage.views, CHAT_VIEW)
        theirs.apply_batch(batch)
        with pytest.raises(PositionMoved):
            mine.apply_batch(batch)
        with pytest.raises(PositionMoved):
            mine.apply_batch(batch[1:])
        assert mine.position() == batch[-1].position
    finally:
        node.close()


def test_listeners_of_every_process_see_each_event_once(pair: tuple[Node, Node]) -> None:
    """Without Kafka, a process that does not run the chat view still feeds its gateway: its
    runner hands on the events the running process applied, once each, in log order."""
    seen: dict[str, list[int]] = {"first": [], "second": []}
    for name, node in zip(seen, pair, strict=True):
        node.chat_runner.listeners.append(
            lambda batch, name=name: seen[name].extend(r.position for r in batch)
        )
    first, _ = pair
    owner = uuid.uuid4()
    first.commands.register_user(owner, "owner", "Owner")
    for i in range(5):
        first.commands.create_server(owner, f"S{i}")
    head = first.store.last_position()
    wait_for(lambda: all(positions and positions[-1] == head for positions in seen.values()))
    assert seen["first"] == seen["second"] == sorted(set(seen["first"]))
