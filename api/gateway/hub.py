"""The hub: routes frames to connections, keeps who may read what, presence and typing.

It lives on the server's event loop. Frames arrive from the projection runner's
thread through ``publish_threadsafe``; everything else happens on the loop, so no
lock is needed. Visibility is decided when a frame is sent, from the access each
connection holds, which the frames themselves keep up to date (a member joining,
leaving or changing role; a channel created or deleted).

Presence, typing and ended sessions also concern the node's other gateway processes,
if it has any: the hub tells its ``Cluster`` of each change here, and the cluster
calls ``broadcast_presence``, ``relay_typing`` and ``close_sessions`` for changes
from elsewhere (api/gateway/cluster.py).
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import Iterable
from uuid import UUID

from api.gateway.cluster import Cluster, LocalCluster, Servers
from api.gateway.connection import SESSION_ENDED, Connection
from api.gateway.frames import Frame, Grant
from domain.membership import Role

TYPING_SECONDS = 8.0
MODERATORS = (Role.OWNER, Role.MODERATOR)


def ephemeral(op: str, data: dict[str, object]) -> str:
    return json.dumps({"op": op, "d": data, "s": None}, separators=(",", ":"))


class Hub:
    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        presence_grace_seconds: float,
        cluster: Cluster | None = None,
    ) -> None:
        self.loop = loop
        self.cluster: Cluster = cluster or LocalCluster()
        self.cluster.bind(self)
        self.presence_grace_seconds = presence_grace_seconds
        self.published = 0
        self.by_channel: dict[UUID, set[Connection]] = defaultdict(set)
        self.by_server: dict[UUID, set[Connection]] = defaultdict(set)
        self.by_user: dict[UUID, set[Connection]] = defaultdict(set)
        self.idle: set[UUID] = set()
        self._going_offline: dict[UUID, asyncio.TimerHandle] = {}
        self._typing: dict[tuple[UUID, UUID], asyncio.TimerHandle] = {}

    # -- connections ---------------------------------------------------------------

    def attach(self, conn: Connection) -> None:
        first = not self.by_user[conn.user_id]
        self.by_user[conn.user_id].add(conn)
        for server_id, channel_ids in conn.channels.items():
            if server_id is not None:
                self.by_server[server_id].add(conn)
            for channel_id in channel_ids:
                self.by_channel[channel_id].add(conn)
        if first:
            self.cluster.routed(conn.user_id, True)
        pending = self._going_offline.pop(conn.user_id, None)
        if pending is not None:
            pending.cancel()
        elif first:
            self._status_changed(conn.user_id)

    def detach(self, conn: Connection) -> None:
        self._drop_index(conn, conn.channels)
        users = self.by_user[conn.user_id]
        users.discard(conn)
        if not users:
            del self.by_user[conn.user_id]
            self.cluster.routed(conn.user_id, False)
            self._going_offline[conn.user_id] = self.loop.call_later(
                self.presence_grace_seconds, self._offline, conn.user_id, set(conn.channels)
            )

    def status(self, user_id: UUID) -> str:
        if user_id not in self.by_user and user_id not in self._going_offline:
            return "offline"
        return "idle" if user_id in self.idle else "online"

    def present_in(self, server_id: UUID) -> dict[UUID, str]:
        """Status of every member of the server who is not offline."""
        users = {conn.user_id for conn in self.by_server.get(server_id, ())}
        return {user: self.status(user) for user in users}

    def set_idle(self, conn: Connection, idle: bool) -> None:
        was = self.status(conn.user_id)
        (self.idle.add if idle else self.idle.discard)(conn.user_id)
        if self.status(conn.user_id) != was:
            self._status_changed(conn.user_id)

    def _offline(self, user_id: UUID, servers: set[UUID | None]) -> None:
        self._going_offline.pop(user_id, None)
        self.idle.discard(user_id)
        self.cluster.status_changed(user_id, None, frozenset(s for s in servers if s is not None))

    def servers_of_user(self, user_id: UUID) -> Servers:
        """The servers of the user's connections to this process."""
        return frozenset(self._servers_of((user_id,)))

    def _status_changed(self, user_id: UUID) -> None:
        self.cluster.status_changed(user_id, self.status(user_id), self.servers_of_user(user_id))

    def broadcast_presence(self, user_id: UUID, status: str, servers: Servers) -> None:
        """Tell this process's clients in those servers of a user's (node-wide) status."""
        text = ephemeral("presence", {"user_id": str(user_id), "status": status})
        for conn in self._union(self.by_server.get(s, set()) for s in servers):
            conn.send(text)

    def close_sessions(self, user_id: UUID, session_ids: frozenset[UUID]) -> None:
        """Close the user's connections opened in these sessions (4001)."""
        for conn in self.by_user.get(user_id, ()):
            if conn.session_id in session_ids:
                conn.close(SESSION_ENDED)

    # -- typing ----------------------------------------------------------------------

    def typing(self, conn: Connection, channel_id: UUID, active: bool) -> bool:
        """Relay a typing indicator to the channel's other readers; False if not readable."""
        if channel_id not in self.by_channel or conn not in self.by_channel[channel_id]:
            return False
        key = (conn.user_id, channel_id)
        timer = self._typing.pop(key, None)
        if timer is not None:
            timer.cancel()
        if active:
            self._typing[key] = self.loop.call_later(
                TYPING_SECONDS, self.typing, conn, channel_id, False
            )
        self.relay_typing(channel_id, conn.user_id, active)
        self.cluster.typing(channel_id, conn.user_id, active)
        return True

    def relay_typing(self, channel_id: UUID, user_id: UUID, active: bool) -> None:
        """Send a typing indicator to this process's other readers of the channel."""
        data = {"channel_id": str(channel_id), "user_id": str(user_id), "active": active}
        text = ephemeral("typing", data)
        for other in self.by_channel.get(channel_id, ()):
            if other.user_id != user_id:
                other.send(text)

    # -- logged events -------------------------------------------------------------------

    def publish_threadsafe(self, frames: list[Frame], position: int) -> None:
        self.loop.call_soon_threadsafe(self.publish, frames, position)

    def publish(self, frames: list[Frame], position: int) -> None:
        for frame in frames:
            for conn in self.recipients(frame):
                conn.deliver(frame.position, frame.text)
            self.apply_access(frame)
        self.published = max(self.published, position)

    def recipients(self, frame: Frame) -> set[Connection]:
        """Who receives ``frame``, by the access they hold now (before the frame changes it)."""
        if frame.to_users:
            return self._union(self.by_user.get(u, set()) for u in frame.to_users)
        if frame.grant is not None:
            return self.by_server.get(frame.grant.server_id, set()) | self.by_user.get(
                frame.grant.user_id, set()
            )
        if frame.dm_members is not None:
            return self._union(self.by_user.get(u, set()) for u in frame.dm_members)
        if frame.server_id is not None and frame.channel_id is not None:
            members = self.by_server.get(frame.server_id, set())
            if not frame.private:
                return set(members)
            return {c for c in members if c.roles.get(frame.server_id) in MODERATORS}
        if frame.channel_id is not None:
            return {
                c for c in self.by_channel.get(frame.channel_id, ()) if c.wants(frame.channel_id)
            }
        if frame.server_id is not None:
            return set(self.by_server.get(frame.server_id, ()))
        if frame.user_ids:
            return self._union(
                self.by_server.get(s, set()) for s in self._servers_of(frame.user_ids)
            )
        return set()

    def apply_access(self, frame: Frame) -> None:
        if frame.grant is not None:
            self._grant(frame.grant)
        elif frame.channel_id is not None and frame.closes_channel:
            for conn in self.by_channel.pop(frame.channel_id, set()):
                for channel_ids in conn.channels.values():
                    channel_ids.discard(frame.channel_id)
        elif frame.dm_members is not None and frame.channel_id is not None:
            for user_id in frame.dm_members:
                for conn in self.by_user.get(user_id, ()):
                    conn.channels.setdefault(None, set()).add(frame.channel_id)
                    self.by_channel[frame.channel_id].add(conn)
        elif frame.server_id is not None and frame.channel_id is not None:
            for conn in self.recipients(frame):
                conn.channels.setdefault(frame.server_id, set()).add(frame.channel_id)
                self.by_channel[frame.channel_id].add(conn)

    def _grant(self, grant: Grant) -> None:
        for conn in self.by_user.get(grant.user_id, ()):
            old: dict[UUID | None, set[UUID]] = {
                grant.server_id: conn.channels.pop(grant.server_id, set())
            }
            self._drop_index(conn, old)
            if grant.role is None:
                conn.roles.pop(grant.server_id, None)
                continue
            conn.roles[grant.server_id] = grant.role
            conn.channels[grant.server_id] = set(grant.channel_ids)
            self.by_server[grant.server_id].add(conn)
            for channel_id in grant.channel_ids:
                self.by_channel[channel_id].add(conn)
        if grant.user_id in self.by_user:
            servers = self.servers_of_user(grant.user_id)
            self.cluster.servers_changed(grant.user_id, self.status(grant.user_id), servers)

    def _drop_index(self, conn: Connection, channels: dict[UUID | None, set[UUID]]) -> None:
        for server_id, channel_ids in channels.items():
            if server_id is not None:
                self._discard(self.by_server, server_id, conn)
            for channel_id in channel_ids:
                self._discard(self.by_channel, channel_id, conn)

    @staticmethod
    def _discard(index: dict[UUID, set[Connection]], key: UUID, conn: Connection) -> None:
        members = index.get(key)
        if members is not None:
            members.discard(conn)
            if not members:
                del index[key]

    def _servers_of(self, user_ids: Iterable[UUID]) -> set[UUID]:
        return {
            s
            for u in user_ids
            for c in self.by_user.get(u, ())
            for s in c.channels
            if s is not None
        }

    @staticmethod
    def _union(groups: Iterable[set[Connection]]) -> set[Connection]:
        result: set[Connection] = set()
        for group in groups:
            result |= group
        return result
