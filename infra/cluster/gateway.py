"""The gateway processes of one node, joined through Redis (``api.gateway.cluster.Cluster``).

Each process keeps its own connections; Redis holds what the others need to know of them.
Keys, under the node's prefix (``hearth:<node>:gateway:``):

- ``alive``: sorted set, process id → time of its last heartbeat (ms, Redis's clock).
- ``users:<process>``: hash, user id → ``"<status> <server>,<server>…"`` for each user with a
  connection to that process (or in the grace period after their last one). It expires a while
  after the process's last heartbeat, so a crashed process's users can still be reaped.
- ``route:<user>``: sorted set, process id → expiry (ms): where the user's connections are,
  refreshed by each heartbeat; read to close a user's sockets on every process.

Pub/sub channels: ``presence`` and ``typing`` go to every process, ``process:<id>`` to one.

A user's status is the best of what the live processes hold (online, else idle, else
offline). Every change is decided by one Lua script, which sets this process's entry and
compares the status before and after, so a transition is announced exactly once however
many processes race. The process that caused a change sends the presence frames to its
own clients and publishes the change for the others.

A presence snapshot of a server reads its members from the chat view, a page at a time,
and looks them up in the live processes' hashes (``HMGET``), so its cost follows the
server's size, not the node's, and no long script holds Redis up.

Heartbeats (every ``beat_seconds``) keep the process alive in ``alive``. A process whose
heartbeat is older than ``dead_after_seconds`` is reaped by the next live process that
beats: its entries are removed and the users who went offline with it announced. When
Redis comes back after a restart, each process finds its heartbeat or its entries gone
and re-asserts everything it holds; changes it could not write while Redis was away are
announced then. So a lost Redis loses nothing but the time until the next heartbeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Iterator, Sequence
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any
from uuid import UUID

import redis
import redis.asyncio

from api.errors import ApiError
from api.gateway.cluster import Servers
from api.gateway.hub import Hub
from infra.cluster.redis_client import SOCKET_TIMEOUT, async_client
from projections.ports import ChatViewReader

log = logging.getLogger(__name__)

SNAPSHOT_PAGE = 1000
BEAT_SECONDS = 2.0
DEAD_AFTER_SECONDS = 10.0
RETRY_SECONDS = 0.5
ROUTE_BATCH = 1000

# Every script starts with ARGV[1] = the key prefix, and reads the time from Redis.
_PRELUDE = """
local prefix = ARGV[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function status_of(value)
  return string.match(value, '^(%a+)')
end
local function aggregate(user, pids)
  local best = 'offline'
  for _, pid in ipairs(pids) do
    local value = redis.call('HGET', prefix .. 'users:' .. pid, user)
    if value then
      if status_of(value) == 'online' then return 'online' end
      best = 'idle'
    end
  end
  return best
end
local function live(dead_after)
  return redis.call('ZRANGEBYSCORE', prefix .. 'alive', now - tonumber(dead_after), '+inf')
end
"""

# ARGV: prefix, process, dead_after, keep, user, value ('' removes). The new status if it
# changed, else nil.
_SET = """
local pids = live(ARGV[3])
local key, user, value = prefix .. 'users:' .. ARGV[2], ARGV[5], ARGV[6]
local before = aggregate(user, pids)
if value == '' then
  redis.call('HDEL', key, user)
else
  redis.call('HSET', key, user, value)
  redis.call('PEXPIRE', key, ARGV[4])
end
local after = aggregate(user, pids)
if after == before then return false end
return after
"""

# ARGV: prefix, process, keep. Returns {1 if the process was not in ``alive``, 1 if its
# entries still exist}.
_BEAT = """
local added = redis.call('ZADD', prefix .. 'alive', now, ARGV[2])
local kept = redis.call('PEXPIRE', prefix .. 'users:' .. ARGV[2], ARGV[3])
return {added, kept}
"""

# ARGV: prefix, process, dead_after, keep, n, n forced users, then user/value pairs: the
# process's whole state. Returns user/status pairs: the changed users and the forced ones.
_REASSERT = """
local pid = ARGV[2]
local key = prefix .. 'users:' .. pid
redis.call('ZADD', prefix .. 'alive', now, pid)
local pids = live(ARGV[3])
local nforced = tonumber(ARGV[5])
local seen, order, forced = {}, {}, {}
local function concern(user)
  if not seen[user] then seen[user] = true; table.insert(order, user) end
end
for i = 6, 5 + nforced do forced[ARGV[i]] = true; concern(ARGV[i]) end
for _, user in ipairs(redis.call('HKEYS', key)) do concern(user) end
for i = 6 + nforced, #ARGV, 2 do concern(ARGV[i]) end
local before = {}
for _, user in ipairs(order) do before[user] = aggregate(user, pids) end
redis.call('DEL', key)
for i = 6 + nforced, #ARGV, 2 do redis.call('HSET', key, ARGV[i], ARGV[i + 1]) end
redis.call('PEXPIRE', key, ARGV[4])
local changes = {}
for _, user in ipairs(order) do
  local after = aggregate(user, pids)
  if forced[user] or after ~= before[user] then
    table.insert(changes, user); table.insert(changes, after)
  end
end
return changes
"""

# ARGV: prefix, dead_after. Removes processes silent for longer than dead_after; returns
# user/status/value triples for their users whose status changed.
_REAP = """
local alive = prefix .. 'alive'
local dead = redis.call('ZRANGEBYSCORE', alive, '-inf', '(' .. (now - tonumber(ARGV[2])))
if #dead == 0 then return {} end
local pids = live(ARGV[2])
local all = {}
for _, pid in ipairs(pids) do table.insert(all, pid) end
for _, pid in ipairs(dead) do table.insert(all, pid) end
local entries, order = {}, {}
for _, pid in ipairs(dead) do
  local flat = redis.call('HGETALL', prefix .. 'users:' .. pid)
  for i = 1, #flat, 2 do
    if not entries[flat[i]] then entries[flat[i]] = flat[i + 1]; table.insert(order, flat[i]) end
  end
end
local before = {}
for _, user in ipairs(order) do before[user] = aggregate(user, all) end
for _, pid in ipairs(dead) do
  redis.call('ZREM', alive, pid)
  redis.call('DEL', prefix .. 'users:' .. pid)
end
local changes = {}
for _, user in ipairs(order) do
  local after = aggregate(user, pids)
  if after ~= before[user] then
    table.insert(changes, user); table.insert(changes, after); table.insert(changes, entries[user])
  end
end
return changes
"""

# ARGV: prefix, dead_after. The live processes.
_LIVE = """
return live(ARGV[2])
"""

# ARGV: prefix, process, ttl, users…: (re)record the process as holding these users.
_ROUTE = """
for i = 4, #ARGV do
  local key = prefix .. 'route:' .. ARGV[i]
  redis.call('ZADD', key, now + tonumber(ARGV[3]), ARGV[2])
  redis.call('PEXPIRE', key, ARGV[3])
end
return #ARGV - 3
"""

# ARGV: prefix, user. The processes holding the user's connections now.
_ROUTES = """
return redis.call('ZRANGEBYSCORE', prefix .. 'route:' .. ARGV[2], now, '+inf')
"""

Op = Callable[[], Awaitable[None]]


def _encode(status: str, servers: Servers) -> str:
    return f"{status} {','.join(sorted(map(str, servers)))}"


def _servers(value: str) -> Servers:
    _, _, listed = value.partition(" ")
    return frozenset(UUID(s) for s in listed.split(",") if s)


def _pairs(flat: Sequence[str]) -> Iterator[tuple[str, str]]:
    return zip(flat[0::2], flat[1::2], strict=True)


class RedisCluster:
    def __init__(
        self,
        url: str,
        prefix: str,
        reader: ChatViewReader,
        *,
        beat_seconds: float = BEAT_SECONDS,
        dead_after_seconds: float = DEAD_AFTER_SECONDS,
    ) -> None:
        self.url = url
        self.prefix = prefix
        self.reader = reader
        self.beat_seconds = beat_seconds
        self.dead_after_ms = int(dead_after_seconds * 1000)
        # A crashed process's entries outlive it long enough for a live one to reap them.
        self.keep_ms = self.dead_after_ms * 6
        self.process_id = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4)}"
        self.held: dict[UUID, tuple[str, Servers]] = {}
        """What this process holds: each present user's status here and servers."""
        self.unsent: dict[UUID, Servers] = {}
        """Users whose change could not be written: announced again once Redis is back."""
        self.healthy = False
        self._registered = False
        self._lost = False
        self._beat_queued = False
        self._ops: asyncio.Queue[Op] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    def bind(self, hub: Hub) -> None:
        self.hub = hub

    # -- life ---------------------------------------------------------------------------

    async def start(self) -> None:
        self.client = async_client(self.url)
        self._scripts = {
            name: self.client.register_script(_PRELUDE + body)
            for name, body in (
                ("set", _SET),
                ("beat", _BEAT),
                ("reassert", _REASSERT),
                ("reap", _REAP),
                ("live", _LIVE),
                ("route", _ROUTE),
                ("routes", _ROUTES),
            )
        }
        await self._beat()
        self._tasks = [
            asyncio.create_task(self._write_loop(), name="cluster-writes"),
            asyncio.create_task(self._beat_loop(), name="cluster-heartbeat"),
            asyncio.create_task(self._listen_loop(), name="cluster-listen"),
        ]

    async def stop(self) -> None:
        """Leave: this process's users are withdrawn (and announced) at once."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ops.join(), SOCKET_TIMEOUT)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.held.clear()
        with contextlib.suppress(redis.RedisError, OSError, TimeoutError):
            await asyncio.wait_for(self._reassert(), SOCKET_TIMEOUT)
            async with self.client.pipeline(transaction=False) as pipe:
                pipe.zrem(self.prefix + "alive", self.process_id)
                for user_id in self.hub.by_user:
                    pipe.zrem(f"{self.prefix}route:{user_id}", self.process_id)
                await pipe.execute()
        await self.client.aclose()

    # -- calls from the hub (on the loop) ---------------------------------------------------

    def status_changed(self, user_id: UUID, status: str | None, servers: Servers) -> None:
        if status is None:
            self.held.pop(user_id, None)
        else:
            self.held[user_id] = (status, servers)
        self._ops.put_nowait(lambda: self._write(user_id, status, servers))

    def servers_changed(self, user_id: UUID, status: str, servers: Servers) -> None:
        self.status_changed(user_id, status, servers)

    def routed(self, user_id: UUID, here: bool) -> None:
        self._ops.put_nowait(lambda: self._route(user_id, here))

    def typing(self, channel_id: UUID, user_id: UUID, active: bool) -> None:
        if not self.healthy:  # best effort: not queued up while Redis is away
            return
        message = {"channel_id": str(channel_id), "user_id": str(user_id), "active": active}
        self._ops.put_nowait(lambda: self._publish("typing", message))

    # -- calls from worker threads --------------------------------------------------------

    def present_in(self, server_id: UUID) -> dict[UUID, str]:
        """The server's members (from the view, a page at a time) looked up in Redis."""
        found: dict[UUID, str] = {}
        after: UUID | None = None
        while page := [m.user_id for m in self.reader.members_of(server_id, after, SNAPSHOT_PAGE)]:
            future = asyncio.run_coroutine_threadsafe(self._statuses(page), self.hub.loop)
            try:
                found |= future.result(SOCKET_TIMEOUT + 1)
            except (redis.RedisError, OSError, FutureTimeout):
                future.cancel()
                raise ApiError(503, "unavailable", "presence cannot be read now; retry") from None
            after = page[-1]
        return found

    def sessions_ended(self, user_id: UUID, session_ids: list[UUID]) -> None:
        asyncio.run_coroutine_threadsafe(self._end_sessions(user_id, session_ids), self.hub.loop)

    # -- Redis work ---------------------------------------------------------------------------

    async def _run(self, script: str, *args: str | int) -> Any:
        return await self._scripts[script](args=[self.prefix, *args])

    async def _write(self, user_id: UUID, status: str | None, servers: Servers) -> None:
        value = "" if status is None else _encode(status, servers)
        try:
            args = (self.dead_after_ms, self.keep_ms, str(user_id), value)
            changed = await self._run("set", self.process_id, *args)
        except (redis.RedisError, OSError):
            self.unsent[user_id] = servers
            return
        if changed:
            await self._announce(user_id, changed, servers)

    async def _announce(self, user_id: UUID, status: str, servers: Servers) -> None:
        """Frames to this process's clients now; to the other processes' through Redis."""
        self.hub.broadcast_presence(user_id, status, servers)
        message = {"user_id": str(user_id), "status": status, "servers": sorted(map(str, servers))}
        try:
            await self._publish("presence", message)
        except (redis.RedisError, OSError):
            self.unsent[user_id] = servers

    async def _publish(self, channel: str, message: dict[str, Any]) -> None:
        body = json.dumps({**message, "from": self.process_id}, separators=(",", ":"))
        await self.client.publish(self.prefix + channel, body)

    async def _route(self, user_id: UUID, here: bool) -> None:
        with contextlib.suppress(redis.RedisError, OSError):  # the next heartbeat repairs it
            if here:
                await self._run("route", self.process_id, self.dead_after_ms, str(user_id))
            else:
                await self.client.zrem(f"{self.prefix}route:{user_id}", self.process_id)

    async def _beat(self) -> None:
        self._beat_queued = False
        try:
            added, kept = await self._run("beat", self.process_id, self.keep_ms)
            if (added and self._registered) or (not kept and self.held):
                self._lost = True  # Redis lost our entries (restarted empty), or we were reaped
            self._registered = True
            # Not on the first beat back after an outage: the other processes' subscriptions
            # need a moment to come back too, or they would miss what is announced now.
            if self.healthy and (self._lost or self.unsent):
                await self._reassert()
                self._lost = False
            users = [str(u) for u in self.hub.by_user]
            for start in range(0, len(users), ROUTE_BATCH):
                batch = users[start : start + ROUTE_BATCH]
                await self._run("route", self.process_id, self.dead_after_ms, *batch)
            if self.healthy:  # and give the others time to beat before reaping them
                await self._reap()
            self.healthy = True
        except (redis.RedisError, OSError) as error:
            if self.healthy:
                log.warning("Redis unreachable; gateway presence is re-asserted later: %s", error)
            self.healthy = False

    async def _reassert(self) -> None:
        forced = dict(self.unsent)
        entries = [
            x for u, (s, servers) in self.held.items() for x in (str(u), _encode(s, servers))
        ]
        args: tuple[str | int, ...] = (
            self.dead_after_ms,
            self.keep_ms,
            len(forced),
            *map(str, forced),
            *entries,
        )
        changes = await self._run("reassert", self.process_id, *args)
        self.unsent.clear()
        for user, status in _pairs(changes):
            user_id = UUID(user)
            servers = self.held[user_id][1] if user_id in self.held else forced.get(user_id)
            await self._announce(user_id, status, servers or frozenset())

    async def _reap(self) -> None:
        changes = await self._run("reap", self.dead_after_ms)
        for user, status, value in zip(changes[0::3], changes[1::3], changes[2::3], strict=True):
            await self._announce(UUID(user), status, _servers(value))

    async def _statuses(self, users: list[UUID]) -> dict[UUID, str]:
        """The status of each of these users who is present on a live process."""
        processes = await self._run("live", self.dead_after_ms)
        fields = [str(u) for u in users]
        async with self.client.pipeline(transaction=False) as pipe:
            for process in processes:
                pipe.hmget(f"{self.prefix}users:{process}", fields)
            rows = await pipe.execute()
        found: dict[UUID, str] = {}
        for row in rows:
            for user_id, value in zip(users, row, strict=True):
                if value is not None and found.get(user_id) != "online":
                    found[user_id] = value.partition(" ")[0]
        return found

    async def _end_sessions(self, user_id: UUID, session_ids: list[UUID]) -> None:
        ended = frozenset(session_ids)
        self.hub.close_sessions(user_id, ended)
        message = {
            "op": "end_sessions",
            "user_id": str(user_id),
            "session_ids": [str(s) for s in session_ids],
        }
        try:
            for process in await self._run("routes", str(user_id)):
                if process != self.process_id:
                    await self._publish("process:" + process, message)
        except (redis.RedisError, OSError) as error:
            log.warning("could not reach other gateway processes to end sessions: %s", error)

    # -- loops -----------------------------------------------------------------------------------

    async def _write_loop(self) -> None:
        """Redis writes, one at a time, in the order the hub made them."""
        while True:
            op = await self._ops.get()
            try:
                await op()
            except Exception:
                log.exception("gateway cluster write failed")
            finally:
                self._ops.task_done()

    async def _beat_loop(self) -> None:
        while True:
            await asyncio.sleep(self.beat_seconds)
            if not self._beat_queued:  # while Redis is slow to answer, beats do not pile up
                self._beat_queued = True
                self._ops.put_nowait(self._beat)

    async def _listen_loop(self) -> None:
        channels = [self.prefix + c for c in ("presence", "typing", "process:" + self.process_id)]
        while True:
            pubsub = self.client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(*channels)
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None:
                        self._receive(message["channel"].removeprefix(self.prefix), message["data"])
            except (redis.RedisError, OSError):
                await asyncio.sleep(RETRY_SECONDS)
            finally:
                with contextlib.suppress(redis.RedisError, OSError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    def _receive(self, channel: str, body: str) -> None:
        try:
            self._dispatch(channel, json.loads(body))
        except (ValueError, KeyError, TypeError, AttributeError):
            log.exception("malformed gateway cluster message ignored")

    def _dispatch(self, channel: str, message: dict[str, Any]) -> None:
        if message.get("from") == self.process_id:
            return
        if channel == "presence":
            servers = frozenset(UUID(s) for s in message["servers"])
            self.hub.broadcast_presence(UUID(message["user_id"]), message["status"], servers)
        elif channel == "typing":
            channel_id, user_id = UUID(message["channel_id"]), UUID(message["user_id"])
            self.hub.relay_typing(channel_id, user_id, bool(message["active"]))
        elif message.get("op") == "end_sessions":
            sessions = frozenset(UUID(s) for s in message["session_ids"])
            self.hub.close_sessions(UUID(message["user_id"]), sessions)
