"""The rate limiter of ``infra.auth.ratelimit`` with its counters in Redis.

The policies are the same (a sliding request budget per key, failure backoff that
doubles up to a cap); the state lives in Redis so that every process of the node
enforces one budget together. Each step is one Lua script, so two processes counting
the same key at once cannot both squeeze under the limit. Time is Redis's own clock
(``TIME``), so processes on machines with different clocks agree. Every key expires
when its window has passed, so no client address outlives the window here either.

When Redis cannot be reached, auth requests are refused with 503 rather than let
through unthrottled.
"""

from __future__ import annotations

import uuid
from typing import cast

import redis

from api.errors import ApiError
from infra.auth.ratelimit import Limits, lock_seconds

# KEYS[1] the key's request log (a sorted set of timestamps); ARGV budget, window (ms), a
# unique member. Returns the milliseconds to wait (0: counted and allowed).
_HIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tonumber(oldest[2]) + window - now
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return 0
"""

# KEYS[1] the key's failures (a hash: count, last); ARGV the longest the record may live
# (ms), which the caller then shortens to the lock the new count imposes plus the window.
# The expiry is what forgets the failures after a quiet window. Returns the new count.
_FAILED = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local count = redis.call('HINCRBY', KEYS[1], 'count', 1)
redis.call('HSET', KEYS[1], 'last', now)
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return count
"""


def _unavailable() -> ApiError:
    return ApiError(503, "unavailable", "the rate limiter cannot be reached; retry later")


class RedisRateLimiter:
    """``api.accounts.RateLimiter`` over Redis, shared by every process of the node."""

    def __init__(self, client: redis.Redis, limits: Limits, prefix: str) -> None:
        self.client = client
        self.limits = limits
        self.prefix = prefix
        self._hit = client.register_script(_HIT)
        self._failed = client.register_script(_FAILED)

    def hit(self, key: str) -> float:
        window_ms = int(self.limits.request_window * 1000)
        args: list[str | int] = [self.limits.requests, window_ms, uuid.uuid4().hex]
        try:
            wait_ms = self._hit(keys=[self.prefix + "requests:" + key], args=args)
        except redis.RedisError:
            raise _unavailable() from None
        return int(cast(int, wait_ms)) / 1000

    def locked(self, key: str) -> float:
        try:
            pipe = self.client.pipeline(transaction=False)
            pipe.time()
            pipe.hmget(self.prefix + "failures:" + key, ["count", "last"])
            (seconds, micros), (count, last) = pipe.execute()
        except redis.RedisError:
            raise _unavailable() from None
        if count is None or last is None:
            return 0.0
        now_ms = int(seconds) * 1000 + int(micros) // 1000
        lock = lock_seconds(int(count), self.limits)
        return max(0.0, (int(last) + lock * 1000 - now_ms) / 1000)

    def failed(self, key: str) -> None:
        longest = int((self.limits.max_lock + self.limits.failure_window) * 1000)
        name = self.prefix + "failures:" + key
        try:
            count = int(cast(int, self._failed(keys=[name], args=[longest])))
            lock = lock_seconds(count, self.limits)
            self.client.pexpire(name, int((lock + self.limits.failure_window) * 1000))
        except redis.RedisError:
            raise _unavailable() from None

    def succeeded(self, key: str) -> None:
        try:
            self.client.delete(self.prefix + "failures:" + key)
        except redis.RedisError:
            raise _unavailable() from None
