"""What a hub shares with the node's other gateway processes.

One process needs nothing shared: ``LocalCluster`` answers from the hub itself. With
several processes (``infra.cluster.gateway``, over Redis), a user's status is the sum
of what every process holds, presence and typing changes reach the clients of every
process, and an ended session closes its sockets wherever they are.

The hub calls ``status_changed``, ``servers_changed``, ``routed`` and ``typing`` on its
event loop; ``present_in`` and ``sessions_ended`` come from worker threads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol
from uuid import UUID

if TYPE_CHECKING:
    from api.gateway.hub import Hub

Servers = frozenset[UUID]


class Cluster(Protocol):
    def bind(self, hub: Hub) -> None:
        """Attach to the hub whose clients receive what other processes send."""
        ...

    async def start(self) -> None: ...
    async def stop(self) -> None: ...

    def status_changed(self, user_id: UUID, status: str | None, servers: Servers) -> None:
        """This process's status of a user changed (None: gone from here, grace included)."""
        ...

    def servers_changed(self, user_id: UUID, status: str, servers: Servers) -> None:
        """A present user's servers changed (joined or left one); the status did not."""
        ...

    def routed(self, user_id: UUID, here: bool) -> None:
        """The user's first connection to this process opened (True), or its last closed."""
        ...

    def typing(self, channel_id: UUID, user_id: UUID, active: bool) -> None:
        """A typing indicator the hub has already relayed to its own clients."""
        ...

    def present_in(self, server_id: UUID) -> dict[UUID, str]:
        """Every member of the server who is online or idle on any process."""
        ...

    def sessions_ended(self, user_id: UUID, session_ids: list[UUID]) -> None:
        """Close the sockets of these sessions on every process (thread-safe)."""
        ...


class LocalCluster:
    """A node of one process: its hub knows everything."""

    hub: Hub

    def bind(self, hub: Hub) -> None:
        self.hub = hub

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def status_changed(self, user_id: UUID, status: str | None, servers: Servers) -> None:
        self.hub.broadcast_presence(user_id, status or "offline", servers)

    def servers_changed(self, user_id: UUID, status: str, servers: Servers) -> None:
        return None

    def routed(self, user_id: UUID, here: bool) -> None:
        return None

    def typing(self, channel_id: UUID, user_id: UUID, active: bool) -> None:
        return None

    def present_in(self, server_id: UUID) -> dict[UUID, str]:
        return self.hub.present_in(server_id)

    def sessions_ended(self, user_id: UUID, session_ids: list[UUID]) -> None:
        self.hub.loop.call_soon_threadsafe(self.hub.close_sessions, user_id, frozenset(session_ids))
