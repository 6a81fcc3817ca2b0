"""Registering, logging in and changing the password, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
import statistics
import time
from collections.abc import Iterator
from uuid import UUID

import pytest
from argon2 import extract_parameters
from fastapi.testclient import TestClient
from httpx2 import Response

from domain.account import ACCOUNT, PasswordChanged, SessionRevoked, account_id
from infra.auth.passwords import Argon2PasswordHasher
from infra.bootstrap import Node, build_node
from infra.settings import Settings
from infra.web import create_app

PASSWORD = "a long passphrase 42"
REGISTER, LOGIN = "/api/v1/auth/register", "/api/v1/auth/login"


def _error(response: Response) -> str:
    code: str = response.json()["error"]["code"]
    return code


def test_register_returns_a_session(client: TestClient) -> None:
    response = client.post(REGISTER, json={"username": "Alice", "password": PASSWORD})
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {
        "user_id",
        "session_id",
        "access_token",
        "token_type",
        "expires_in",
        "refresh_token",
        "username",
        "node",
    }
    assert body["token_type"] == "Bearer" and body["expires_in"] == 15 * 60
    # The normalised username, and the node's name as the access token's issuer states it.
    claims = json.loads(base64.urlsafe_b64decode(body["access_token"].split(".")[1] + "=="))
    assert (body["username"], body["node"]) == ("alice", claims["iss"]) and claims["iss"]
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert client.get("/api/v1/servers", headers=headers).status_code == 200


@pytest.mark.parametrize(
    ("username", "password", "status", "code"),
    [
        ("x", PASSWORD, 422, "invalid"),
        ("bad name", PASSWORD, 422, "invalid"),
        ("admin", PASSWORD, 422, "invalid"),
        ("adm1n", PASSWORD, 422, "invalid"),
        ("test-node", PASSWORD, 422, "invalid"),  # the node's own name
        ("dora", "too short", 422, "invalid"),
        ("dora", "password123!", 422, "invalid"),
        ("dora", "dora is my name", 422, "invalid"),
        ("dora", "y" * 1025, 422, "invalid"),
    ],
)
def test_register_refuses_bad_names_and_passwords(
    client: TestClient, username: str, password: str, status: int, code: str
) -> None:
    response = client.post(REGISTER, json={"username": username, "password": password})
    assert response.status_code == status, response.text
    assert _error(response) == code


@pytest.mark.parametrize("second", ["alice", "ALICE", "al1ce", "a.lice", "alice_"])
def test_register_refuses_a_taken_or_look_alike_name(client: TestClient, second: str) -> None:
    assert client.post(REGISTER, json={"username": "alice", "password": PASSWORD}).is_success
    response = client.post(REGISTER, json={"username": second, "password": PASSWORD})
    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "already_exists",
        "message": "that username is taken",
    }


def test_register_refuses_unknown_fields(client: TestClient) -> None:
    body = {"username": "erin", "password": PASSWORD, "email": "erin@example.org"}
    response = client.post(REGISTER, json=body)
    assert response.status_code == 422 and _error(response) == "invalid_request"


def test_login_with_the_right_password(client: TestClient) -> None:
    user = client.post(REGISTER, json={"username": "bob", "password": PASSWORD}).json()
    response = client.post(LOGIN, json={"username": " BOB ", "password": PASSWORD})
    assert response.status_code == 200, response.text
    assert response.json()["user_id"] == user["user_id"]
    assert response.json()["session_id"] != user["session_id"]


@pytest.mark.parametrize(
    ("username", "password"),
    [("bob", "the wrong passphrase"), ("nobody", PASSWORD), ("x", PASSWORD), ("bob", "")],
)
def test_login_refusals_do_not_say_which_part_was_wrong(
    client: TestClient, username: str, password: str
) -> None:
    client.post(REGISTER, json={"username": "bob", "password": PASSWORD})
    response = client.post(LOGIN, json={"username": username, "password": password})
    assert response.status_code == 401
    assert response.json()["error"] == {
        "code": "invalid_credentials",
        "message": "wrong username or password",
    }


def test_login_rehashes_a_hash_made_with_weaker_parameters(client: TestClient, node: Node) -> None:
    user = client.post(REGISTER, json={"username": "carol", "password": PASSWORD}).json()
    credentials = node.accounts.ports.credentials
    weak = Argon2PasswordHasher(time_cost=1, memory_kib=8 * 1024).hash(PASSWORD)
    credentials.set_password_hash(user_id := UUID(user["user_id"]), weak)

    assert client.post(LOGIN, json={"username": "carol", "password": PASSWORD}).is_success
    upgraded = credentials.password_hash(user_id)
    assert upgraded is not None and upgraded != weak
    parameters = extract_parameters(upgraded)
    assert (parameters.time_cost, parameters.memory_cost) == (2, 19 * 1024)
    assert client.post(LOGIN, json={"username": "carol", "password": PASSWORD}).is_success


@pytest.fixture
def unthrottled(settings: Settings) -> Iterator[TestClient]:
    """A node whose rate limits stay out of the way of a timing measurement."""
    relaxed = settings.model_copy(
        update={"rate_limit_client_requests": 10_000, "rate_limit_failures": 10_000}
    )
    built = build_node(relaxed)
    try:
        with TestClient(create_app(built)) as test_client:
            yield test_client
    finally:
        built.close()


def _median_login_seconds(client: TestClient, username: str, attempts: int) -> float:
    durations = []
    for _ in range(attempts):
        started = time.perf_counter()
        response = client.post(LOGIN, json={"username": username, "password": "not the password"})
        durations.append(time.perf_counter() - started)
        assert response.status_code == 401
    return statistics.median(durations)


def test_unknown_user_and_wrong_password_take_the_same_time(unthrottled: TestClient) -> None:
    assert unthrottled.post(REGISTER, json={"username": "dave", "password": PASSWORD}).is_success
    _median_login_seconds(unthrottled, "dave", 2)  # warm up both paths
    _median_login_seconds(unthrottled, "nobody-here", 2)
    known = _median_login_seconds(unthrottled, "dave", 15)
    unknown = _median_login_seconds(unthrottled, "nobody-here", 15)
    assert 0.5 <= unknown / known <= 2.0, (known, unknown)


def test_change_password_ends_other_sessions(client: TestClient, node: Node) -> None:
    first = client.post(REGISTER, json={"username": "erin", "password": PASSWORD}).json()
    second = client.post(LOGIN, json={"username": "erin", "password": PASSWORD}).json()
    headers = {"Authorization": f"Bearer {first['access_token']}"}
    new = "a different passphrase 7"

    response = client.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": new},
        headers=headers,
    )
    assert response.status_code == 204, response.text
    assert client.post(LOGIN, json={"username": "erin", "password": PASSWORD}).status_code == 401
    assert client.post(LOGIN, json={"username": "erin", "password": new}).is_success
    assert client.get("/api/v1/servers", headers=headers).status_code == 200
    other = {"Authorization": f"Bearer {second['access_token']}"}
    assert client.get("/api/v1/servers", headers=other).status_code == 401

    events = node.store.load(ACCOUNT, account_id(UUID(first["user_id"])))
    assert events.version == 2  # PasswordChanged, then the other session's revocation
    log = [r.envelope.event for r in node.store.read(0, 1000)]
    assert any(isinstance(e, PasswordChanged) for e in log)
    revoked = [e for e in log if isinstance(e, SessionRevoked)]
    assert [(str(e.session_id), e.reason.value) for e in revoked] == [
        (second["session_id"], "password_changed")
    ]


@pytest.mark.parametrize(
    ("current", "new", "status", "code"),
    [
        ("the wrong passphrase", "a different passphrase 7", 403, "invalid_credentials"),
        (PASSWORD, "short", 422, "invalid"),
        (PASSWORD, "iloveyou123", 422, "invalid"),
        (PASSWORD, "frank frank frank", 422, "invalid"),
    ],
)
def test_change_password_refusals(
    client: TestClient, current: str, new: str, status: int, code: str
) -> None:
    user = client.post(REGISTER, json={"username": "frank", "password": PASSWORD}).json()
    response = client.post(
        "/api/v1/auth/password",
        json={"current_password": current, "new_password": new},
        headers={"Authorization": f"Bearer {user['access_token']}"},
    )
    assert response.status_code == status and _error(response) == code
    assert client.post(LOGIN, json={"username": "frank", "password": PASSWORD}).is_success


def test_change_password_needs_an_access_token(client: TestClient) -> None:
    body = {"current_password": PASSWORD, "new_password": "a different passphrase 7"}
    response = client.post("/api/v1/auth/password", json=body)
    assert response.status_code == 401 and _error(response) == "unauthenticated"
