"""Access tokens: short-lived JWTs signed by the node's Ed25519 key (``alg: EdDSA``).

The key id (``kid``) in each token's header names the signing key, so keys can
rotate while tokens signed by the previous key stay valid until they expire. Only
EdDSA is accepted: ``alg: none`` and algorithm-confusion tokens fail verification
(RFC 8725 §3.1: the verifier fixes the algorithm, never the token).

Each token names its session (``sid``). A valid signature is not enough: the session
must still be live, so logging out (or a detected refresh-token theft) ends the
session's access tokens too, not only its refresh token.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from uuid import UUID

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from api.deps import Caller
from api.errors import ApiError
from infra.sql import Database

ALGORITHM = "EdDSA"


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "invalid_token", message, {"WWW-Authenticate": "Bearer"})


class TokenService:
    """Issues and verifies access tokens with keys kept in the credential database."""

    def __init__(
        self,
        db: Database,
        issuer: str,
        lifetime_seconds: int,
        session_live: Callable[[UUID], bool],
    ) -> None:
        self.issuer = issuer
        self.lifetime_seconds = lifetime_seconds
        self.session_live = session_live
        self._public: dict[str, Ed25519PublicKey] = {}
        self._kid, self._private = self._load_or_create(db)

    def _load_or_create(self, db: Database) -> tuple[str, Ed25519PrivateKey]:
        with db.write() as cursor:
            cursor.execute("SELECT kid, private_key FROM auth_signing_keys ORDER BY created_ms")
            rows = cursor.fetchall()
            if not rows:
                key = Ed25519PrivateKey.generate()
                pem = key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                ).decode()
                kid = uuid.uuid4().hex
                cursor.execute(
                    "INSERT INTO auth_signing_keys (kid, private_key, created_ms) VALUES (?, ?, ?)",
                    (kid, pem, time.time_ns() // 1_000_000),
                )
                rows = [{"kid": kid, "private_key": pem}]
        newest = None
        for row in rows:
            private = serialization.load_pem_private_key(row["private_key"].encode(), password=None)
            if not isinstance(private, Ed25519PrivateKey):
                raise ValueError("signing keys must be Ed25519")
            self._public[row["kid"]] = private.public_key()
            newest = (row["kid"], private)
        if newest is None:
            raise ValueError("no signing key")
        return newest

    def issue(self, user_id: UUID, session_id: UUID) -> str:
        now = int(time.time())
        claims = {
            "sub": str(user_id),
            "sid": str(session_id),
            "iss": self.issuer,
            "iat": now,
            "exp": now + self.lifetime_seconds,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._private, algorithm=ALGORITHM, headers={"kid": self._kid})

    def user_id(self, token: str) -> UUID:
        """The user a valid access token names (the WebSocket handshake uses this too)."""
        return self.caller(token).user_id

    def caller(self, token: str) -> Caller:
        """Who presents the token; ApiError(401) unless it is valid and its session live."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise _unauthorized("malformed access token") from None
        key = self._public.get(str(header.get("kid")))
        if key is None:
            raise _unauthorized("unknown signing key")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                issuer=self.issuer,
                options={"require": ["exp", "iat", "sub", "sid", "iss"]},
            )
            caller = Caller(UUID(claims["sub"]), UUID(claims["sid"]))
        except jwt.ExpiredSignatureError:
            raise _unauthorized("access token expired") from None
        except (jwt.PyJWTError, ValueError, TypeError):
            raise _unauthorized("invalid access token") from None
        if not self.session_live(caller.session_id):
            raise _unauthorized("session ended")
        return caller
