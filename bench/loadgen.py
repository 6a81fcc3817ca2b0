"""The gateway benchmark's load generator: REST set-up, WebSocket subscribers, timed posts.

It talks to the node only as a client does (docs/protocol/api.md): accounts, a
server and invites through the REST API, one gateway connection per subscriber,
and posts through ``POST /api/v1/channels/{id}/messages``. Each post's content is
``bench <sequence number>``; the generator notes when it sent each one, and every
subscriber notes when each frame carrying one arrived, so every delivery is timed
from send to arrival on the generator's one clock.

Receiving is the generator's hot path (up to tens of thousands of frames a second
on one core), so a subscriber handles each frame where it lands (``GatewayClient``)
and does not parse its JSON: it finds the sequence number by the text that precedes
it, and ignores frames without it (presence, heartbeat acks). A real client parses
every frame, but that is the client's cost, not the node's.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import urlsplit

from websockets.client import ClientProtocol
from websockets.extensions.permessage_deflate import enable_client_permessage_deflate
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.uri import parse_uri

PASSWORD = "a long bench passphrase 42"
PROBE_PREFIX = "bench "
# How a probe's content starts in a dispatch frame: the node serialises with
# separators=(",", ":") (api/gateway/frames.py).
MARK = f'"content":"{PROBE_PREFIX}'.encode()
CONNECT_CONCURRENCY = 50
KEEP_ALIVE_SECONDS = 2.0
REST_CONNECTIONS = 64
CLOSE_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Account:
    user_id: str
    token: str
    """An access token (``Authorization: Bearer``), for REST and the gateway's handshake."""


@dataclass(frozen=True)
class Community:
    """The poster owns a server; the members joined it; probes go to its #general."""

    poster: Account
    members: list[Account]
    server_id: str
    channel_id: str


class Rest:
    """The node's REST API over a pool of keep-alive HTTP/1.1 connections.

    A few lines of HTTP/1.1 on asyncio streams instead of a general HTTP client: the
    generator shares one core with hundreds of WebSocket readers, and a full-featured
    client spends milliseconds of CPU per request (httpx2: about 3 ms a post on the
    2-core development machine, against 0.4 ms here), which would make the generator,
    not the node, the limit.
    The node answers every request with a ``Content-Length`` (FastAPI's JSON
    responses), which is all this client reads.
    """

    def __init__(self, url: str, prefix: str = "/api/v1") -> None:
        parts = urlsplit(url)
        self.prefix = prefix
        """Put before every path: the node's API root; ``""`` for servers with several."""
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self._idle: list[tuple[float, asyncio.StreamReader, asyncio.StreamWriter]] = []
        # At most this many requests at once, as a browser or a client library pools its
        # connections; past it, requests wait here (and a post's wait counts in its latency).
        self._slots = asyncio.Semaphore(REST_CONNECTIONS)

    async def close(self) -> None:
        for _, _, writer in self._idle:
            writer.close()
        self._idle.clear()

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """An idle connection young enough to be open still, or a new one.

        uvicorn closes a connection idle for 5 s (``timeout_keep_alive``); one idle for
        less than ``KEEP_ALIVE_SECONDS`` cannot have been closed under a request (nor
        by any other server that keeps connections alive at least that long).
        """
        now = time.monotonic()
        while self._idle:
            idle_since, reader, writer = self._idle.pop()
            if now - idle_since < KEEP_ALIVE_SECONDS:
                return reader, writer
            writer.close()
        return await asyncio.open_connection(self.host, self.port)

    async def call(
        self, method: str, path: str, who: Account | None = None, json_body: object = None
    ) -> Any:
        """One request; its JSON answer, or RuntimeError unless the status is 2xx."""
        body = b"" if json_body is None else json.dumps(json_body).encode()
        head = (
            f"{method} {self.prefix}{path} HTTP/1.1\r\nHost: {self.host}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            + (f"Authorization: Bearer {who.token}\r\n" if who else "")
            + "\r\n"
        )
        async with self._slots:
            reader, writer = await self._connection()
            writer.write(head.encode() + body)
            status, answer = await read_response(reader)
            self._idle.append((time.monotonic(), reader, writer))
        if not 200 <= status < 300:
            raise RuntimeError(f"{method} {path} answered {status}: {answer.decode()}")
        return json.loads(answer) if answer else None

    async def register(self, username: str) -> Account:
        body = {"username": username, "password": PASSWORD}
        session = await self.call("POST", "/auth/register", json_body=body)
        return Account(session["user_id"], session["access_token"])

    async def post(self, who: Account, channel_id: str, content: str) -> None:
        await self.call("POST", f"/channels/{channel_id}/messages", who, {"content": content})


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """An HTTP/1.1 response's status and body, sized by ``Content-Length`` or chunked."""
    status = int((await reader.readline()).split()[1])
    length, chunked = 0, False
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
    if not chunked:
        return status, await reader.readexactly(length)
    body = bytearray()
    while size := int((await reader.readline()).split(b";")[0], 16):
        body += await reader.readexactly(size)
        await reader.readexactly(2)  # the CRLF after each chunk
    while await reader.readline() not in (b"\r\n", b""):
        pass  # trailers
    return status, bytes(body)


async def set_up(rest: Rest, members: int) -> Community:
    """A poster who owns a server, and ``members`` accounts that joined it by invite.

    Registration hashes the password with Argon2id (tens of milliseconds each), so
    a handful of accounts is made and subscribers share them: see ``bench.gateway``.
    """
    poster = await rest.register("bench-poster")
    server = await rest.call("POST", "/servers", poster, {"name": "bench"})
    invite = await rest.call("POST", f"/servers/{server['id']}/invites", poster, {})
    accounts = await asyncio.gather(*(rest.register(f"bench-{i}") for i in range(members)))
    for account in accounts:
        await rest.call("POST", f"/invites/{invite['code']}", account)
    return Community(poster, list(accounts), server["id"], server["general_channel_id"])


class GatewayClient(asyncio.Protocol):
    """One subscriber: websockets' sans-I/O client protocol driven by an asyncio transport.

    The client speaks the same protocol, with the same handshake and extensions, as
    ``websockets.asyncio.client.connect``; it only skips that API's per-message
    machinery (a task woken per frame, a message queue, flow control), which cost
    the generator about 65 us a frame (90 with permessage-deflate) and would have
    made it, not the node, the limit at 20,000 deliveries a second. Each text frame
    is looked at where it lands, in ``data_received``.
    """

    def __init__(self, url: str, token: str, compression: bool, subscribers: Subscribers) -> None:
        extensions = enable_client_permessage_deflate(None) if compression else None
        self.protocol = ClientProtocol(parse_uri(url), extensions=extensions)
        self.token = token
        self.subscribers = subscribers
        self.transport: asyncio.Transport | None = None
        loop = asyncio.get_running_loop()
        self.ready: asyncio.Future[float] = loop.create_future()
        """The heartbeat interval (s) from ``hello``, once ``ready`` has arrived."""
        self.lost: asyncio.Future[None] = loop.create_future()
        self._interval: float | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        request = self.protocol.connect()
        request.headers["Authorization"] = f"Bearer {self.token}"
        self.protocol.send_request(request)
        self._flush()

    def data_received(self, data: bytes) -> None:
        self.protocol.receive_data(data)
        for event in self.protocol.events_received():
            if isinstance(event, Frame):
                if event.opcode is Opcode.TEXT:
                    self._text(bytes(event.data))
            elif self.protocol.handshake_exc is not None and not self.ready.done():
                self.ready.set_exception(self.protocol.handshake_exc)
        self._flush()

    def _text(self, data: bytes) -> None:
        start = data.find(MARK)
        if start >= 0:  # the hot path: a probe's frame
            start += len(MARK)
            sequence = int(data[start : data.index(b'"', start)])
            self.subscribers.deliveries.arrived(sequence, time.perf_counter())
        elif not self.ready.done():
            self._opening(json.loads(data))

    def _opening(self, frame: dict[str, Any]) -> None:
        """``hello`` then ``ready``; the node may send the user's own presence before ``hello``."""
        if frame["op"] == "hello":
            self._interval = float(frame["d"]["heartbeat_interval_ms"]) / 1000
        elif frame["op"] == "ready":
            if self._interval is None:
                self.ready.set_exception(RuntimeError("the node sent ready before hello"))
            else:
                self.ready.set_result(self._interval)

    def send_text(self, text: str) -> None:
        self.protocol.send_text(text.encode())
        self._flush()

    def close(self) -> None:
        if self.protocol.state is State.OPEN:
            self.protocol.send_close()
            self._flush()

    def _flush(self) -> None:
        if self.transport is None:
            return
        for data in self.protocol.data_to_send():
            if data:
                self.transport.write(data)
            elif self.transport.can_write_eof():
                self.transport.write_eof()  # SEND_EOF: half-close after the closing handshake

    def connection_lost(self, exc: Exception | None) -> None:
        self.protocol.receive_eof()
        if not self.ready.done():
            self.ready.set_exception(exc or ConnectionError("closed during the handshake"))
        if not self.subscribers.closing:
            code = self.protocol.close_rcvd.code if self.protocol.close_rcvd else "no close frame"
            self.subscribers.deliveries.dropped.append(str(code))
        self.lost.set_result(None)


class Deliveries:
    """The probe messages receivers got, as (sequence, arrival), whatever carried them.

    Every kind of receiver (a gateway connection, a Matrix ``/sync`` long poll) reports
    each probe it receives here, so one measuring loop serves them all.
    """

    def __init__(self) -> None:
        self.arrivals: list[tuple[int, float]] = []
        self.dropped: list[str] = []
        """Connections the server closed, and why (a gateway close code: 4008, too slow)."""
        self._expected = 0
        self._all_arrived = asyncio.Event()
        self._last_arrival = 0.0

    def arrived(self, sequence: int, at: float) -> None:
        self.arrivals.append((sequence, at))
        self._last_arrival = at
        if len(self.arrivals) == self._expected:
            self._all_arrived.set()

    async def settle(self, quiet: float, limit: float) -> None:
        """Wait until no probe has arrived for ``quiet`` seconds (at most ``limit``).

        After a window the server could not keep up with, probes of its posts are still
        on their way; the next window must not count them, nor compete with their sending.
        """
        deadline = time.perf_counter() + limit
        while True:
            now = time.perf_counter()
            until_quiet = self._last_arrival + quiet - now
            if until_quiet <= 0 or now >= deadline:
                return
            await asyncio.sleep(until_quiet)

    def expect(self, count: int) -> None:
        """``all_arrived`` returns once ``arrivals`` holds ``count`` probes."""
        self._expected = count
        if len(self.arrivals) >= count:
            self._all_arrived.set()
        else:
            self._all_arrived.clear()

    async def all_arrived(self) -> None:
        """Return once every expected probe has arrived."""
        await self._all_arrived.wait()


@dataclass
class Subscribers:
    """Open gateway connections; the probe frames they receive go to ``deliveries``."""

    url: str
    compression: bool = True
    """Offer permessage-deflate, as browsers and the ``websockets`` client do by default."""
    deliveries: Deliveries = field(default_factory=Deliveries)
    clients: list[GatewayClient] = field(default_factory=list)
    closing: bool = False
    _heartbeat: asyncio.Task[None] | None = None

    async def open(self, accounts: list[Account], count: int) -> None:
        """Open ``count`` more connections, spread over ``accounts``; return once all are ready."""
        loop = asyncio.get_running_loop()
        uri = parse_uri(self.url)
        limit = asyncio.Semaphore(CONNECT_CONCURRENCY)

        async def one(account: Account) -> float:
            async with limit:
                _, client = await loop.create_connection(
                    lambda: GatewayClient(self.url, account.token, self.compression, self),
                    uri.host,
                    uri.port,
                )
                self.clients.append(client)
                return await client.ready

        intervals = await asyncio.gather(*(one(accounts[i % len(accounts)]) for i in range(count)))
        if self._heartbeat is None and intervals:
            self._heartbeat = asyncio.create_task(self._beat(min(intervals)))

    async def _beat(self, interval: float) -> None:
        """A heartbeat on every connection each interval, as the protocol asks (else 4009)."""
        while True:
            await asyncio.sleep(interval)
            for client in self.clients:
                client.send_text('{"op":"heartbeat","d":null}')

    async def close(self) -> None:
        self.closing = True
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            self._heartbeat = None
        for client in self.clients:
            client.close()
        if self.clients:
            await asyncio.wait([c.lost for c in self.clients], timeout=CLOSE_TIMEOUT_SECONDS)
        for client in self.clients:
            if client.transport is not None and not client.lost.done():
                client.transport.abort()
        self.clients.clear()
        self.closing = False


@dataclass
class Posting:
    """Posts sent at a fixed rate: when each was sent, by sequence number."""

    sent: dict[int, float] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)
    seconds: float = 0.0
    """From the first send until the last post was answered."""


Send = Callable[[int], Awaitable[None]]
"""Sends the probe of one sequence number; raises when the server refused it."""


async def send_at_rate(send: Send, rate: float, count: int, first: int) -> Posting:
    """Send ``count`` probes, one every 1/``rate`` seconds whatever the answers' pace.

    The schedule is open-loop: a slow server does not slow the sender down, so its
    slowness shows as latency instead of hiding as a lower rate. The send time is
    taken when the request is handed to the client, so time spent waiting for a
    free connection in the pool counts too.
    """
    posting = Posting()
    loop = asyncio.get_running_loop()
    start = loop.time()

    async def one(sequence: int) -> None:
        posting.sent[sequence] = time.perf_counter()
        try:
            await send(sequence)
        except (RuntimeError, OSError, asyncio.IncompleteReadError) as error:
            posting.failed.append(str(error))

    pending = []
    for i in range(count):
        await asyncio.sleep(max(0.0, start + i / rate - loop.time()))
        pending.append(asyncio.create_task(one(first + i)))
    await asyncio.gather(*pending)
    posting.seconds = loop.time() - start
    return posting
