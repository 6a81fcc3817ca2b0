"""WebAuthn passkeys as a second factor (W3C Web Authentication Level 2, via py_webauthn).

Registration (§7.1) and authentication (§7.2) each start with options holding a
random challenge, which the challenge store keeps (as a digest) for the length of
the ceremony; the browser signs it, and verification finds the challenge again from
the response's ``clientDataJSON`` and consumes it, so a response is good once.
py_webauthn checks the rest: type, challenge, origin, RP id hash, user presence,
signature, and that the signature counter moved forward (§6.1.1, cloned keys).

The relying party id is the host name of the node's public origin; attestation is
not asked for (``none``), since any authenticator the user owns is acceptable.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from typing import Any
from uuid import UUID

import psycopg
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    options_to_json,
    parse_client_data_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from api.accounts import PasskeyInfo
from domain.errors import AlreadyExists, InvalidCommand
from infra.auth.challenges import ChallengeStore
from infra.sql import Database

CEREMONY_SECONDS = 300
REGISTER, AUTHENTICATE = "passkey_register", "passkey_login"


def _challenge_of(credential: dict[str, Any]) -> bytes | None:
    """The challenge a response answers, read from its clientDataJSON."""
    try:
        client_data = base64url_to_bytes(credential["response"]["clientDataJSON"])
        return parse_client_data_json(client_data).challenge
    except (KeyError, TypeError, ValueError, WebAuthnException):
        return None


class PasskeyStore:
    def __init__(
        self,
        db: Database,
        challenges: ChallengeStore,
        origin: str,
        rp_id: str,
        rp_name: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.challenges = challenges
        self.origin, self.rp_id, self.rp_name = origin, rp_id, rp_name
        self.clock = clock

    def registration_options(self, user_id: UUID, username: str) -> dict[str, Any]:
        options = generate_registration_options(
            rp_id=self.rp_id,
            rp_name=self.rp_name,
            user_id=user_id.bytes,
            user_name=username,
            exclude_credentials=self._descriptors(user_id),
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.PREFERRED,
                user_verification=UserVerificationRequirement.PREFERRED,
            ),
        )
        self.challenges.remember(options.challenge, user_id, REGISTER, CEREMONY_SECONDS)
        return dict(json.loads(options_to_json(options)))

    def register(self, user_id: UUID, credential: dict[str, Any], name: str) -> PasskeyInfo:
        challenge = _challenge_of(credential)
        if challenge is None or self.challenges.consume(challenge, REGISTER) != user_id:
            raise InvalidCommand("unknown or expired passkey registration")
        try:
            verified = verify_registration_response(
                credential=credential,
                expected_challenge=challenge,
                expected_rp_id=self.rp_id,
                expected_origin=self.origin,
            )
        except WebAuthnException:
            raise InvalidCommand("the passkey could not be verified") from None
        transports = credential.get("response", {}).get("transports") or []
        info = PasskeyInfo(
            bytes_to_base64url(verified.credential_id), name, int(self.clock() * 1000), None
        )
        try:
            with self.db.write() as cursor:
                cursor.execute(
                    "INSERT INTO auth_passkeys (credential_id, user_id, public_key, sign_count,"
                    " transports, name, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        info.id,
                        str(user_id),
                        bytes_to_base64url(verified.credential_public_key),
                        verified.sign_count,
                        json.dumps([str(t) for t in transports]),
                        name,
                        info.created_ms,
                    ),
                )
        except (sqlite3.IntegrityError, psycopg.IntegrityError):
            raise AlreadyExists("this passkey is registered already") from None
        return info

    def authentication_options(self, user_id: UUID) -> dict[str, Any]:
        options = generate_authentication_options(
            rp_id=self.rp_id,
            allow_credentials=self._descriptors(user_id),
            user_verification=UserVerificationRequirement.PREFERRED,
        )
        self.challenges.remember(options.challenge, user_id, AUTHENTICATE, CEREMONY_SECONDS)
        return dict(json.loads(options_to_json(options)))

    def authenticate(self, user_id: UUID, credential: dict[str, Any]) -> bool:
        challenge = _challenge_of(credential)
        if challenge is None or self.challenges.consume(challenge, AUTHENTICATE) != user_id:
            return False
        stored = self._stored(user_id, str(credential.get("id", "")))
        if stored is None:
            return False
        try:
            verified = verify_authentication_response(
                credential=credential,
                expected_challenge=challenge,
                expected_rp_id=self.rp_id,
                expected_origin=self.origin,
                credential_public_key=base64url_to_bytes(stored["public_key"]),
                credential_current_sign_count=int(stored["sign_count"]),
            )
        except WebAuthnException:
            return False
        with self.db.write() as cursor:
            cursor.execute(
                "UPDATE auth_passkeys SET sign_count = ?, last_used_ms = ? WHERE credential_id = ?",
                (verified.new_sign_count, int(self.clock() * 1000), stored["credential_id"]),
            )
        return True

    def of_user(self, user_id: UUID) -> list[PasskeyInfo]:
        with self.db.read() as cursor:
            cursor.execute(
                "SELECT credential_id, name, created_ms, last_used_ms FROM auth_passkeys"
                " WHERE user_id = ? ORDER BY created_ms, credential_id",
                (str(user_id),),
            )
            rows = cursor.fetchall()
        return [
            PasskeyInfo(
                r["credential_id"],
                r["name"],
                int(r["created_ms"]),
                None if r["last_used_ms"] is None else int(r["last_used_ms"]),
            )
            for r in rows
        ]

    def remove(self, user_id: UUID, passkey_id: str) -> bool:
        with self.db.write() as cursor:
            cursor.execute(
                "DELETE FROM auth_passkeys WHERE user_id = ? AND credential_id = ?"
                " RETURNING credential_id",
                (str(user_id), passkey_id),
            )
            return cursor.fetchone() is not None

    def _stored(self, user_id: UUID, credential_id: str) -> Any:
        with self.db.read() as cursor:
            cursor.execute(
                "SELECT credential_id, public_key, sign_count FROM auth_passkeys"
                " WHERE user_id = ? AND credential_id = ?",
                (str(user_id), credential_id),
            )
            return cursor.fetchone()

    def _descriptors(self, user_id: UUID) -> list[PublicKeyCredentialDescriptor]:
        with self.db.read() as cursor:
            cursor.execute(
                "SELECT credential_id, transports FROM auth_passkeys WHERE user_id = ?",
                (str(user_id),),
            )
            rows = cursor.fetchall()
        return [
            PublicKeyCredentialDescriptor(
                id=base64url_to_bytes(r["credential_id"]),
                transports=[
                    AuthenticatorTransport(t)
                    for t in json.loads(r["transports"])
                    if t in AuthenticatorTransport._value2member_map_
                ],
            )
            for r in rows
        ]
