"""Refresh-token rotation and theft detection, logout, and the list of sessions."""

from __future__ import annotations

import hashlib
import json
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from api.accounts import Rotated
from domain.account import SessionRevoked
from infra.auth.sessions import SessionStore
from infra.bootstrap import Node

PASSWORD = "a long passphrase 42"
REFRESH = "/api/v1/auth/refresh"


def _register(client: TestClient, username: str = "alice") -> dict[str, Any]:
    response = client.post(
        "/api/v1/auth/register", json={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _login(client: TestClient, username: str = "alice") -> dict[str, Any]:
    response = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _bearer(session: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {session['access_token']}"}


def _works(client: TestClient, session: dict[str, Any]) -> bool:
    return client.get("/api/v1/servers", headers=_bearer(session)).status_code == 200


def _revocations(node: Node) -> list[tuple[str, str]]:
    return [
        (str(r.envelope.event.session_id), r.envelope.event.reason.value)
        for r in node.store.read(0, 10_000)
        if isinstance(r.envelope.event, SessionRevoked)
    ]


def test_refresh_rotates_the_token(client: TestClient) -> None:
    first = _register(client)
    second = client.post(REFRESH, json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200, second.text
    rotated = second.json()
    assert rotated["session_id"] == first["session_id"]
    assert rotated["refresh_token"] != first["refresh_token"]
    assert rotated["access_token"] != first["access_token"]
    assert _works(client, rotated) and _works(client, first)
    third = client.post(REFRESH, json={"refresh_token": rotated["refresh_token"]})
    assert third.status_code == 200


def test_reusing_a_spent_token_revokes_the_whole_family(client: TestClient, node: Node) -> None:
    stolen = _register(client)
    other = _login(client)
    victim = client.post(REFRESH, json={"refresh_token": stolen["refresh_token"]}).json()

    replay = client.post(REFRESH, json={"refresh_token": stolen["refresh_token"]})
    assert replay.status_code == 401
    assert replay.json()["error"]["code"] == "refresh_token_reused"
    again = client.post(REFRESH, json={"refresh_token": victim["refresh_token"]})
    assert again.status_code == 401
    assert again.json()["error"]["code"] == "invalid_refresh_token"
    assert not _works(client, victim) and not _works(client, stolen)
    assert _works(client, other)  # the user's other sessions are untouched
    assert _revocations(node) == [(stolen["session_id"], "refresh_token_reused")]


def test_refresh_refusals(client: TestClient) -> None:
    _register(client)
    for body in ({"refresh_token": "not-a-token"}, {}, None):
        response = client.post(REFRESH, json=body)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_refresh_token"


def test_the_refresh_cookie(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/register", json={"username": "alice", "password": PASSWORD}
    )
    cookie = response.headers["set-cookie"]
    token = response.json()["refresh_token"]
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert cookie.startswith(f"hearth_refresh={token};")
    assert {"httponly", "secure", "samesite", "path", "max-age"} <= attributes
    assert "Path=/api/v1/auth" in cookie and "SameSite=strict" in cookie
    assert f"Max-Age={30 * 86400}" in cookie

    rotated = client.post(REFRESH, headers={"Cookie": f"hearth_refresh={token}"})
    assert rotated.status_code == 200, rotated.text
    assert rotated.headers["set-cookie"].startswith(
        f"hearth_refresh={rotated.json()['refresh_token']};"
    )


def test_refresh_tokens_are_stored_only_as_digests(client: TestClient, node: Node) -> None:
    session = _register(client)
    token = session["refresh_token"]
    with node.storage.accounts.read() as cursor:
        cursor.execute("SELECT * FROM auth_refresh_tokens")
        tokens = cursor.fetchall()
        cursor.execute("SELECT * FROM auth_sessions")
        sessions = cursor.fetchall()
    assert [row["token_hash"] for row in tokens] == [hashlib.sha256(token.encode()).hexdigest()]
    stored = {str(value) for row in [*tokens, *sessions] for value in dict(row).values()}
    assert token not in stored
    log = " ".join(json.dumps(r.envelope.to_wire()) for r in node.store.read(0, 10_000))
    assert token not in log and hashlib.sha256(token.encode()).hexdigest() not in log


def test_logout_ends_this_session_only(client: TestClient, node: Node) -> None:
    this, other = _register(client), _login(client)
    response = client.post("/api/v1/auth/logout", headers=_bearer(this))
    assert response.status_code == 204
    assert 'hearth_refresh=""' in response.headers["set-cookie"]
    assert not _works(client, this) and _works(client, other)
    refresh = client.post(REFRESH, json={"refresh_token": this["refresh_token"]})
    assert refresh.status_code == 401
    assert _revocations(node) == [(this["session_id"], "logout")]


def test_logout_with_the_refresh_token_when_the_access_token_is_gone(client: TestClient) -> None:
    session = _register(client)
    response = client.post(
        "/api/v1/auth/logout",
        headers={
            "Authorization": "Bearer expired.or.bogus",
            "Cookie": f"hearth_refresh={session['refresh_token']}",
        },
    )
    assert response.status_code == 204
    assert not _works(client, session)


def test_logout_needs_some_token(client: TestClient) -> None:
    _register(client)
    response = client.post("/api/v1/auth/logout")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    bogus = client.post("/api/v1/auth/logout", json={"refresh_token": "nope"})
    assert bogus.status_code == 401


def test_logout_all_signs_out_everywhere(client: TestClient, node: Node) -> None:
    sessions = [_register(client), _login(client), _login(client)]
    outsider = _register(client, "bob")
    response = client.post("/api/v1/auth/logout-all", headers=_bearer(sessions[1]))
    assert response.status_code == 204
    assert not any(_works(client, s) for s in sessions)
    assert _works(client, outsider)
    assert sorted(_revocations(node)) == sorted((s["session_id"], "logout_all") for s in sessions)
    assert client.post("/api/v1/auth/logout-all").status_code == 401


def test_list_sessions(client: TestClient) -> None:
    first, second = _register(client), _login(client)
    _register(client, "bob")
    response = client.get("/api/v1/auth/sessions", headers=_bearer(second))
    assert response.status_code == 200
    listed = response.json()
    assert [s["id"] for s in listed] == [first["session_id"], second["session_id"]]
    assert [s["current"] for s in listed] == [False, True]
    for entry in listed:
        assert set(entry) == {"id", "created_at_ms", "last_used_at_ms", "current"}
        assert entry["last_used_at_ms"] >= entry["created_at_ms"] > 0
    assert client.get("/api/v1/auth/sessions").status_code == 401


def test_refresh_marks_the_session_used(client: TestClient) -> None:
    session = _register(client)
    before = client.get("/api/v1/auth/sessions", headers=_bearer(session)).json()[0]
    rotated = client.post(REFRESH, json={"refresh_token": session["refresh_token"]}).json()
    after = client.get("/api/v1/auth/sessions", headers=_bearer(rotated)).json()[0]
    assert after["created_at_ms"] == before["created_at_ms"]
    assert after["last_used_at_ms"] >= before["last_used_at_ms"]


def test_revoke_one_session(client: TestClient, node: Node) -> None:
    this, other = _register(client), _login(client)
    bob = _register(client, "bob")
    path = f"/api/v1/auth/sessions/{other['session_id']}"
    assert client.delete(path, headers=_bearer(bob)).status_code == 404  # not bob's
    assert _works(client, other)
    refreshed = client.post(REFRESH, json={"refresh_token": other["refresh_token"]})
    assert refreshed.status_code == 200  # bob's attempt left the family alone
    assert client.delete(path, headers=_bearer(this)).status_code == 204
    assert not _works(client, other) and _works(client, this)
    assert client.delete(path, headers=_bearer(this)).status_code == 404
    assert _revocations(node) == [(other["session_id"], "revoked")]


def test_refresh_tokens_expire(node: Node) -> None:
    now = [1_000_000.0]
    store = SessionStore(node.storage.accounts, refresh_days=1, clock=lambda: now[0])
    user = UUID(int=7)
    started = store.start(user)
    now[0] += 86_400 - 1
    rotated = store.rotate(started.refresh_token)
    assert isinstance(rotated, Rotated)  # a refresh extends the session by the lifetime
    now[0] += 86_400 - 1
    assert store.is_live(started.session_id)
    now[0] += 2
    assert store.rotate(rotated.refresh_token) is None
    assert store.sessions(user) == []
    assert not store.is_live(started.session_id)
