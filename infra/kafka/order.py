"""Putting records back in log order, and dropping those already passed.

The relay publishes every event of the log in order, each with the position of the event
before it. Events of different channels travel on different partitions, so a consumer may
read them out of order; and a relay that crashed before saving its position publishes some
events again. Chaining each record to its predecessor restores exactly the log's order:
the next event to release is the one whose predecessor is the last released position.
A record at or below that position is a duplicate (same event, same position: the event id
and the position name the same event) and is dropped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class LogOrder(Generic[T]):
    def __init__(self, released: int, clock: Callable[[], float] = time.monotonic) -> None:
        """``released``: the position already handled (records up to it are duplicates)."""
        self.released = released
        self._waiting: dict[int, tuple[int, T]] = {}
        self._clock = clock
        self._waiting_since: float | None = None

    def offer(self, position: int, previous: int, item: T) -> list[T]:
        """The items now ready, in log order: ``item`` and any that waited for it."""
        if position <= self.released:
            return []
        self._waiting[max(previous, self.released)] = (position, item)
        return self._drain()

    def skip_to(self, position: int) -> list[T]:
        """Events up to ``position`` were handled another way (read from the log); the
        waiting items that follow them, now ready."""
        self.released = max(self.released, position)
        waiting, self._waiting = self._waiting, {}
        for previous, (later, item) in waiting.items():
            if later > self.released:
                self._waiting[max(previous, self.released)] = (later, item)
        return self._drain()

    def stalled_for(self) -> float:
        """Seconds the oldest waiting record has waited for its predecessor (0: none waits)."""
        return 0.0 if self._waiting_since is None else self._clock() - self._waiting_since

    def first_waiting(self) -> int | None:
        """The lowest predecessor a waiting record names: the log is missing up to there."""
        return min(self._waiting) if self._waiting else None

    def _drain(self) -> list[T]:
        ready = []
        while self.released in self._waiting:
            position, item = self._waiting.pop(self.released)
            self.released = position
            ready.append(item)
        if not self._waiting:
            self._waiting_since = None
        elif ready or self._waiting_since is None:
            self._waiting_since = self._clock()
        return ready
