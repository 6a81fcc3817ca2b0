"""Passkey endpoints' refusals (the successful ceremonies run in Chromium: tests/e2e)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pyotp
from fastapi.testclient import TestClient

PASSWORD = "a long passphrase 42"
WEBAUTHN = "/api/v1/auth/webauthn"


def _register(client: TestClient, username: str = "alice") -> dict[str, Any]:
    response = client.post(
        "/api/v1/auth/register", json={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _bearer(session: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {session['access_token']}"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _fake_credential(challenge: str, kind: str) -> dict[str, Any]:
    """Well-formed JSON around a made-up response: parses, but proves nothing."""
    client_data = {"type": kind, "challenge": challenge, "origin": "http://localhost:8080"}
    response = {
        "clientDataJSON": _b64(json.dumps(client_data).encode()),
        "attestationObject": _b64(b"\xa0"),
        "authenticatorData": _b64(b"\x00" * 37),
        "signature": _b64(b"\x00" * 64),
    }
    return {"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": response}


def test_registration_options(client: TestClient) -> None:
    session = _register(client)
    response = client.post(f"{WEBAUTHN}/register/options", headers=_bearer(session))
    assert response.status_code == 200
    options = response.json()
    assert options["rp"] == {"id": "localhost", "name": "test-node"}
    assert options["user"]["name"] == "alice"
    assert len(base64.urlsafe_b64decode(options["challenge"] + "==")) >= 32
    assert options["excludeCredentials"] == []
    assert options["attestation"] == "none"
    assert client.post(f"{WEBAUTHN}/register/options").status_code == 401


def test_registration_refuses_unverifiable_responses(client: TestClient) -> None:
    session = _register(client)
    challenge = client.post(f"{WEBAUTHN}/register/options", headers=_bearer(session)).json()[
        "challenge"
    ]
    for credential in (
        {},
        {"response": "nonsense"},
        _fake_credential(_b64(b"not the challenge"), "webauthn.create"),
        _fake_credential(challenge, "webauthn.create"),  # right challenge, no real attestation
    ):
        response = client.post(
            f"{WEBAUTHN}/register/verify", json={"credential": credential}, headers=_bearer(session)
        )
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "invalid"
    assert client.get(f"{WEBAUTHN}/credentials", headers=_bearer(session)).json() == []


def test_a_registration_challenge_belongs_to_its_user(client: TestClient) -> None:
    alice, bob = _register(client), _register(client, "bob")
    challenge = client.post(f"{WEBAUTHN}/register/options", headers=_bearer(alice)).json()[
        "challenge"
    ]
    response = client.post(
        f"{WEBAUTHN}/register/verify",
        json={"credential": _fake_credential(challenge, "webauthn.create")},
        headers=_bearer(bob),
    )
    assert response.status_code == 422
    assert response.json()["error"]["message"] == "unknown or expired passkey registration"


def _two_factor_challenge(client: TestClient) -> str:
    session = _register(client)
    secret = client.post("/api/v1/auth/2fa/enable", headers=_bearer(session)).json()["secret"]
    code = pyotp.TOTP(secret).now()
    client.post("/api/v1/auth/2fa/verify", json={"code": code}, headers=_bearer(session))
    login = client.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD})
    token: str = login.json()["two_factor"]["challenge_token"]
    return token


def test_authentication_refusals(client: TestClient) -> None:
    challenge = _two_factor_challenge(client)
    unknown = client.post(f"{WEBAUTHN}/authenticate/options", json={"challenge_token": "nope"})
    assert unknown.status_code == 401
    assert unknown.json()["error"]["code"] == "invalid_challenge"
    no_passkey = client.post(
        f"{WEBAUTHN}/authenticate/options", json={"challenge_token": challenge}
    )
    assert no_passkey.status_code == 422
    assert no_passkey.json()["error"]["message"] == "no passkey is registered for this account"
    forged = client.post(
        f"{WEBAUTHN}/authenticate/verify",
        json={
            "challenge_token": challenge,
            "credential": _fake_credential(_b64(b"x" * 64), "webauthn.get"),
        },
    )
    assert forged.status_code == 401
    assert forged.json()["error"]["code"] == "invalid_code"
    garbage = client.post(
        f"{WEBAUTHN}/authenticate/verify", json={"challenge_token": challenge, "credential": {}}
    )
    assert garbage.status_code == 401


def test_removing_refusals(client: TestClient) -> None:
    session = _register(client)
    path = f"{WEBAUTHN}/credentials/AAAA"
    wrong = client.request(
        "DELETE", path, json={"password": "not my password"}, headers=_bearer(session)
    )
    assert wrong.status_code == 403
    unknown = client.request("DELETE", path, json={"password": PASSWORD}, headers=_bearer(session))
    assert unknown.status_code == 404
    assert client.request("DELETE", path, json={"password": PASSWORD}).status_code == 401
    assert client.get(f"{WEBAUTHN}/credentials").status_code == 401
