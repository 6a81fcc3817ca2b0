"""A node as several processes: several ``hearth serve`` and ``hearth relay`` on PostgreSQL and Kafka.

Every process here is a real subprocess started as an operator starts it, against the
session's real PostgreSQL and Kafka (``tests/conftest.py``). A WebSocket client records
every message it is shown; each scenario checks that it saw exactly the messages posted,
once each and in order, whatever was killed or stopped along the way.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2 as httpx
import psycopg
import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from bench.harness import KafkaServer
from bench.node_process import NodeProcess, running_node, running_relay

pytestmark = pytest.mark.timeout(600)


class Cluster:
    """The node's processes, each started on demand and stopped at the end of the test."""

    def __init__(self, env: dict[str, str], bytecode: Path, stack: ExitStack) -> None:
        self.env = env
        self.bytecode = bytecode
        self.stack = stack
        self._next_id = 1

    def serve(self) -> NodeProcess:
        extra = {**self.env, "HEARTH_PROCESS_ID": str(self._next_id)}
        self._next_id += 1
        return self.stack.enter_context(running_node(None, self.bytecode, extra=extra))

    def relay(self) -> NodeProcess:
        return self.stack.enter_context(running_relay(self.bytecode, self.env))


@pytest.fixture
def cluster(
    postgres_url: str, kafka_server: KafkaServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    env = {
        "HEARTH_NODE_NAME": "test-node",
        "HEARTH_DATABASE_URL": postgres_url,
        "HEARTH_EVENT_BUS": "kafka",
        "HEARTH_KAFKA_BOOTSTRAP": kafka_server.bootstrap,
        # A topic per test (each test has a database, and so positions, of its own), with
        # several partitions so that records do arrive out of log order.
        "HEARTH_KAFKA_TOPIC": f"test-{uuid.uuid4().hex[:12]}",
        "HEARTH_KAFKA_PARTITIONS": "3",
    }
    with ExitStack() as stack:
        yield Cluster(env, tmp_path_factory.mktemp("bytecode"), stack)


class Author:
    """A user with a server, posting numbered messages to its general channel."""

    def __init__(self, url: str) -> None:
        body = httpx.post(
            f"{url}/api/v1/auth/register",
            json={"username": f"u{uuid.uuid4().hex[:10]}", "password": "a long passphrase 42"},
        ).json()
        self.headers = {"Authorization": f"Bearer {body['access_token']}"}
        server = httpx.post(f"{url}/api/v1/servers", json={"name": "S"}, headers=self.headers)
        assert server.status_code == 201, server.text
        self.server = server.json()["id"]
        self.channel = server.json()["general_channel_id"]
        self.posted: list[str] = []

    def post(self, url: str, text: str) -> str:
        response = httpx.post(
            f"{url}/api/v1/channels/{self.channel}/messages",
            json={"content": text},
            headers=self.headers,
            timeout=30,
        )
        assert response.status_code == 201, response.text
        message_id: str = response.json()["id"]
        self.posted.append(message_id)
        return message_id

    def post_many(self, url: str, count: int, after: dict[int, Callable[[], object]]) -> None:
        """Post ``count`` messages; after the i-th, run ``after[i]`` (e.g. kill a process)."""
        for i in range(1, count + 1):
            self.post(url, f"message {i}")
            if i in after:
                after[i]()


class Watcher:
    """A WebSocket client showing messages; when its process dies it resumes on the next one."""

    def __init__(self, headers: dict[str, str]) -> None:
        self.headers = headers
        self.shown: list[str] = []
        self.positions: list[int] = []
        self.frames: list[dict[str, Any]] = []
        self.ready = threading.Event()
        self._urls: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    def watch(self, *ws_urls: str) -> Watcher:
        """Connect to the first URL; after a disconnect, to the next one, resuming."""
        self._urls = list(ws_urls)
        self._thread.start()
        assert self.ready.wait(30), "the gateway did not answer"
        return self

    def until(self, count: int, seconds: float) -> list[str]:
        deadline = time.monotonic() + seconds
        while len(self.shown) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.shown

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    async def _run(self) -> None:
        resume: int | None = None
        for url in self._urls:
            query = "" if resume is None else f"?resume_from={resume}"
            try:
                async with connect(url + query, additional_headers=self.headers) as ws:
                    resume = await self._read(ws, resume)
            except (ConnectionClosed, OSError):
                pass
            if self._stop.is_set():
                return

    async def _read(self, ws: Any, resume: int | None) -> int | None:
        while not self._stop.is_set():
            try:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 0.2))
            except TimeoutError:
                continue
            except ConnectionClosed:
                return resume
            if frame["op"] == "ready":
                resume = max(resume or 0, frame["d"]["position"])
                self.ready.set()
            if frame["op"] == "dispatch":
                resume = frame["s"]
                self.positions.append(frame["s"])
                self.frames.append(frame)
                if frame["d"]["type"] == "MessagePosted":
                    self.shown.append(frame["d"]["aggregate_id"])
        return resume


@pytest.fixture
def watchers() -> Iterator[list[Watcher]]:
    opened: list[Watcher] = []
    yield opened
    for watcher in opened:
        watcher.close()


def shown_exactly(watcher: Watcher, author: Author, seconds: float = 60) -> None:
    watcher.until(len(author.posted), seconds)
    time.sleep(0.5)  # anything shown twice would arrive now
    assert watcher.shown == author.posted
    assert watcher.positions == sorted(set(watcher.positions)), "a frame was shown twice"


@dataclass
class Scene:
    """``serves`` processes and a relay; an author posting through the first process, and a
    client watching the second (then, once it dies, the third, and so on)."""

    processes: list[NodeProcess]
    relay: NodeProcess
    author: Author
    watcher: Watcher


def scene(cluster: Cluster, watchers: list[Watcher], serves: int = 2) -> Scene:
    processes = [cluster.serve() for _ in range(serves)]
    relay = cluster.relay()
    author = Author(processes[0].url)
    watcher = Watcher(author.headers).watch(*(p.ws_url for p in processes[1:]))
    watchers.append(watcher)
    return Scene(processes, relay, author, watcher)


def killed(process: NodeProcess) -> None:
    process.process.kill()  # SIGKILL: no shutdown of any kind
    process.process.wait()


def test_a_message_posted_on_one_process_reaches_a_client_of_another(
    cluster: Cluster, watchers: list[Watcher]
) -> None:
    it = scene(cluster, watchers)
    it.author.post_many(it.processes[0].url, 20, {})
    shown_exactly(it.watcher, it.author)
    posted = [f for f in it.watcher.frames if f["d"]["type"] == "MessagePosted"]
    assert [f["d"]["data"]["content"] for f in posted] == [f"message {i}" for i in range(1, 21)]


def test_killing_the_relay_mid_stream_loses_and_repeats_nothing(
    cluster: Cluster, watchers: list[Watcher]
) -> None:
    it = scene(cluster, watchers)

    def kill_and_replace() -> None:
        killed(it.relay)
        cluster.relay()

    it.author.post_many(it.processes[0].url, 40, {15: kill_and_replace})
    shown_exactly(it.watcher, it.author)


def test_killing_a_gateway_mid_stream_the_client_resumes_on_another(
    cluster: Cluster, watchers: list[Watcher]
) -> None:
    it = scene(cluster, watchers, serves=3)
    it.author.post_many(it.processes[0].url, 40, {15: lambda: killed(it.processes[1])})
    shown_exactly(it.watcher, it.author)


def test_writes_go_on_while_kafka_is_down_and_delivery_catches_up(
    cluster: Cluster, kafka_server: KafkaServer, watchers: list[Watcher]
) -> None:
    it = scene(cluster, watchers)
    api = it.processes[0].url
    it.author.post_many(api, 5, {})
    assert it.watcher.until(5, 60) == it.author.posted
    kafka_server.stop()
    try:
        stopped = time.monotonic()
        it.author.post_many(api, 10, {})  # each answered 201 (asserted in post)
        time.sleep(max(0.0, 30 - (time.monotonic() - stopped)))
        assert len(it.watcher.shown) == 5, "nothing can be delivered through a stopped Kafka"
    finally:
        kafka_server.start()
    shown_exactly(it.watcher, it.author, seconds=120)


def topic_records(bootstrap: str, topic: str) -> list[tuple[bytes, dict[str, str]]]:
    """Every record of the topic: (key, headers)."""
    reader = Consumer({"bootstrap.servers": bootstrap, "group.id": f"scan-{uuid.uuid4()}"})
    try:
        partitions = reader.list_topics(topic, timeout=10).topics[topic].partitions
        reader.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        records = []
        while messages := reader.consume(100, 2.0):
            for m in messages:
                headers = {name: bytes(value or b"").decode() for name, value in m.headers() or []}
                records.append((m.key() or b"", headers))
        return records
    finally:
        reader.close()


def test_deleted_message_text_is_in_no_byte_kafka_keeps(
    cluster: Cluster, kafka_server: KafkaServer, watchers: list[Watcher], postgres_url: str
) -> None:
    it = scene(cluster, watchers)
    api, author, watcher = it.processes[0].url, it.author, it.watcher
    topic = cluster.env["HEARTH_KAFKA_TOPIC"]
    secret = f"forget me {uuid.uuid4().hex}"
    message_id = author.post(api, secret)
    assert watcher.until(1, 60) == [message_id]
    assert watcher.frames[-1]["d"]["data"]["content"] == secret, "readable while it exists"
    topic_files = [p for p in (kafka_server.folder / "data").glob(f"{topic}-*/*") if p.is_file()]

    def holding(needle: str) -> list[Path]:
        return [path for path in topic_files if needle.encode() in path.read_bytes()]

    assert holding(message_id), "the scan reads the records the relay wrote"
    deleted = httpx.delete(
        f"{api}/api/v1/channels/{author.channel}/messages/{message_id}", headers=author.headers
    )
    assert deleted.status_code == 204, deleted.text
    deadline = time.monotonic() + 30
    while not any(f["d"]["type"] == "MessageDeleted" for f in watcher.frames):
        assert time.monotonic() < deadline, "the deletion was not delivered"
        time.sleep(0.05)
    with psycopg.connect(postgres_url) as db:
        deadline = time.monotonic() + 30
        while db.execute(
            "SELECT count(*) FROM content_keys WHERE aggregate_id = %s", (message_id,)
        ).fetchone() != (0,):
            assert time.monotonic() < deadline, "the message's key was not shredded"
            time.sleep(0.1)
    assert holding(message_id), "Kafka keeps the record (retention is not deletion)"
    assert holding(secret) == [], "but never its text: sealed with the key now destroyed"
    # Both events of the message are keyed by its channel, so they share a partition, in order.
    keys = {
        key
        for key, headers in topic_records(kafka_server.bootstrap, topic)
        if headers["hearth-aggregate"] == message_id
    }
    assert keys == {author.channel.encode()}
