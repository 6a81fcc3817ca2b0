"""Chat servers the comparison benchmark drives alike: Hearth, and peers to measure it against.

A peer is what one load generator needs of a chat server, and nothing more:

- ``Peer.deployment(backend)``: its configuration and a fresh, empty database on the
  chosen backend (SQLite, or a new database on a PostgreSQL server), removed afterwards;
- ``Deployment.serve(core)``: the server in a process of its own, pinned to ``core``,
  until the block ends; may be entered again, to time a restart on the same data;
- ``Deployment.client(node)``: a client speaking the server's own public API, which
  registers users, creates a room (a Hearth server's #general, a Matrix room), has
  receivers join it, sends probes, and opens one receiver per user (a Hearth gateway
  WebSocket, a Matrix ``/sync`` long poll) that reports every probe it gets to a
  ``Deliveries``.

A probe is the text ``bench <sequence number>``; receivers find the number in what
they receive, so each delivery is timed from send to arrival on the generator's clock.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from bench.harness import Backend
from bench.loadgen import Account, Deliveries
from bench.node_process import NodeProcess


@dataclass(frozen=True)
class Room:
    """Where probes go: a Hearth channel or a Matrix room; ``join_key`` is what joining takes."""

    id: str
    join_key: str


class Receivers(Protocol):
    """Open receivers, one connection each, reporting probes to their ``Deliveries``."""

    async def close(self) -> None:
        """Close every connection and wait until they are closed."""


class PeerClient(ABC):
    """The server's public API, as the benchmark uses it."""

    @abstractmethod
    async def register(self, names: list[str]) -> list[Account]:
        """New accounts, signed in, in the order of ``names``."""

    @abstractmethod
    async def create_room(self, owner: Account) -> Room:
        """A room or channel that ``owner`` can post in and others can join."""

    @abstractmethod
    async def join(self, room: Room, members: list[Account]) -> None:
        """Each of ``members`` joins ``room``."""

    @abstractmethod
    async def send(self, sender: Account, room: Room, sequence: int) -> None:
        """Post the probe of ``sequence`` to ``room``; raises RuntimeError when refused."""

    @abstractmethod
    async def open_receivers(
        self, room: Room, members: list[Account], deliveries: Deliveries
    ) -> Receivers:
        """One receiver per member, each on its own connection; return once all listen."""

    @abstractmethod
    async def close(self) -> None:
        """Close the sender's connections."""


class Deployment(ABC):
    """A server's configuration and database, from creation to removal."""

    @abstractmethod
    def serve(self, core: int | None) -> AbstractContextManager[NodeProcess]:
        """The server running, pinned to ``core``; up at its health check's first ``200``."""

    @abstractmethod
    def client(self, node: NodeProcess) -> PeerClient:
        """A client of the running server."""


class Peer(ABC):
    """A chat server product: its name, version, and deployments of it."""

    name: str

    @abstractmethod
    def version(self) -> str:
        """The version measured, for the report."""

    @abstractmethod
    def deployment(self, backend: Backend) -> AbstractContextManager[Deployment]:
        """A fresh deployment on ``backend``, removed when the block ends."""
