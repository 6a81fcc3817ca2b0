"""Background jobs on dramatiq with a real Redis: the TTL sweep, retries, dead letters, CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import dramatiq
import pytest
from dramatiq.brokers.redis import RedisBroker
from fastapi.testclient import TestClient

from infra.bootstrap import Node, build_node
from infra.jobs.broker import RetryPolicy, job_broker
from infra.jobs.dead_letters import DeadLetters
from infra.settings import Settings
from infra.web import create_app
from tests.conftest import ROOT, Person

HEARTH = [sys.executable, "-m", "infra.cli.main"]


def environment(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTH_")}
    env |= {"HEARTH_DATA_DIR": str(settings.data_dir), "HEARTH_NODE_NAME": settings.node_name}
    if settings.database_url:
        env["HEARTH_DATABASE_URL"] = settings.database_url
    if settings.redis_url:
        env["HEARTH_REDIS_URL"] = settings.redis_url
    return env


def hearth(args: list[str], settings: Settings) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*HEARTH, *args], cwd=ROOT, env=environment(settings), capture_output=True, text=True
    )


@pytest.fixture
def with_redis(settings: Settings, redis_url: str) -> Settings:
    return settings.model_copy(update={"redis_url": redis_url})


@pytest.fixture
def redis_node(with_redis: Settings) -> Iterator[Node]:
    node = build_node(with_redis)
    try:
        yield node
    finally:
        node.close()


def test_a_message_expires_through_the_job_queue(redis_node: Node, with_redis: Settings) -> None:
    with TestClient(create_app(redis_node)) as client:
        alice = Person(client, "alice")
        general = alice.post("/api/v1/servers", {"name": "S"}).json()["general_channel_id"]
        message = alice.post(
            f"/api/v1/channels/{general}/messages", {"content": "soon gone", "ttl_seconds": 1}
        ).json()

        def deleted() -> bool:
            listed = alice.get(f"/api/v1/channels/{general}/messages").json()
            return bool(next(m for m in listed if m["id"] == message["id"])["deleted"])

        # The node only queues sweeps: with no worker running, nothing expires.
        time.sleep(3)
        assert not deleted()
        worker = subprocess.Popen(
            [*HEARTH, "worker", "--threads", "1"],
            cwd=ROOT,
            env=environment(with_redis) | {"HEARTH_PROCESS_ID": "2"},
        )
        try:
            deadline = time.monotonic() + 30
            while not deleted():
                assert time.monotonic() < deadline, "the worker did not expire the message"
                assert worker.poll() is None, "the worker exited"
                time.sleep(0.2)
        finally:
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(30) == 0


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_worker_needs_a_process_id_of_its_own(redis_node: Node, with_redis: Settings) -> None:
    """Sweeps append events: a worker stamping the node's own HLC node id is refused."""
    result = hearth(["worker"], with_redis)
    assert result.returncode == 2
    assert "HEARTH_PROCESS_ID" in result.stderr


class Flaky:
    """A job that fails while ``failing`` is set, noting when each attempt ran."""

    def __init__(self, broker: RedisBroker) -> None:
        self.failing = True
        self.attempts: list[float] = []
        self.delivered: list[tuple[str, int]] = []
        self.actor = dramatiq.Actor(
            self.deliver,
            broker=broker,
            actor_name="deliver",
            queue_name="hearth",
            priority=0,
            options={},
        )

    def deliver(self, destination: str, position: int) -> None:
        self.attempts.append(time.monotonic())
        if self.failing:
            raise ConnectionError(f"{destination} unreachable")
        self.delivered.append((destination, position))


def until(condition: object, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_failing_job_backs_off_then_is_dead_lettered_retried_and_purged(
    with_redis: Settings,
) -> None:
    assert with_redis.redis_url is not None
    policy = RetryPolicy(max_retries=3, min_backoff_ms=200, max_backoff_ms=5_000)
    broker = job_broker(with_redis.redis_url, "hearth:test-node:jobs", policy)
    flaky = Flaky(broker)
    worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=50)
    worker.start()
    try:
        flaky.actor.send("node-b.example", 42)
        dead = DeadLetters(broker)
        until(lambda: len(dead.list()) == 1)
        # One attempt and three retries, each after a longer wait than the one before.
        assert len(flaky.attempts) == 4
        gaps = [b - a for a, b in zip(flaky.attempts, flaky.attempts[1:], strict=False)]
        for retry, gap in enumerate(gaps):
            assert gap >= 0.2 * 2**retry * 0.95, gaps

        shown = hearth(["jobs", "dead"], with_redis)
        assert shown.returncode == 0, shown.stderr
        [line] = shown.stdout.splitlines()
        letter_id = line.split()[0]
        assert "deliver('node-b.example', 42)" in line
        assert "retries=3" in line
        assert "ConnectionError: node-b.example unreachable" in line

        flaky.failing = False
        retried = hearth(["jobs", "retry", letter_id], with_redis)
        assert retried.returncode == 0, retried.stderr
        until(lambda: flaky.delivered == [("node-b.example", 42)])
        assert hearth(["jobs", "dead"], with_redis).stdout == ""
        assert hearth(["jobs", "retry", letter_id], with_redis).returncode == 1

        flaky.failing = True
        flaky.actor.send("node-c.example", 7)
        until(lambda: len(dead.list()) == 1)
        purged = hearth(["jobs", "purge"], with_redis)
        assert purged.stdout.strip() == "1 dead-lettered job(s) dropped"
        assert dead.list() == []
    finally:
        worker.stop()
        broker.close()


def test_jobs_commands_need_redis(settings: Settings) -> None:
    result = hearth(["jobs", "dead"], settings)
    assert result.returncode == 2
    assert "HEARTH_REDIS_URL" in result.stderr
    worker = hearth(["worker"], settings)
    assert worker.returncode == 2
    assert "HEARTH_REDIS_URL" in worker.stderr
