"""Synapse for a test, end to end: install, configure, start, register users, tear down.

    python -m bench.peers.synapse [--backend sqlite|postgresql] [--users N]

Installs matrix-synapse from PyPI into its own virtualenv (``install.sh``), writes a
loopback-only configuration with its rate limits lifted on a fresh database, starts
it, registers ``--users`` users through the admin API, has them join a room, sends
one message and waits until every user's ``/sync`` has it; then stops the server and
removes its folder and database. What ``bench.compare`` does with Synapse, once.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import Sequence

from bench.harness import backends
from bench.loadgen import Deliveries
from bench.node_process import NodeProcess
from bench.peers import Deployment
from bench.peers.synapse import SynapsePeer

WAIT_SECONDS = 30.0


async def exercise(deployment: Deployment, node: NodeProcess, users: int) -> int:
    """Register, join, send one probe; how many users received it."""
    client = deployment.client(node)
    try:
        sender, *members = await client.register([f"user{i}" for i in range(users + 1)])
        room = await client.create_room(sender)
        await client.join(room, members)
        deliveries = Deliveries()
        receivers = await client.open_receivers(room, members, deliveries)
        deliveries.expect(len(members))
        await client.send(sender, room, 1)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(WAIT_SECONDS):
                await deliveries.all_arrived()
        await receivers.close()
        return len(deliveries.arrivals)
    finally:
        await client.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--users", type=int, default=3, help="users who receive the message")
    args = parser.parse_args(argv)
    peer = SynapsePeer()
    print(f"Synapse {peer.version()} in {peer.python.parent.parent}", flush=True)
    with (
        backends(args.backend, None) as [backend],
        peer.deployment(backend) as deployment,
        deployment.serve(None) as node,
    ):
        print(f"started on {node.url} in {node.started_in:.2f} s", flush=True)
        received = asyncio.run(exercise(deployment, node, args.users))
    print(f"{received} of {args.users} users received the message; stopped and removed")
    return 0 if received == args.users else 1


if __name__ == "__main__":
    raise SystemExit(main())
