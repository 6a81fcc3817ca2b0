"""The projection runner: a thread that follows the log into one target.

It reads the log after the target's position, applies each batch in one
transaction with the new position (exactly once, and resumable after any crash),
and sleeps on the store's in-process wake-up rather than a polling delay; the
timeout only picks up events appended by other processes. A batch that fails is
recorded and the runner stops there: it never skips an event.

When several processes of a node share PostgreSQL, each runner has a lease
(``infra/cluster/lease.py``): the process that holds it applies batches, the others follow
the target's position (so read-your-writes waits work in every process) and hand the
events they see to their listeners, until the holder dies and one of them takes over.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol

from domain.events import Recorded
from infra.cluster.lease import Lease
from infra.eventstore.store import EventStore
from infra.projections.views import GenerationChanged

log = logging.getLogger(__name__)

BATCH_SIZE = 500
IDLE_POLL_SECONDS = 0.5
FOLLOW_POLL_SECONDS = 1.0
"""How often a runner without the lease reads the target's position when nothing wakes it."""


class Target(Protocol):
    name: str

    def position(self) -> int: ...
    def apply_batch(self, batch: list[Recorded]) -> None: ...
    def record_failure(self, position: int, error: str) -> None: ...


class ProjectionRunner:
    def __init__(
        self,
        store: EventStore,
        target: Target,
        reopen: Callable[[], Target] | None = None,
        lease: Lease | None = None,
    ) -> None:
        self.store = store
        self.target = target
        self._reopen = reopen
        self._lease = lease
        self._leading = lease is None
        self._nudged = threading.Event()
        self.listeners: list[Callable[[list[Recorded]], None]] = []
        """Called on the runner's thread with each batch once it is committed (e.g. fan-out)."""
        self._position = target.position()
        self._progress = threading.Condition()
        self._stop = threading.Event()
        self.failure: str | None = None
        self._thread = threading.Thread(
            target=self._run, name=f"projection-{target.name}", daemon=True
        )

    @property
    def position(self) -> int:
        return self._position

    @property
    def leading(self) -> bool:
        """Whether this process applies the batches (always, on a node of one process)."""
        return self._leading

    def start(self) -> ProjectionRunner:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._nudged.set()
        self.store.wake_followers()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        if self._lease is not None:
            self._lease.release()

    def nudge(self) -> None:
        """The target moved in another process: read its position now (see infra/cluster)."""
        self._nudged.set()

    def wait_until(self, position: int, timeout: float = 5.0) -> bool:
        """Read-your-writes: block until the target has applied ``position``."""
        with self._progress:
            return (
                self._progress.wait_for(
                    lambda: self._position >= position or self.failure is not None, timeout
                )
                and self.failure is None
            )

    def run_once(self) -> int:
        """Apply one batch if there is one; the number of events applied."""
        batch = self.store.read(self._position, BATCH_SIZE)
        if not batch:
            return 0
        try:
            self.target.apply_batch(batch)
        except GenerationChanged:
            raise
        except Exception:
            if len(batch) == 1:
                raise
            # Replay the batch one event at a time, so the runner stops exactly before the
            # event that fails and the report names it.
            for recorded in batch:
                self.target.apply_batch([recorded])
                self._advance([recorded])
            return len(batch)
        self._advance(batch)
        return len(batch)

    def _advance(self, applied: list[Recorded]) -> None:
        with self._progress:
            self._position = applied[-1].position
            self._progress.notify_all()
        for listener in self.listeners:
            try:
                listener(applied)
            except Exception:  # a listener's failure must not stop the projection
                log.exception("listener of projection %s failed", self.target.name)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if not self._lead():
                    self._follow()
                elif self.run_once() == 0:
                    self.store.wait_for_append(self._position, IDLE_POLL_SECONDS)
            except GenerationChanged:
                self._switch_generation()
            except Exception as error:  # a projection stops on any failure, never skips
                self._fail(error)
                return

    def _lead(self) -> bool:
        """Whether this process applies batches now; on taking the lease over, resume from
        the target's stored position, where the previous holder stopped."""
        if self._lease is None:
            return True
        held = self._lease.held()
        if held and not self._leading:
            if self._reopen is not None:
                self.target = self._reopen()
            self._advance_to(self.target.position())
        self._leading = held
        return held

    def _follow(self) -> None:
        """Without the lease: catch up with the position the holder reached, passing the
        events to listeners as if applied here, then sleep until nudged."""
        self._nudged.clear()
        reached = self.target.position()
        while self.listeners and self._position < reached and not self._stop.is_set():
            batch = self.store.read(self._position, BATCH_SIZE)
            batch = [r for r in batch if r.position <= reached]
            if not batch:
                break
            self._advance(batch)
        if self._position < reached:
            self._advance_to(reached)
        self._nudged.wait(FOLLOW_POLL_SECONDS)

    def _advance_to(self, position: int) -> None:
        with self._progress:
            self._position = position
            self._progress.notify_all()

    def _switch_generation(self) -> None:
        if self._reopen is None:
            raise RuntimeError("a rebuilt projection cannot be followed without reopen()")
        self.target = self._reopen()
        with self._progress:
            self._position = self.target.position()
            self._progress.notify_all()

    def _fail(self, error: Exception) -> None:
        message = f"{type(error).__name__}: {error}"
        log.error(
            "projection %s stopped after position %s: %s", self.target.name, self._position, message
        )
        with self._progress:
            self.failure = message
            self._progress.notify_all()
        try:
            self.target.record_failure(self._position, message)
        except Exception:
            log.exception("could not record the failure of projection %s", self.target.name)
