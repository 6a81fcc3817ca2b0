"""Rate limits: a scripted brute force is stopped, a real user is never locked out for long."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pyotp
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from infra.auth.ratelimit import InProcessRateLimiter, Limits
from infra.bootstrap import build_node
from infra.settings import Settings
from infra.web import create_app

PASSWORD = "a long passphrase 42"
LOGIN = "/api/v1/auth/login"


def _login(client: TestClient, username: str, password: str) -> Any:
    return client.post(LOGIN, json={"username": username, "password": password})


def _retry_after(response: Any) -> int:
    assert response.status_code == 429, response.text
    assert response.json()["error"]["code"] == "rate_limited"
    return int(response.headers["Retry-After"])


@pytest.fixture(params=["in-process", "redis"])
def app_with(
    settings: Settings, request: pytest.FixtureRequest
) -> Iterator[Callable[..., FastAPI]]:
    """Build a node with some settings changed, and its app; its limiter in this process
    or in Redis (the same policies must hold on both)."""
    nodes = []
    if request.param == "redis":
        settings = settings.model_copy(update={"redis_url": request.getfixturevalue("redis_url")})

    def build(**changes: Any) -> FastAPI:
        node = build_node(settings.model_copy(update=changes))
        nodes.append(node)
        return create_app(node)

    yield build
    for node in nodes:
        node.close()


def _register(client: TestClient, username: str) -> dict[str, Any]:
    response = client.post(
        "/api/v1/auth/register", json={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_password_guessing_on_one_account_is_stopped(client: TestClient) -> None:
    """Default limits: ten free failures, then a lock that doubles up to fifteen minutes."""
    _register(client, "alice")
    _register(client, "bob")
    for attempt in range(10):
        assert _login(client, "alice", f"guess number {attempt}").status_code == 401
    locked = _login(client, "alice", "guess number 10")
    assert 25 <= _retry_after(locked) <= 30
    # While locked even the right password is refused: guessing gains nothing.
    assert _retry_after(_login(client, "alice", PASSWORD)) <= 30
    # Other accounts are not affected.
    assert _login(client, "bob", PASSWORD).status_code == 200
    # Unknown names are throttled the same way, so the limit does not reveal who exists.
    for attempt in range(10):
        assert _login(client, "nobody", f"guess number {attempt}").status_code == 401
    assert 25 <= _retry_after(_login(client, "nobody", "guess")) <= 30


def test_the_lock_grows_then_stops_growing_and_ends(app_with: Callable[..., FastAPI]) -> None:
    app = app_with(
        rate_limit_failures=2, rate_limit_first_lock_seconds=1, rate_limit_max_lock_seconds=2
    )
    with TestClient(app) as client:
        _register(client, "alice")
        waits = []
        for attempt in range(4):
            while (response := _login(client, "alice", f"wrong {attempt}")).status_code == 429:
                waits.append(_retry_after(response))
                time.sleep(0.3)
            assert response.status_code == 401
        assert waits and max(waits) <= 2
        while _login(client, "alice", PASSWORD).status_code == 429:
            time.sleep(0.3)
        assert _login(client, "alice", PASSWORD).status_code == 200


def test_each_client_has_a_request_budget(app_with: Callable[..., FastAPI]) -> None:
    app = app_with(rate_limit_client_requests=3)
    with (
        TestClient(app, client=("192.0.2.1", 5000)) as first,
        TestClient(app, client=("192.0.2.2", 5000)) as second,
    ):
        for name in ("alice", "bob", "carol"):
            _register(first, name)
        refused = first.post(
            "/api/v1/auth/register", json={"username": "dave", "password": PASSWORD}
        )
        assert 55 <= _retry_after(refused) <= 60
        for name in ("alice", "bob", "carol"):  # logins have a budget of their own
            assert _login(first, name, PASSWORD).status_code == 200
        assert _retry_after(_login(first, "alice", PASSWORD)) <= 60
        assert _login(second, "alice", PASSWORD).status_code == 200  # another client


def test_second_factor_guessing_is_stopped(app_with: Callable[..., FastAPI]) -> None:
    app = app_with(rate_limit_client_requests=1000)
    with (
        TestClient(app, client=("192.0.2.1", 5000)) as attacker,
        TestClient(app, client=("192.0.2.2", 5000)) as owner,
    ):
        session = _register(owner, "alice")
        headers = {"Authorization": f"Bearer {session['access_token']}"}
        totp = pyotp.TOTP(owner.post("/api/v1/auth/2fa/enable", headers=headers).json()["secret"])
        code = totp.now()
        assert owner.post(
            "/api/v1/auth/2fa/verify", json={"code": code}, headers=headers
        ).is_success
        valid = {totp.at(time.time() + step * 30) for step in range(-3, 4)}
        guesses = [g for g in (f"{n:06}" for n in range(20)) if g not in valid][:10]

        challenge = _login(attacker, "alice", PASSWORD).json()["two_factor"]["challenge_token"]
        body = {"challenge_token": challenge}
        for guess in guesses:
            response = attacker.post("/api/v1/auth/2fa/login", json={**body, "code": guess})
            assert response.status_code == 401
        locked = attacker.post("/api/v1/auth/2fa/login", json={**body, "code": "123456"})
        assert 25 <= _retry_after(locked) <= 30
        # The lock is on the account's second factor, whichever client asks.
        other = _login(owner, "alice", PASSWORD).json()["two_factor"]["challenge_token"]
        reply = owner.post("/api/v1/auth/2fa/login", json={"challenge_token": other, "code": "1"})
        assert reply.status_code == 429


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


LIMITS = Limits(
    requests=3,
    request_window=60,
    allowed_failures=3,
    failure_window=900,
    first_lock=30,
    max_lock=900,
)


def test_request_budget_slides() -> None:
    clock = Clock()
    limiter = InProcessRateLimiter(LIMITS, clock)
    assert [limiter.hit("client") for _ in range(3)] == [0, 0, 0]
    clock.now += 20
    assert limiter.hit("client") == pytest.approx(40)
    assert limiter.hit("other") == 0
    clock.now += 40
    assert limiter.hit("client") == 0


def test_failure_backoff_doubles_to_the_cap() -> None:
    clock = Clock()
    limiter = InProcessRateLimiter(LIMITS, clock)
    locks = []
    for _ in range(10):
        clock.now += limiter.locked("alice")
        limiter.failed("alice")
        locks.append(limiter.locked("alice"))
    assert locks == [0, 0, 30, 60, 120, 240, 480, 900, 900, 900]
    limiter.succeeded("alice")
    assert limiter.locked("alice") == 0


def test_failures_are_forgotten_after_a_quiet_window() -> None:
    clock = Clock()
    limiter = InProcessRateLimiter(LIMITS, clock)
    for _ in range(3):
        limiter.failed("alice")
    assert limiter.locked("alice") == 30
    clock.now += 30 + 900 + 1
    limiter.failed("alice")
    assert limiter.locked("alice") == 0  # a fresh count: this is its first failure


def test_nothing_is_kept_beyond_the_window() -> None:
    clock = Clock()
    limiter = InProcessRateLimiter(LIMITS, clock)
    limiter.hit("login:client:192.0.2.1")
    limiter.failed("login:user:alice")
    assert limiter.tracked() == 2
    clock.now += 61
    assert limiter.tracked() == 1  # the address is gone after its minute
    clock.now += 900
    assert limiter.tracked() == 0
