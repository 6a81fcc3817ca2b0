"""Rate limits kept in a real Redis are one budget for every process of a node."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from infra.auth.ratelimit import Limits
from infra.bootstrap import Node, build_node
from infra.cluster.ratelimit import RedisRateLimiter
from infra.settings import load_settings
from infra.web import create_app

PASSWORD = "a long passphrase 42"
LIMITS = Limits(
    requests=3,
    request_window=60.0,
    allowed_failures=2,
    failure_window=60.0,
    first_lock=30.0,
    max_lock=120.0,
)


@pytest.fixture
def limiters(redis_url: str) -> Iterator[tuple[RedisRateLimiter, RedisRateLimiter]]:
    """Two limiters with clients of their own, as two processes would have."""
    first, second = redis.Redis.from_url(redis_url), redis.Redis.from_url(redis_url)
    prefix = "hearth:test-node:ratelimit:"
    yield RedisRateLimiter(first, LIMITS, prefix), RedisRateLimiter(second, LIMITS, prefix)
    first.close()
    second.close()


def test_two_limiters_draw_on_one_request_budget(
    limiters: tuple[RedisRateLimiter, RedisRateLimiter],
) -> None:
    a, b = limiters
    assert a.hit("login:client:192.0.2.1") == 0
    assert b.hit("login:client:192.0.2.1") == 0
    assert a.hit("login:client:192.0.2.1") == 0
    assert 59 <= b.hit("login:client:192.0.2.1") <= 60
    assert 59 <= a.hit("login:client:192.0.2.1") <= 60
    assert b.hit("login:client:192.0.2.2") == 0  # another client has its own budget


def test_failures_counted_anywhere_lock_everywhere_and_a_success_clears_them(
    limiters: tuple[RedisRateLimiter, RedisRateLimiter],
) -> None:
    a, b = limiters
    a.failed("login:user:alice")
    assert a.locked("login:user:alice") == b.locked("login:user:alice") == 0
    b.failed("login:user:alice")
    assert 29 <= a.locked("login:user:alice") <= 30
    assert 29 <= b.locked("login:user:alice") <= 30
    a.failed("login:user:alice")  # one failure past the free ones: the lock doubles
    assert 59 <= b.locked("login:user:alice") <= 60
    b.succeeded("login:user:alice")
    assert a.locked("login:user:alice") == 0


def test_concurrent_hits_never_exceed_the_budget(
    limiters: tuple[RedisRateLimiter, RedisRateLimiter], redis_url: str
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    a, b = limiters
    with ThreadPoolExecutor(8) as pool:
        waits = list(pool.map(lambda i: (a, b)[i % 2].hit("register:client:x"), range(40)))
    assert sum(1 for wait in waits if wait == 0) == LIMITS.requests


def test_records_expire_with_their_window(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    short = Limits(2, 0.5, 1, 0.5, 0.5, 1.0)
    limiter = RedisRateLimiter(client, short, "hearth:test-node:ratelimit:")
    limiter.hit("login:client:192.0.2.9")
    limiter.failed("login:user:bob")
    assert len(client.keys("hearth:test-node:ratelimit:*")) == 2
    time.sleep(1.2)
    assert client.keys("hearth:test-node:ratelimit:*") == []  # no address outlives its window
    client.close()


def _node(tmp_path: Path, name: str, redis_url: str) -> Node:
    env = {
        "HEARTH_DATA_DIR": str(tmp_path / name),
        "HEARTH_NODE_NAME": "test-node",
        "HEARTH_REDIS_URL": redis_url,
        "HEARTH_RATE_LIMIT_CLIENT_REQUESTS": "3",
        "HEARTH_RATE_LIMIT_FAILURES": "2",
    }
    return build_node(load_settings(env))


def _login(client: TestClient, username: str, password: str) -> Any:
    return client.post("/api/v1/auth/login", json={"username": username, "password": password})


def test_two_nodes_on_one_redis_enforce_one_limit(tmp_path: Path, redis_url: str) -> None:
    """Two node processes' worth of API (each its own app) behind one Redis."""
    first, second = _node(tmp_path, "a", redis_url), _node(tmp_path, "b", redis_url)
    try:
        with (
            TestClient(create_app(first), client=("192.0.2.1", 5000)) as a,
            TestClient(create_app(second), client=("192.0.2.1", 5000)) as b,
            TestClient(create_app(second), client=("192.0.2.7", 5000)) as elsewhere,
        ):
            assert _login(a, "alice", "wrong one").status_code == 401
            assert _login(b, "alice", "wrong two").status_code == 401
            refused = _login(a, "alice", "wrong three")  # the lock began on the other node
            assert refused.status_code == 429
            assert 25 <= int(refused.headers["Retry-After"]) <= 30
            # The client's budget of three requests was spent across both nodes.
            assert _login(b, "bob", PASSWORD).status_code == 429
            assert _login(elsewhere, "bob", PASSWORD).status_code == 401
    finally:
        first.close()
        second.close()


def test_an_unreachable_redis_refuses_auth_with_503(tmp_path: Path) -> None:
    node = _node(tmp_path, "a", "redis://127.0.0.1:1/0")
    try:
        with TestClient(create_app(node)) as client:
            response = _login(client, "alice", PASSWORD)
            assert response.status_code == 503
            assert response.json()["error"]["code"] == "unavailable"
    finally:
        node.close()
