"""Leases: which process of the node runs a given follower of the log.

A follower that writes (a projection, the shredder, the file reaper, the TTL sweeper, the
Kafka relay) must run in exactly one process at a time. Each process asks PostgreSQL for a
session advisory lock named after the follower, on a connection of its own; the process that
holds it runs the follower, the others wait. When the holder dies, even by ``kill -9``,
PostgreSQL ends its session and releases the lock, and the next process to ask takes over.

A lease only says who should run. Followers that write also check their own position inside
each write transaction, so two processes that both believe they lead (a lease connection
lost on a network partition) cannot apply the same events twice.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time

import psycopg

from infra.errors import ConfigurationError

log = logging.getLogger(__name__)

CHECK_SECONDS = 1.0
"""How often a holder checks that its lock's connection is still alive, and how often a
waiting process asks again."""


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for ``name``."""
    return int.from_bytes(
        hashlib.blake2b(f"hearth:{name}".encode(), digest_size=8).digest(), "big", signed=True
    )


class Lease:
    """One named advisory lock, held on its own connection while this process leads."""

    def __init__(self, database_url: str, name: str) -> None:
        self.name = name
        self._url = database_url
        self._key = lock_key(name)
        self._connection: psycopg.Connection[tuple[object, ...]] | None = None
        self._held = False
        self._checked = 0.0
        self._lock = threading.Lock()

    def held(self) -> bool:
        """True while this process holds the lease; asks (or checks) at most once a second."""
        with self._lock:
            now = time.monotonic()
            if now - self._checked < CHECK_SECONDS:
                return self._held
            self._checked = now
            try:
                self._held = self._check() if self._held else self._acquire()
            except psycopg.Error as error:
                if self._held:
                    log.warning("lease %s lost: %s", self.name, error)
                self._drop()
            return self._held

    def release(self) -> None:
        """Give the lease up now (closing the session releases the lock)."""
        with self._lock:
            self._drop()

    def _acquire(self) -> bool:
        if self._connection is None or self._connection.closed:
            self._connection = psycopg.connect(self._url, autocommit=True, connect_timeout=5)
        row = self._connection.execute("SELECT pg_try_advisory_lock(%s)", (self._key,)).fetchone()
        acquired = bool(row and row[0])
        if acquired:
            log.info("this process now runs %s", self.name)
        return acquired

    def _check(self) -> bool:
        assert self._connection is not None
        self._connection.execute("SELECT 1")
        return True

    def _drop(self) -> None:
        self._held = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def claim_process_id(database_url: str, hlc_node: str) -> Lease:
    """Hold the lease on this process's HLC node id for the process's life, or refuse to start.

    Two processes stamping the same node id could give two events the same timestamp, so a
    second process started with the same ``HEARTH_PROCESS_ID`` (or both without one) stops.
    """
    lease = Lease(database_url, f"process:{hlc_node}")
    if not lease.held():
        lease.release()
        raise ConfigurationError(
            f"another process of this node already stamps events as {hlc_node!r};"
            " give each process its own HEARTH_PROCESS_ID"
        )
    return lease
