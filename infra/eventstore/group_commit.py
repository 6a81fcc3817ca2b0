"""Group commit: concurrent appends share one transaction, hence one fsync.

Every append (on SQLite, and on PostgreSQL where the library takes an exclusive
table lock) is serialised and costs a durable commit. A single writer thread
drains all appends waiting at that moment and records them together; callers
block until their events are durable. If the combined insert fails (typically one
batch's version conflict), each batch is retried alone so only the guilty one fails.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

from eventsourcing.persistence import StoredEvent

from infra.eventstore.recorders import ContentKeys

Insert = Callable[[Sequence[StoredEvent], ContentKeys], Sequence[int]]
Prepare = Callable[[], tuple[Sequence[StoredEvent], ContentKeys]]

MAX_GROUP_APPENDS = 500


@dataclass
class _Pending:
    prepare: Prepare
    events: Sequence[StoredEvent] = ()
    keys: ContentKeys = ()
    done: Future[Sequence[int]] = field(default_factory=Future)


class GroupCommitter:
    def __init__(self, insert: Insert, on_commit: Callable[[int], None]) -> None:
        self._insert = insert
        self._on_commit = on_commit
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
        self._thread.start()

    def append(self, prepare: Prepare) -> Sequence[int]:
        """Record durably the events (and new keys) that ``prepare`` returns; their positions.

        ``prepare`` runs on the writer thread, in commit order, so timestamps it assigns
        follow the log's order.
        """
        pending = _Pending(prepare)
        self._queue.put(pending)
        return pending.done.result()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            group = [first]
            while len(group) < MAX_GROUP_APPENDS:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)
                    break
                group.append(more)
            self._commit([pending for pending in group if self._prepared(pending)])

    @staticmethod
    def _prepared(pending: _Pending) -> bool:
        try:
            pending.events, pending.keys = pending.prepare()
        except Exception as error:
            pending.done.set_exception(error)
            return False
        return True

    def _commit(self, group: list[_Pending]) -> None:
        if not group:
            return
        try:
            positions = self._insert(
                [event for pending in group for event in pending.events],
                [key for pending in group for key in pending.keys],
            )
        except Exception as error:
            if len(group) == 1:
                group[0].done.set_exception(error)
                return
            for pending in group:
                self._settle_alone(pending)
            return
        offset = 0
        for pending in group:
            pending.done.set_result(positions[offset : offset + len(pending.events)])
            offset += len(pending.events)
        if positions:
            self._on_commit(max(positions))

    def _settle_alone(self, pending: _Pending) -> None:
        try:
            positions = self._insert(pending.events, pending.keys)
        except Exception as error:
            pending.done.set_exception(error)
            return
        pending.done.set_result(positions)
        if positions:
            self._on_commit(max(positions))
