"""Hearth as a peer of the comparison: ``hearth serve`` driven through its REST API and gateway.

A room is a server's #general channel; members join it with the server's invite, and
each receiver is one gateway WebSocket of its own user (``bench/loadgen.py``). On
PostgreSQL the node gets a new database of its own; either way its data folder is
fresh, and kept across the deployment's starts so that a restart finds its data.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

from bench.harness import Backend, postgres_database
from bench.loadgen import PROBE_PREFIX, Account, Deliveries, Rest, Subscribers
from bench.node_process import NodeProcess, running_node
from bench.peers import Deployment, Peer, PeerClient, Receivers, Room

JOIN_CONCURRENCY = 16


class HearthClient(PeerClient):
    def __init__(self, node: NodeProcess) -> None:
        self.rest = Rest(node.url)
        self.ws_url = node.ws_url

    async def register(self, names: list[str]) -> list[Account]:
        return list(await asyncio.gather(*(self.rest.register(name) for name in names)))

    async def create_room(self, owner: Account) -> Room:
        server = await self.rest.call("POST", "/servers", owner, {"name": "bench"})
        invite = await self.rest.call("POST", f"/servers/{server['id']}/invites", owner, {})
        return Room(server["general_channel_id"], invite["code"])

    async def join(self, room: Room, members: list[Account]) -> None:
        limit = asyncio.Semaphore(JOIN_CONCURRENCY)

        async def one(member: Account) -> None:
            async with limit:
                await self.rest.call("POST", f"/invites/{room.join_key}", member)

        await asyncio.gather(*(one(member) for member in members))

    async def send(self, sender: Account, room: Room, sequence: int) -> None:
        await self.rest.post(sender, room.id, f"{PROBE_PREFIX}{sequence}")

    async def open_receivers(
        self, room: Room, members: list[Account], deliveries: Deliveries
    ) -> Receivers:
        subscribers = Subscribers(self.ws_url, deliveries=deliveries)
        await subscribers.open(members, len(members))
        return subscribers

    async def close(self) -> None:
        await self.rest.close()


class HearthDeployment(Deployment):
    def __init__(self, folder: Path, bytecode: Path, database_url: str | None) -> None:
        self.folder = folder
        self.bytecode = bytecode
        self.extra = {"HEARTH_DATABASE_URL": database_url} if database_url else {}

    @contextmanager
    def serve(self, core: int | None) -> Iterator[NodeProcess]:
        with running_node(core, self.bytecode, extra=self.extra, folder=self.folder) as node:
            yield node

    def client(self, node: NodeProcess) -> PeerClient:
        return HearthClient(node)


class HearthPeer(Peer):
    """Nodes of this checkout; ``bytecode`` caches their compiled modules across starts.

    An installed node has its modules compiled (pip compiles them at install); the
    benchmark node keeps them in ``bytecode`` (``PYTHONPYCACHEPREFIX``), so only its
    first start in a run compiles them.
    """

    name = "Hearth"

    def __init__(self, bytecode: Path) -> None:
        self.bytecode = bytecode

    def version(self) -> str:
        return metadata.version("hearth")

    @contextmanager
    def deployment(self, backend: Backend) -> Iterator[Deployment]:
        folder = Path(tempfile.mkdtemp(prefix="hearth-bench-peer-"))
        try:
            if backend.admin_url is None:
                yield HearthDeployment(folder, self.bytecode, None)
            else:
                with postgres_database(backend.admin_url) as url:
                    yield HearthDeployment(folder, self.bytecode, url)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
