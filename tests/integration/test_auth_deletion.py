"""Account deletion, and the account's audit trail in the log.

Deleting an account erases every credential row and appends ``UserDeleted``, after
which the shredder destroys the profile's key. The byte scan of the deletion tests
(every file of the node on SQLite; the cluster's files and a dump on PostgreSQL)
then finds neither the username nor the password hash anywhere.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any
from uuid import UUID

import pyotp
import pytest
from fastapi.testclient import TestClient

from domain.account import account_id
from infra.bootstrap import Node
from tests.integration.test_deletion_scan import holders, stored_files, wait_followed

PASSWORD = "a long passphrase 42"


def _register(client: TestClient, username: str) -> dict[str, Any]:
    response = client.post(
        "/api/v1/auth/register", json={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _bearer(session: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {session['access_token']}"}


def _delete(client: TestClient, session: dict[str, Any], password: str) -> Any:
    return client.request(
        "DELETE", "/api/v1/users/me", json={"password": password}, headers=_bearer(session)
    )


def _credential_rows(node: Node, user_id: UUID) -> int:
    tables = ["auth_credentials", "auth_sessions", "auth_refresh_tokens", "auth_totp",
              "auth_recovery_codes", "auth_passkeys", "auth_challenges"]  # fmt: skip
    with node.storage.accounts.read() as cursor:
        total = 0
        for table in tables:
            cursor.execute(f"SELECT COUNT(*) AS n FROM {table} WHERE user_id = ?", (str(user_id),))
            total += int(cursor.fetchone()["n"])
    return total


def test_deletion_leaves_no_username_or_password_hash_bytes(
    client: TestClient, node: Node, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    username = f"gone{secrets.token_hex(8)}"
    session = _register(client, username)
    user_id = UUID(session["user_id"])
    other = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    setup = client.post("/api/v1/auth/2fa/enable", headers=_bearer(session)).json()
    code = pyotp.TOTP(setup["secret"]).now()
    verify = client.post("/api/v1/auth/2fa/verify", json={"code": code}, headers=_bearer(session))
    assert verify.status_code == 200
    client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    password_hash = node.accounts.ports.credentials.password_hash(user_id)
    assert password_hash is not None
    wait_followed(node)
    files = stored_files(node, request, tmp_path)
    assert holders(files, username.encode()), "the scan finds the live username"

    assert _delete(client, session, PASSWORD).status_code == 204

    assert _credential_rows(node, user_id) == 0
    for token in (session, other.json()):
        assert client.get("/api/v1/servers", headers=_bearer(token)).status_code == 401
    refresh = client.post("/api/v1/auth/refresh", json={"refresh_token": session["refresh_token"]})
    assert refresh.status_code == 401
    login = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert login.status_code == 401
    wait_followed(node)
    files = stored_files(node, request, tmp_path)
    assert holders(files, username.encode()) == []
    assert holders(files, password_hash.encode()) == []
    assert holders(files, password_hash.rsplit("$", 2)[-1].encode()) == []  # salt and digest
    assert holders(files, setup["secret"].encode()) == []


def test_deletion_refusals(client: TestClient, node: Node) -> None:
    session = _register(client, "alice")
    wrong = _delete(client, session, "not my password")
    assert wrong.status_code == 403
    assert wrong.json()["error"]["code"] == "invalid_credentials"
    missing = client.request("DELETE", "/api/v1/users/me", json={}, headers=_bearer(session))
    assert missing.status_code == 422
    anonymous = client.request("DELETE", "/api/v1/users/me", json={"password": PASSWORD})
    assert anonymous.status_code == 401
    assert client.get("/api/v1/servers", headers=_bearer(session)).status_code == 200
    assert _credential_rows(node, UUID(session["user_id"])) > 0


def test_the_name_is_free_again_after_deletion(client: TestClient) -> None:
    first = _register(client, "alice")
    assert _delete(client, first, PASSWORD).status_code == 204
    second = _register(client, "alice")
    assert second["user_id"] != first["user_id"]


def test_the_account_history_is_in_the_log_without_secrets(client: TestClient, node: Node) -> None:
    session = _register(client, "alice")
    headers = _bearer(session)
    new_password = "a different passphrase 7"
    client.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": new_password},
        headers=headers,
    )
    setup = client.post("/api/v1/auth/2fa/enable", headers=headers).json()
    code = pyotp.TOTP(setup["secret"]).now()
    codes = client.post("/api/v1/auth/2fa/verify", json={"code": code}, headers=headers).json()
    client.post("/api/v1/auth/2fa/disable", json={"password": new_password}, headers=headers)
    client.post("/api/v1/auth/logout", headers=headers)
    again = client.post("/api/v1/auth/login", json={"username": "alice", "password": new_password})
    assert _delete(client, again.json(), new_password).status_code == 204

    user_id = UUID(session["user_id"])
    mine = {user_id, account_id(user_id)}
    history = [r.envelope for r in node.store.read(0, 1000) if r.envelope.aggregate_id in mine]
    assert [e.type for e in history] == [
        "UserRegistered",
        "PasswordChanged",
        "TwoFactorEnabled",
        "TwoFactorDisabled",
        "SessionRevoked",
        "UserDeleted",
    ]
    account_fields = {e.type: set(e.event.model_dump()) for e in history[1:-1]}
    assert account_fields == {
        "PasswordChanged": {"user_id"},
        "TwoFactorEnabled": {"user_id", "method"},
        "TwoFactorDisabled": {"user_id", "method"},
        "SessionRevoked": {"user_id", "session_id", "reason"},
    }
    text = " ".join(json.dumps(e.to_wire()) for e in history)
    secrets_seen = [PASSWORD, new_password, setup["secret"], *codes["recovery_codes"]]
    secrets_seen += [session["refresh_token"], session["access_token"]]
    assert not [s for s in secrets_seen if s in text]
