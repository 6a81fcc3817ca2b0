"""Two processes of one node behind one PostgreSQL and one real Redis.

The first process is a full node (uvicorn in the test process, running the projections);
the second is a separate OS process serving the API and gateway on the same database,
data folder and Redis (``gateway_process.py``). Everything checked here travels between
them through Redis only: presence, typing, ended sessions, and presence after a crash of
one process or a restart of Redis.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from websockets.exceptions import ConnectionClosed

from infra.cluster.gateway import BEAT_SECONDS, DEAD_AFTER_SECONDS
from infra.settings import load_settings
from tests.conftest import ROOT, RedisServer, free_port
from tests.integration.live import LiveNode, live_node
from tests.integration.test_gateway import Client, World, run

# Long heartbeats: a socket that closes here was closed by the cluster, not by a re-check.
ENV = {
    "HEARTH_NODE_NAME": "test-node",
    "HEARTH_HEARTBEAT_SECONDS": "30",
    "HEARTH_PRESENCE_GRACE_SECONDS": "0.5",
}
RECOVERY_SECONDS = 3 * BEAT_SECONDS + 5


@dataclass
class OtherProcess:
    process: subprocess.Popen[bytes]
    url: str
    ws_url: str


@dataclass
class Pair:
    a: LiveNode
    b: OtherProcess


@pytest.fixture
def pair(tmp_path: Path, postgres_url: str, redis_url: str) -> Iterator[Pair]:
    env = {
        **ENV,
        "HEARTH_DATA_DIR": str(tmp_path / "data"),
        "HEARTH_DATABASE_URL": postgres_url,
        "HEARTH_REDIS_URL": redis_url,
    }
    with live_node(load_settings(env)) as a:
        port = free_port()
        clean = {k: v for k, v in os.environ.items() if not k.startswith("HEARTH_")}
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.integration.gateway_process", str(port)],
            cwd=ROOT,
            env={**clean, **env},
        )
        b = OtherProcess(
            process, f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/api/v1/gateway"
        )
        try:
            _wait_healthy(b)
            yield Pair(a, b)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_healthy(b: OtherProcess) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert b.process.poll() is None, "the second process exited"
        try:
            if httpx.get(f"{b.url}/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("the second process did not start")


async def presence_of(client: Client, user: str, wait: float = 5) -> str:
    while True:
        frame = await client.next("presence", wait=wait)
        if frame["d"]["user_id"] == user:
            return str(frame["d"]["status"])


def snapshot(process: Any, world: World, who: dict[str, str]) -> dict[str, str]:
    response = httpx.get(f"{process.url}/api/v1/servers/{world.server}/presence", headers=who)
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    return body


async def eventually(check: Any, expected: Any, seconds: float = RECOVERY_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while (found := await asyncio.to_thread(check)) != expected:
        assert time.monotonic() < deadline, f"{found} != {expected}"
        await asyncio.sleep(0.2)


def test_presence_and_typing_cross_processes(pair: Pair) -> None:
    world = World(pair.a)

    async def scenario() -> None:
        bob = await Client.open(pair.b, world.bob)
        alice = await Client.open(pair.a, world.alice)
        assert await presence_of(bob, world.alice_id) == "online"
        both = {world.alice_id: "online", world.bob_id: "online"}
        assert snapshot(pair.a, world, world.bob) == both
        assert snapshot(pair.b, world, world.alice) == both

        await alice.send("presence_update", {"status": "idle"})
        assert await presence_of(bob, world.alice_id) == "idle"
        assert snapshot(pair.b, world, world.bob)[world.alice_id] == "idle"

        await alice.send("typing_start", {"channel_id": world.general})
        typing = await bob.next("typing")
        assert typing["d"] == {
            "channel_id": world.general,
            "user_id": world.alice_id,
            "active": True,
        }
        await bob.send("typing_stop", {"channel_id": world.general})
        typing = await alice.next("typing")
        assert typing["d"] == {
            "channel_id": world.general,
            "user_id": world.bob_id,
            "active": False,
        }

        await alice.ws.close()
        assert await presence_of(bob, world.alice_id) == "offline"
        assert snapshot(pair.b, world, world.bob) == {world.bob_id: "online"}

    run(scenario())


def test_a_user_connected_to_both_stays_online_until_the_last_socket_closes(pair: Pair) -> None:
    world = World(pair.a)

    async def scenario() -> None:
        bob = await Client.open(pair.a, world.bob)
        alice_a = await Client.open(pair.a, world.alice)
        assert await presence_of(bob, world.alice_id) == "online"
        alice_b = await Client.open(pair.b, world.alice)
        await alice_a.ws.close()
        with pytest.raises(TimeoutError):  # still online through the other process
            await presence_of(bob, world.alice_id, wait=1.5)
        await alice_b.ws.close()
        assert await presence_of(bob, world.alice_id) == "offline"

    run(scenario())


def test_joining_a_server_while_connected_shows_in_its_snapshot_on_every_process(
    pair: Pair,
) -> None:
    world = World(pair.a)

    async def scenario() -> None:
        await Client.open(pair.a, world.carol)  # not a member yet
        await Client.open(pair.b, world.bob)
        assert world.carol_id not in snapshot(pair.b, world, world.bob)
        world.join(world.carol)
        expected = {world.bob_id: "online", world.carol_id: "online"}
        await eventually(lambda: snapshot(pair.b, world, world.bob), expected, seconds=5)

    run(scenario())


async def closed_with(client: Client) -> int:
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(client.ws.recv(), 5)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


def test_an_ended_session_closes_its_sockets_on_every_process(pair: Pair) -> None:
    world = World(pair.a)
    login = httpx.post(
        f"{pair.a.url}/api/v1/auth/login",
        json={"username": "alice", "password": "a long passphrase 42"},
    )
    other_session = {"Authorization": f"Bearer {login.json()['access_token']}"}

    async def scenario() -> None:
        on_a = await Client.open(pair.a, world.alice)
        on_b = await Client.open(pair.b, world.alice)
        kept = await Client.open(pair.b, other_session)
        signed_out = httpx.post(f"{pair.a.url}/api/v1/auth/logout", headers=world.alice)
        assert signed_out.status_code in (200, 204), signed_out.text
        started = time.monotonic()
        assert await closed_with(on_a) == 4001
        assert await closed_with(on_b) == 4001
        assert time.monotonic() - started < 5  # long before a heartbeat's re-check (30 s)
        await kept.send("heartbeat")
        await kept.next("heartbeat_ack")

    run(scenario())


def test_the_users_of_a_crashed_process_go_offline(pair: Pair) -> None:
    world = World(pair.a)

    async def scenario() -> None:
        alice = await Client.open(pair.a, world.alice)
        await Client.open(pair.b, world.bob)
        assert await presence_of(alice, world.bob_id) == "online"
        pair.b.process.send_signal(signal.SIGKILL)
        started = time.monotonic()
        assert await presence_of(alice, world.bob_id, wait=RECOVERY_SECONDS * 2) == "offline"
        assert time.monotonic() - started <= DEAD_AFTER_SECONDS + 3 * BEAT_SECONDS
        assert snapshot(pair.a, world, world.alice) == {world.alice_id: "online"}

    run(scenario())


@pytest.mark.parametrize("lose_data", [True, False], ids=["data-lost", "data-kept"])
def test_presence_recovers_after_redis_restarts(
    pair: Pair, redis_server: RedisServer, lose_data: bool
) -> None:
    world = World(pair.a)
    world.join(world.carol)

    async def scenario() -> None:
        await Client.open(pair.a, world.alice)
        bob = await Client.open(pair.b, world.bob)
        carol = await Client.open(pair.a, world.carol)
        assert await presence_of(bob, world.carol_id) == "online"
        present = {world.alice_id: "online", world.bob_id: "online", world.carol_id: "online"}
        await eventually(lambda: snapshot(pair.b, world, world.bob), present)

        redis_server.stop()
        try:
            await carol.ws.close()  # leaves while Redis is away: nothing can record it
            await asyncio.sleep(1.5)
        finally:
            redis_server.restart(lose_data=lose_data)
        started = time.monotonic()
        assert await presence_of(bob, world.carol_id, wait=RECOVERY_SECONDS) == "offline"
        del present[world.carol_id]
        await eventually(lambda: snapshot(pair.b, world, world.bob), present)
        await eventually(lambda: snapshot(pair.a, world, world.alice), present)
        recovered = time.monotonic() - started
        assert recovered <= RECOVERY_SECONDS, recovered

    run(scenario())
