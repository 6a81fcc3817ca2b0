"""The in-process rate limiter behind ``api.accounts.RateLimiter``.

Two policies, chosen by how the use case calls it:

- *Request budgets* (``hit``): at most ``requests`` per key in any ``window`` seconds,
  a sliding log of timestamps. Used per client address on every attempt.
- *Failure backoff* (``failed``/``locked``): the first ``allowed_failures`` failures are
  free; each one after locks the key for twice as long as the one before, from
  ``first_lock`` seconds up to ``max_lock``. The count is forgotten after a success,
  or after ``window`` quiet seconds once the lock has run out. Used per username and
  per user: online guessing drops to about one try per ``max_lock``, while a person
  who mistypes waits at most ``max_lock`` and never longer.

State lives in memory only, and an entry is dropped as soon as its window has passed,
so no client address outlives the window. One process's limits are its own; with
``HEARTH_REDIS_URL`` set, ``infra.cluster.ratelimit`` keeps the same policies in Redis so
that every process of the node draws on one budget.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

SWEEP_SECONDS = 10.0


@dataclass(frozen=True)
class Limits:
    requests: int
    request_window: float
    allowed_failures: int
    failure_window: float
    first_lock: float
    max_lock: float


def lock_seconds(failures: int, limits: Limits) -> float:
    """The lock ``failures`` failures impose, counted from the last one."""
    beyond = failures - limits.allowed_failures
    if beyond < 0:
        return 0.0
    return min(limits.max_lock, limits.first_lock * 2.0**beyond)


@dataclass
class _Failures:
    count: int = 0
    last: float = 0.0

    def lock(self, limits: Limits) -> float:
        return lock_seconds(self.count, limits)

    def expired(self, limits: Limits, now: float) -> bool:
        return now - self.last > self.lock(limits) + limits.failure_window


@dataclass
class _State:
    requests: dict[str, deque[float]] = field(default_factory=dict)
    failures: dict[str, _Failures] = field(default_factory=dict)
    swept: float = 0.0


class InProcessRateLimiter:
    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self._state = _State()
        self._lock = threading.Lock()

    def hit(self, key: str) -> float:
        with self._lock:
            now = self._sweep()
            stamps = self._state.requests.setdefault(key, deque())
            self._drop_old(stamps, now)
            if len(stamps) >= self.limits.requests:
                return stamps[0] + self.limits.request_window - now
            stamps.append(now)
            return 0.0

    def locked(self, key: str) -> float:
        with self._lock:
            now = self._sweep()
            failures = self._state.failures.get(key)
            if failures is None:
                return 0.0
            return max(0.0, failures.last + failures.lock(self.limits) - now)

    def failed(self, key: str) -> None:
        with self._lock:
            now = self._sweep()
            failures = self._state.failures.get(key)
            if failures is None or failures.expired(self.limits, now):
                failures = self._state.failures[key] = _Failures()
            failures.count += 1
            failures.last = now

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._state.failures.pop(key, None)

    def tracked(self) -> int:
        """How many keys (client addresses, usernames) the limiter holds right now."""
        with self._lock:
            self._sweep()
            return len(self._state.requests) + len(self._state.failures)

    def _drop_old(self, stamps: deque[float], now: float) -> None:
        while stamps and stamps[0] <= now - self.limits.request_window:
            stamps.popleft()

    def _sweep(self) -> float:
        """Forget entries whose window has passed (at most every ``SWEEP_SECONDS``)."""
        now = self.clock()
        if now - self._state.swept < SWEEP_SECONDS:
            return now
        self._state.swept = now
        for key, stamps in list(self._state.requests.items()):
            self._drop_old(stamps, now)
            if not stamps:
                del self._state.requests[key]
        for key, failures in list(self._state.failures.items()):
            if failures.expired(self.limits, now):
                del self._state.failures[key]
        return now
