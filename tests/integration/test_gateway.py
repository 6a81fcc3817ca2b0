"""The WebSocket gateway on a live node (uvicorn on loopback) with real WebSocket clients."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import Iterator
from typing import Any

import httpx2 as httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from domain.aggregates import Change
from domain.message import MessagePosted
from infra.settings import Settings
from tests.integration.e2ee_support import Device
from tests.integration.live import LiveNode, live_node

Frame = dict[str, Any]
OPEN: list[Client] = []


def _fast_node(settings: Settings, heartbeat_seconds: float) -> Iterator[LiveNode]:
    fast = settings.model_copy(
        update={
            "heartbeat_seconds": heartbeat_seconds,
            "presence_grace_seconds": 0.5,
            "gateway_buffer_frames": 50,
        }
    )
    with live_node(fast) as node:
        yield node


@pytest.fixture
def live(settings: Settings) -> Iterator[LiveNode]:
    yield from _fast_node(settings, heartbeat_seconds=1.0)


@pytest.fixture
def patient(settings: Settings) -> Iterator[LiveNode]:
    """Heartbeats far apart, for a client that cannot send them while a burst is stuck."""
    yield from _fast_node(settings, heartbeat_seconds=30.0)


class Client:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.hello: Frame = {}
        self.ready: Frame = {}

    @classmethod
    async def open(
        cls, live: LiveNode, headers: dict[str, str], resume_from: int | None = None, **kw: Any
    ) -> Client:
        url = live.ws_url if resume_from is None else f"{live.ws_url}?resume_from={resume_from}"
        client = cls(await connect(url, additional_headers=headers, **kw))
        OPEN.append(client)
        client.hello = json.loads(await asyncio.wait_for(client.ws.recv(), 5))
        assert client.hello["op"] == "hello", client.hello
        if resume_from is None:
            client.ready = await client.next("ready")
        return client

    async def next(self, op: str, type_: str | None = None, wait: float = 5) -> Frame:
        """The next frame of this op (and event type), skipping presence and typing noise."""
        while True:
            frame: Frame = json.loads(await asyncio.wait_for(self.ws.recv(), wait))
            if frame["op"] == op and (type_ is None or frame["d"]["type"] == type_):
                return frame
            if frame["op"] == "dispatch" and op != "dispatch":
                raise AssertionError(f"unexpected dispatch while waiting for {op}: {frame}")

    async def nothing(self, seconds: float = 0.5) -> None:
        try:
            frame = await asyncio.wait_for(self.ws.recv(), seconds)
        except TimeoutError:
            return
        assert json.loads(frame)["op"] in ("presence", "heartbeat_ack"), frame

    async def send(self, op: str, data: object = None) -> None:
        await self.ws.send(json.dumps({"op": op, "d": data}))


class World:
    """Alice owns a server that Bob joined; Carol is a stranger."""

    def __init__(self, live: LiveNode) -> None:
        self.live = live
        self.alice_id, self.alice = live.register("alice")
        self.bob_id, self.bob = live.register("bob")
        self.carol_id, self.carol = live.register("carol")
        server = httpx.post(
            f"{live.url}/api/v1/servers", json={"name": "S"}, headers=self.alice
        ).json()
        self.server = server["id"]
        self.general = server["general_channel_id"]
        self.join(self.bob)

    def join(self, who: dict[str, str]) -> None:
        invite = httpx.post(
            f"{self.live.url}/api/v1/servers/{self.server}/invites", json={}, headers=self.alice
        ).json()
        joined = httpx.post(f"{self.live.url}/api/v1/invites/{invite['code']}", headers=who)
        assert joined.status_code == 201, joined.text

    def post(self, who: dict[str, str], content: str, channel: str | None = None) -> Frame:
        channel = channel or self.general
        response = httpx.post(
            f"{self.live.url}/api/v1/channels/{channel}/messages",
            json={"content": content},
            headers=who,
        )
        assert response.status_code == 201, response.text
        body: Frame = response.json()
        return body


def run(coroutine: Any) -> Any:
    """Run a scenario, then close every client it opened (also when it failed)."""

    async def with_cleanup() -> Any:
        try:
            return await coroutine
        finally:
            for client in OPEN:
                await client.ws.close()
            OPEN.clear()

    return asyncio.run(with_cleanup())


def test_messages_edits_and_deletes_reach_readers_only(live: LiveNode) -> None:
    world = World(live)

    async def scenario() -> None:
        bob = await Client.open(live, world.bob)
        carol = await Client.open(live, world.carol)
        assert bob.ready["d"]["resumed"] is False
        message = world.post(world.alice, "hello gateway")
        posted = await bob.next("dispatch", "MessagePosted")
        assert posted["d"]["data"]["content"] == "hello gateway"
        assert posted["d"]["channel_id"] == world.general and posted["s"] > 0
        httpx.patch(
            f"{live.url}/api/v1/channels/{world.general}/messages/{message['id']}",
            json={"content": "edited"},
            headers=world.alice,
        )
        edited = await bob.next("dispatch", "MessageEdited")
        assert edited["d"]["data"]["content"] == "edited" and edited["s"] > posted["s"]
        httpx.delete(
            f"{live.url}/api/v1/channels/{world.general}/messages/{message['id']}",
            headers=world.alice,
        )
        deleted = await bob.next("dispatch", "MessageDeleted")
        assert deleted["d"]["aggregate_id"] == message["id"]
        await carol.nothing()
        await bob.ws.close()
        await carol.ws.close()

    run(scenario())


def test_private_channels_and_joins_follow_access(live: LiveNode) -> None:
    world = World(live)

    async def scenario() -> None:
        bob = await Client.open(live, world.bob)
        carol = await Client.open(live, world.carol)
        staff = httpx.post(
            f"{live.url}/api/v1/servers/{world.server}/channels",
            json={"name": "staff", "kind": "private"},
            headers=world.alice,
        ).json()
        world.post(world.alice, "mods only", staff["id"])
        world.join(world.carol)
        joined = await carol.next("dispatch", "MemberJoined")
        assert joined["d"]["user_id"] == world.carol_id
        world.post(world.alice, "welcome carol")
        welcome = await carol.next("dispatch", "MessagePosted")
        assert welcome["d"]["data"]["content"] == "welcome carol"
        seen = await bob.next("dispatch", "MemberJoined")
        assert seen["d"]["user_id"] == world.carol_id
        later = await bob.next("dispatch", "MessagePosted")
        assert later["d"]["data"]["content"] == "welcome carol"
        await bob.ws.close()
        await carol.ws.close()

    run(scenario())


def test_typing_is_relayed_and_never_logged(live: LiveNode) -> None:
    world = World(live)
    head = live.node.store.last_position()

    async def scenario() -> None:
        alice = await Client.open(live, world.alice)
        bob = await Client.open(live, world.bob)
        await alice.send("typing_start", {"channel_id": world.general})
        typing = await bob.next("typing")
        assert typing["d"] == {
            "channel_id": world.general,
            "user_id": world.alice_id,
            "active": True,
        }
        assert typing["s"] is None
        await alice.send("typing_stop", {"channel_id": world.general})
        assert (await bob.next("typing"))["d"]["active"] is False
        await alice.ws.close()
        await bob.ws.close()

    run(scenario())
    assert live.node.store.last_position() == head


def test_presence_online_idle_and_offline_after_grace(live: LiveNode) -> None:
    world = World(live)

    async def presence_of(client: Client, user: str) -> str:
        while True:
            frame = await client.next("presence")
            if frame["d"]["user_id"] == user:
                return str(frame["d"]["status"])

    async def scenario() -> None:
        alice = await Client.open(live, world.alice)
        bob = await Client.open(live, world.bob)
        assert await presence_of(alice, world.bob_id) == "online"
        await bob.send("presence_update", {"status": "idle"})
        assert await presence_of(alice, world.bob_id) == "idle"
        snapshot = httpx.get(
            f"{live.url}/api/v1/servers/{world.server}/presence", headers=world.carol
        )
        assert snapshot.status_code == 404
        snapshot = httpx.get(
            f"{live.url}/api/v1/servers/{world.server}/presence", headers=world.alice
        )
        assert snapshot.json() == {world.alice_id: "online", world.bob_id: "idle"}
        await bob.ws.close()
        assert await presence_of(alice, world.bob_id) == "offline"
        bob = await Client.open(live, world.bob)
        assert await presence_of(alice, world.bob_id) == "online"
        await bob.ws.close()
        quick = await Client.open(live, world.bob)  # back within the grace period
        await alice.nothing(0.3)
        await quick.ws.close()
        await alice.ws.close()

    run(scenario())


def test_resume_after_a_dropped_connection_is_gapless_and_without_duplicates(
    live: LiveNode,
) -> None:
    world = World(live)

    async def scenario() -> None:
        bob = await Client.open(live, world.bob)
        world.post(world.alice, "before")
        last = (await bob.next("dispatch", "MessagePosted"))["s"]
        bob.ws.transport.abort()  # the network drops, no close handshake
        missed = [world.post(world.alice, f"missed {i}")["id"] for i in range(5)]
        bob = await Client.open(live, world.bob, resume_from=last)
        replayed = [await bob.next("dispatch", "MessagePosted") for _ in missed]
        assert [f["d"]["aggregate_id"] for f in replayed] == missed
        positions = [f["s"] for f in replayed]
        assert positions == sorted(set(positions)) and positions[0] > last
        ready = await bob.next("ready")
        assert ready["d"]["resumed"] is True and ready["d"]["position"] >= positions[-1]
        world.post(world.alice, "live again")
        assert (await bob.next("dispatch", "MessagePosted"))["d"]["data"]["content"] == "live again"
        await bob.ws.close()

    run(scenario())


def test_slow_consumer_is_closed_with_a_resumable_code(patient: LiveNode) -> None:
    live = patient
    world = World(live)
    channel = uuid.UUID(world.general)
    author = uuid.UUID(world.alice_id)

    async def scenario() -> None:
        tiny = socket.socket()
        tiny.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: small window
        tiny.connect(("127.0.0.1", live.port))
        slow = await Client.open(live, world.bob, sock=tiny, max_queue=1)
        burst = [
            Change(
                uuid.uuid4(),
                0,
                [MessagePosted(channel_id=channel, author_id=author, content="x" * 4000)],
            )
            for _ in range(400)
        ]
        await asyncio.to_thread(live.node.store.append, burst)
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(slow.ws.recv(), 10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4008

    run(scenario())


def test_handshake_refuses_bad_tokens_and_heartbeats_keep_the_session(live: LiveNode) -> None:
    world = World(live)

    async def scenario() -> None:
        for headers in ({}, {"Authorization": "Bearer not.a.token"}):
            with pytest.raises(InvalidStatus) as refused:
                await connect(live.ws_url, additional_headers=headers)
            assert refused.value.response.status_code == 403
        token = world.bob["Authorization"].removeprefix("Bearer ")
        browser_like = await connect(
            live.ws_url, subprotocols=["hearth.v0", f"hearth.bearer.{token}"]
        )  # type: ignore[list-item]
        assert browser_like.subprotocol == "hearth.v0"
        await browser_like.close()
        bob = await Client.open(live, world.bob)
        for _ in range(3):
            await asyncio.sleep(0.6)
            await bob.send("heartbeat")
            await bob.next("heartbeat_ack")
        await bob.send("subscribe", {"channel_ids": [str(uuid.uuid4())]})
        world.post(world.alice, "not subscribed")
        await bob.nothing(0.5)
        with pytest.raises(ConnectionClosed) as timed_out:
            while True:
                await asyncio.wait_for(bob.ws.recv(), 5)
        assert timed_out.value.rcvd is not None and timed_out.value.rcvd.code == 4009
        garbled = await Client.open(live, world.bob)
        await garbled.ws.send("{not json")
        with pytest.raises(ConnectionClosed) as bad:
            await asyncio.wait_for(garbled.ws.recv(), 5)
        assert bad.value.rcvd is not None and bad.value.rcvd.code == 4002

    run(scenario())


def test_a_new_identity_key_reaches_dm_partners(live: LiveNode) -> None:
    world = World(live)
    httpx.post(f"{live.url}/api/v1/dms", json={"user_id": world.bob_id}, headers=world.alice)
    device = Device()

    async def scenario() -> None:
        bob = await Client.open(live, world.bob)
        carol = await Client.open(live, world.carol)
        uploaded = httpx.post(f"{live.url}/api/v1/keys", json=device.upload(), headers=world.alice)
        assert uploaded.status_code in (200, 201, 204), uploaded.text
        published = await bob.next("dispatch", "IdentityKeyPublished")
        assert published["d"]["data"]["identity_key"] == device.identity_key
        assert published["d"]["data"]["user_id"] == world.alice_id
        await carol.nothing()

    run(scenario())


def test_signing_out_ends_the_connection_at_the_next_heartbeat(live: LiveNode) -> None:
    world = World(live)

    async def scenario() -> None:
        bob = await Client.open(live, world.bob)
        await bob.send("heartbeat")
        await bob.next("heartbeat_ack")
        signed_out = httpx.post(f"{live.url}/api/v1/auth/logout", headers=world.bob)
        assert signed_out.status_code in (200, 204), signed_out.text
        await bob.send("heartbeat")
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(bob.ws.recv(), 5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4001

    run(scenario())
