"""The node's Hybrid Logical Clock: thread-safe, and resumed from the log at start-up."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from domain.hlc import HLC, tick


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


class NodeClock:
    """Stamps local events. Seeded with the newest HLC in the log, so a restart, or a
    wall clock stepped backwards, never produces a timestamp behind one already written."""

    def __init__(
        self, node: str, last: HLC | None = None, wall: Callable[[], int] = wall_clock_ms
    ) -> None:
        self.node = node
        self._last = last
        self._wall = wall
        self._lock = threading.Lock()

    def now(self) -> HLC:
        with self._lock:
            self._last = tick(self._last, self._wall(), self.node)
            return self._last

    def observe(self, seen: HLC) -> None:
        """Never stamp behind a timestamp already in the log (e.g. written by another process)."""
        with self._lock:
            if self._last is None or seen > self._last:
                self._last = seen
