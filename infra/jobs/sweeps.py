"""The TTL sweep as a dramatiq job: one node-wide sweep at a time, run by any worker.

Each node process's sweeper thread calls ``schedule`` once a second. A marker key in
Redis, set only if absent, lets one sweep wait in the queue at a time, however many
processes schedule; the job clears the marker when it starts, so the next tick may
enqueue the next sweep. If no worker runs, the marker expires after ``PENDING_MS`` and
one more sweep is queued, so the queue grows by one message a minute at most; a sweep
older than ``MAX_AGE_MS`` is dropped unrun (a newer one does its work).

The sweep itself is idempotent: expiring a message that is already gone changes
nothing, so a retried or duplicated sweep is harmless.
"""

from __future__ import annotations

from collections.abc import Callable

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from infra.jobs.broker import QUEUE

SWEEP_ACTOR = "sweep_expired_messages"
PENDING_MS = 60_000
MAX_AGE_MS = 60_000
SWEEP_RETRIES = 3


class SweepJobs:
    """Declares the sweep actor on ``broker``; ``sweep`` runs it (in workers only)."""

    def __init__(self, broker: RedisBroker, sweep: Callable[[], int] | None = None) -> None:
        self.broker = broker
        self.sweep = sweep
        self.pending_key = f"{broker.namespace}:sweep-pending"
        self.actor: dramatiq.Actor[[], int] = dramatiq.Actor(
            self._run,
            broker=broker,
            actor_name=SWEEP_ACTOR,
            queue_name=QUEUE,
            priority=0,
            options={"max_age": MAX_AGE_MS, "max_retries": SWEEP_RETRIES},
        )

    def schedule(self) -> None:
        """Queue a sweep unless one is already waiting (called by every process, each second)."""
        if self.broker.client.set(self.pending_key, 1, nx=True, px=PENDING_MS):
            self.actor.send()

    def _run(self) -> int:
        if self.sweep is None:
            raise RuntimeError("this process enqueues sweeps but does not run them")
        self.broker.client.delete(self.pending_key)
        return self.sweep()
