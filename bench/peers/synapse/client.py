"""A Matrix client of Synapse for the benchmark: registration, a room, sends, ``/sync`` receivers.

It speaks the Matrix client-server API (v3) as a real client does, over the same few
lines of HTTP/1.1 the Hearth sender uses (``bench.loadgen.Rest``):

- users come from the shared-secret admin API: a nonce, then an HMAC-SHA1 of nonce,
  name, password and admin flag under the server's ``registration_shared_secret``;
- the sender creates a public room, and members join it by its id;
- a probe is an ``m.room.message`` of ``msgtype`` ``m.text`` whose body is the probe
  text, sent with ``PUT /rooms/{room}/send/m.room.message/{txn}``;
- each receiver uploads filters for the one room (members lazy-loaded, as Element
  asks for them), makes an initial ``/sync`` that asks for the newest event only (it
  shows no history), then long-polls ``/sync`` with the ``next_batch`` token it was
  given, on one HTTP connection of its own. Every probe in a response's timeline
  counts as arrived when the response has been read.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import quote

from bench.loadgen import PASSWORD, PROBE_PREFIX, Account, Deliveries, Rest, read_response
from bench.node_process import NodeProcess
from bench.peers import PeerClient, Receivers, Room

CLIENT = "/_matrix/client/v3"
ADMIN_REGISTER = "/_synapse/admin/v1/register"
SYNC_TIMEOUT_MS = 30_000
# A long-poll response holds at most this many of the room's newest events; more since the
# last one would be cut (a gap a client backfills): far more than a window's backlog.
TIMELINE_LIMIT = 1000
# The initial sync needs only its ``next_batch``: without history, a thousand initial syncs
# of a room holding the earlier stages' messages would cost minutes before any measurement.
INITIAL_TIMELINE_LIMIT = 1
CONCURRENCY = 16
RECONNECTS = 3


class SynapseClient(PeerClient):
    def __init__(self, node: NodeProcess, secret: str, server_name: str) -> None:
        self.rest = Rest(node.url, prefix="")
        self.secret = secret.encode()
        self.server_name = server_name
        self._limit = asyncio.Semaphore(CONCURRENCY)

    async def _register(self, name: str) -> Account:
        async with self._limit:
            nonce = (await self.rest.call("GET", ADMIN_REGISTER))["nonce"]
            signed = b"\x00".join(x.encode() for x in (nonce, name, PASSWORD, "notadmin"))
            mac = hmac.new(self.secret, signed, hashlib.sha1).hexdigest()
            body = {"nonce": nonce, "username": name, "password": PASSWORD, "mac": mac}
            answer = await self.rest.call("POST", ADMIN_REGISTER, json_body=body)
        return Account(answer["user_id"], answer["access_token"])

    async def register(self, names: list[str]) -> list[Account]:
        return list(await asyncio.gather(*(self._register(name) for name in names)))

    async def create_room(self, owner: Account) -> Room:
        body = {"preset": "public_chat", "name": "bench"}
        room_id = (await self.rest.call("POST", f"{CLIENT}/createRoom", owner, body))["room_id"]
        return Room(room_id, room_id)

    async def join(self, room: Room, members: list[Account]) -> None:
        async def one(member: Account) -> None:
            async with self._limit:
                await self.rest.call("POST", f"{CLIENT}/join/{quote(room.join_key)}", member, {})

        await asyncio.gather(*(one(member) for member in members))

    async def send(self, sender: Account, room: Room, sequence: int) -> None:
        path = f"{CLIENT}/rooms/{quote(room.id)}/send/m.room.message/bench{sequence}"
        body = {"msgtype": "m.text", "body": f"{PROBE_PREFIX}{sequence}"}
        await self.rest.call("PUT", path, sender, body)

    async def open_receivers(
        self, room: Room, members: list[Account], deliveries: Deliveries
    ) -> Receivers:
        receivers = SyncReceivers(self.rest, room, deliveries)
        await receivers.open(members, self._limit)
        return receivers

    async def close(self) -> None:
        await self.rest.close()


def room_filter(room_id: str, limit: int) -> dict[str, Any]:
    """The one room, its members lazy-loaded, as a client showing one room asks."""
    return {
        "room": {
            "rooms": [room_id],
            "state": {"lazy_load_members": True},
            "timeline": {"limit": limit, "lazy_load_members": True},
        },
        "presence": {"types": []},
    }


class SyncReceivers:
    """One ``/sync`` long-poll loop per member, each on its own connection."""

    def __init__(self, rest: Rest, room: Room, deliveries: Deliveries) -> None:
        self.rest = rest
        self.room = room
        self.deliveries = deliveries
        self.tasks: list[asyncio.Task[None]] = []

    async def open(self, members: list[Account], limit: asyncio.Semaphore) -> None:
        """Start every receiver; return once each has its first ``next_batch`` and polls."""

        async def one(member: Account) -> None:
            async with limit:
                initial = await self._upload_filter(member, INITIAL_TIMELINE_LIMIT)
                polling = await self._upload_filter(member, TIMELINE_LIMIT)
                receiver = SyncReceiver(self.rest, member, polling, self.room.id, self.deliveries)
                await receiver.connect()
                since = await receiver.sync(None, initial)
            self.tasks.append(asyncio.create_task(receiver.poll(since)))

        await asyncio.gather(*(one(member) for member in members))

    async def _upload_filter(self, member: Account, limit: int) -> str:
        path = f"{CLIENT}/user/{quote(member.user_id)}/filter"
        answer = await self.rest.call("POST", path, member, room_filter(self.room.id, limit))
        return str(answer["filter_id"])

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.tasks.clear()


class SyncReceiver:
    """One member's ``/sync`` loop on one keep-alive connection."""

    def __init__(
        self, rest: Rest, member: Account, filter_id: str, room_id: str, deliveries: Deliveries
    ) -> None:
        self.rest = rest
        self.member = member
        self.filter_id = filter_id
        self.room_id = room_id
        self.deliveries = deliveries
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.rest.host, self.rest.port)

    async def sync(self, since: str | None, filter_id: str | None = None) -> str:
        """One ``/sync`` (initial without ``since``); report its probes; its ``next_batch``."""
        assert self.reader is not None and self.writer is not None
        query = f"filter={filter_id or self.filter_id}"
        if since is not None:
            query += f"&since={quote(since)}&timeout={SYNC_TIMEOUT_MS}"
        self.writer.write(
            f"GET {CLIENT}/sync?{query} HTTP/1.1\r\nHost: {self.rest.host}\r\n"
            f"Authorization: Bearer {self.member.token}\r\n\r\n".encode()
        )
        status, body = await read_response(self.reader)
        at = time.perf_counter()
        if status != 200:
            raise RuntimeError(f"/sync answered {status}: {body.decode(errors='replace')}")
        answer = json.loads(body)
        if since is not None:
            room = answer.get("rooms", {}).get("join", {}).get(self.room_id, {})
            for event in room.get("timeline", {}).get("events", []):
                text = event.get("content", {}).get("body", "")
                if event.get("sender") != self.member.user_id and text.startswith(PROBE_PREFIX):
                    self.deliveries.arrived(int(text[len(PROBE_PREFIX) :]), at)
        return str(answer["next_batch"])

    async def poll(self, since: str) -> None:
        """Long-poll until cancelled; a closed connection is opened again and polling goes on.

        ``since`` makes a new connection resume where the last response left off, so
        no probe is lost by reconnecting; after ``RECONNECTS`` failures in a row the
        receiver gives up and counts as dropped.
        """
        failures = 0
        try:
            while True:
                try:
                    since = await self.sync(since)
                    failures = 0
                except (OSError, RuntimeError, asyncio.IncompleteReadError, ValueError) as error:
                    failures += 1
                    if failures > RECONNECTS:
                        self.deliveries.dropped.append(f"{type(error).__name__}: {error}")
                        return
                    self._close()
                    await self.connect()
        finally:
            self._close()

    def _close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
