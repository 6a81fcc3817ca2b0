"""One process's place among the node's processes on a shared PostgreSQL.

It claims the process's HLC node id (``claim_process_id``), hands out a lease per
follower of the log, and, once the node is built, listens for other processes' appends
and progress so that local followers and read-your-writes waits wake without polling.
"""

from __future__ import annotations

from collections.abc import Mapping

from infra.cluster.lease import Lease, claim_process_id
from infra.cluster.signals import Signals
from infra.eventstore.store import EventStore
from infra.projections.runner import ProjectionRunner


class Membership:
    def __init__(self, database_url: str, hlc_node: str) -> None:
        self._url = database_url
        self._process = claim_process_id(database_url, hlc_node)
        self._leases: list[Lease] = []
        self._signals: Signals | None = None

    def lease(self, name: str) -> Lease:
        """The lease of the follower ``name``: whoever holds it runs that follower."""
        lease = Lease(self._url, name)
        self._leases.append(lease)
        return lease

    def listen(
        self, store: EventStore, log_channel: str, runners: Mapping[str, ProjectionRunner]
    ) -> None:
        """Wake ``store``'s followers on any process's append, and ``runners`` by name when
        the process running them commits a batch."""

        def progress(name: str) -> None:
            runner = runners.get(name)
            if runner is not None:
                runner.nudge()

        self._signals = Signals(self._url, log_channel, store.observe_append, progress).start()

    def close(self) -> None:
        if self._signals is not None:
            self._signals.stop()
        for lease in self._leases:
            lease.release()
        self._process.release()


def lease_of(membership: Membership | None, name: str) -> Lease | None:
    """The lease of follower ``name``, or None for a node that runs as one process (SQLite)."""
    return None if membership is None else membership.lease(name)
