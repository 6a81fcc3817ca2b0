"""The one auth dependency: every bad access token gets 401 and the JSON error body."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from api.errors import ApiError
from infra.auth.tokens import TokenService
from infra.bootstrap import Node

PASSWORD = "a long passphrase 42"
PROTECTED = "/api/v1/servers"


def _signing_key(node: Node) -> tuple[str, Ed25519PrivateKey]:
    """The node's current signing key, read from the credential store."""
    with node.storage.accounts.read() as cursor:
        cursor.execute("SELECT kid, private_key FROM auth_signing_keys ORDER BY created_ms")
        row = cursor.fetchall()[-1]
    key = serialization.load_pem_private_key(row["private_key"].encode(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    return row["kid"], key


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.fixture
def signed_in(client: TestClient) -> dict[str, Any]:
    response = client.post(
        "/api/v1/auth/register", json={"username": "alice", "password": PASSWORD}
    )
    body: dict[str, Any] = response.json()
    return body


def _claims(signed_in: dict[str, Any], **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "sub": signed_in["user_id"],
        "sid": signed_in["session_id"],
        "iss": "test-node",
        "iat": now,
        "exp": now + 600,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _refused(client: TestClient, token: str, message: str) -> None:
    response = client.get(PROTECTED, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401, response.text
    assert response.json() == {"error": {"code": "invalid_token", "message": message}}
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_valid_token_passes(client: TestClient, node: Node, signed_in: dict[str, Any]) -> None:
    kid, key = _signing_key(node)
    token = jwt.encode(_claims(signed_in), key, algorithm="EdDSA", headers={"kid": kid})
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(PROTECTED, headers=headers).status_code == 200
    assert jwt.get_unverified_header(signed_in["access_token"]) == {
        "alg": "EdDSA",
        "kid": kid,
        "typ": "JWT",
    }


def test_expired_token(client: TestClient, node: Node, signed_in: dict[str, Any]) -> None:
    expired = TokenService(node.storage.accounts, "test-node", -60, lambda _: True)
    token = expired.issue(uuid.UUID(signed_in["user_id"]), uuid.UUID(signed_in["session_id"]))
    _refused(client, token, "access token expired")


def test_forged_signature(client: TestClient, node: Node, signed_in: dict[str, Any]) -> None:
    kid, _ = _signing_key(node)
    forger = Ed25519PrivateKey.generate()
    token = jwt.encode(_claims(signed_in), forger, algorithm="EdDSA", headers={"kid": kid})
    _refused(client, token, "invalid access token")


def test_tampered_claims(client: TestClient, signed_in: dict[str, Any]) -> None:
    header, _, signature = signed_in["access_token"].split(".")
    other = _b64(_claims(signed_in, sub=str(uuid.uuid4())))
    _refused(client, f"{header}.{other}.{signature}", "invalid access token")


def test_wrong_kid(client: TestClient, node: Node, signed_in: dict[str, Any]) -> None:
    _, key = _signing_key(node)
    token = jwt.encode(_claims(signed_in), key, algorithm="EdDSA", headers={"kid": "rotated-out"})
    _refused(client, token, "unknown signing key")


def test_alg_none(client: TestClient, node: Node, signed_in: dict[str, Any]) -> None:
    kid, _ = _signing_key(node)
    token = f"{_b64({'alg': 'none', 'kid': kid, 'typ': 'JWT'})}.{_b64(_claims(signed_in))}."
    _refused(client, token, "invalid access token")


def test_algorithm_confusion(client: TestClient, node: Node, signed_in: dict[str, Any]) -> None:
    """HS256 keyed with the (public) verification key must not pass as a signature."""
    kid, key = _signing_key(node)
    public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    header = _b64({"alg": "HS256", "kid": kid, "typ": "JWT"})
    payload = _b64(_claims(signed_in))
    mac = hmac.new(public, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    signature = base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    _refused(client, f"{header}.{payload}.{signature}", "invalid access token")


@pytest.mark.parametrize(
    "missing", ["sid", "sub", "exp", "iss"], ids=lambda claim: f"without-{claim}"
)
def test_required_claims(
    client: TestClient, node: Node, signed_in: dict[str, Any], missing: str
) -> None:
    kid, key = _signing_key(node)
    claims = _claims(signed_in, **{missing: None})
    token = jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": kid})
    _refused(client, token, "invalid access token")


def test_wrong_issuer(client: TestClient, node: Node, signed_in: dict[str, Any]) -> None:
    kid, key = _signing_key(node)
    token = jwt.encode(
        _claims(signed_in, iss="another-node"), key, algorithm="EdDSA", headers={"kid": kid}
    )
    _refused(client, token, "invalid access token")


@pytest.mark.parametrize("token", ["abc", "a.b.c", "....", "eyJhbGciOiJFZERTQSJ9.e30."])
def test_malformed(client: TestClient, token: str) -> None:
    response = client.get(PROTECTED, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"


@pytest.mark.parametrize("header", [None, "Basic YWxpY2U6c2VjcmV0", "Bearer", "Token abc"])
def test_missing_or_other_scheme(client: TestClient, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    response = client.get(PROTECTED, headers=headers)
    assert response.status_code == 401
    assert response.json() == {
        "error": {"code": "unauthenticated", "message": "a bearer access token is required"}
    }
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_token_of_an_ended_session(client: TestClient, signed_in: dict[str, Any]) -> None:
    headers = {"Authorization": f"Bearer {signed_in['access_token']}"}
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    _refused(client, signed_in["access_token"], "session ended")


def test_the_websocket_check_is_the_same(node: Node, signed_in: dict[str, Any]) -> None:
    """The gateway's handshake calls ``TokenService.user_id``: same answers."""
    assert node.tokens.user_id(signed_in["access_token"]) == uuid.UUID(signed_in["user_id"])
    with pytest.raises(ApiError) as refused:
        node.tokens.user_id(signed_in["access_token"] + "x")
    assert (refused.value.status, refused.value.code) == (401, "invalid_token")
