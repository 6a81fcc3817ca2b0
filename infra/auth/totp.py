"""TOTP second factor (RFC 6238, via pyotp): 30-second steps, 6 digits, SHA-1.

A code is accepted for the current step and one step either side (RFC 6238 §5.2
allows this for clock drift), and each step at most once (§5.2: "the verifier MUST
NOT accept the second attempt of the same OTP"): the last accepted step is stored,
and only a later one passes. The check-and-advance is one conditional UPDATE, so two
concurrent requests with the same code cannot both win.

Seeds are sealed (XChaCha20-Poly1305) with the node key before they are stored,
bound to their user so a sealed seed cannot be moved to another account.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable
from uuid import UUID

import pyotp
from pyotp.utils import strings_equal

from api.accounts import TotpSetup
from infra.auth.node_key import FILE_NAME
from infra.eventstore.sealing import SealingError, open_sealed, seal
from infra.sql import Database

VALID_WINDOW = 1
log = logging.getLogger(__name__)


class TotpStore:
    def __init__(
        self, db: Database, node_key: bytes, issuer: str, clock: Callable[[], float] = time.time
    ) -> None:
        self.db = db
        self.node_key = node_key
        self.issuer = issuer
        self.clock = clock

    def begin(self, user_id: UUID, account_name: str) -> TotpSetup:
        """A new pending seed (replacing any earlier pending one) and its otpauth URI."""
        secret = pyotp.random_base32()
        with self.db.write() as cursor:
            cursor.execute("DELETE FROM auth_totp WHERE user_id = ?", (str(user_id),))
            cursor.execute(
                "INSERT INTO auth_totp (user_id, sealed_seed, confirmed, last_counter)"
                " VALUES (?, ?, 0, 0)",
                (str(user_id), self._seal(user_id, secret)),
            )
        uri = pyotp.TOTP(secret).provisioning_uri(name=account_name, issuer_name=self.issuer)
        return TotpSetup(secret, uri)

    def confirm(self, user_id: UUID, code: str) -> bool:
        """Turn a pending seed on with a code it generates."""
        return self._accept(user_id, code, confirmed=False)

    def verify(self, user_id: UUID, code: str) -> bool:
        return self._accept(user_id, code, confirmed=True)

    def enabled(self, user_id: UUID) -> bool:
        with self.db.read() as cursor:
            cursor.execute(
                "SELECT 1 AS enabled FROM auth_totp WHERE user_id = ? AND confirmed = 1",
                (str(user_id),),
            )
            return cursor.fetchone() is not None

    def remove(self, user_id: UUID) -> None:
        with self.db.write() as cursor:
            cursor.execute("DELETE FROM auth_totp WHERE user_id = ?", (str(user_id),))

    def _accept(self, user_id: UUID, code: str, confirmed: bool) -> bool:
        with self.db.read() as cursor:
            cursor.execute(
                "SELECT sealed_seed FROM auth_totp WHERE user_id = ? AND confirmed = ?",
                (str(user_id), int(confirmed)),
            )
            row = cursor.fetchone()
        if row is None:
            return False
        try:
            secret = self._open(user_id, row["sealed_seed"])
        except SealingError:
            log.error("the TOTP seed of %s does not open: was %s replaced?", user_id, FILE_NAME)
            return False
        step = self._matching_step(secret, code)
        if step is None:
            return False
        with self.db.write() as cursor:
            cursor.execute(
                "UPDATE auth_totp SET last_counter = ?, confirmed = 1"
                " WHERE user_id = ? AND confirmed = ? AND last_counter < ? RETURNING user_id",
                (step, str(user_id), int(confirmed), step),
            )
            return cursor.fetchone() is not None

    def _matching_step(self, secret: str, code: str) -> int | None:
        """The time step whose code ``code`` is, within the window (constant-time compare)."""
        totp = pyotp.TOTP(secret)
        current = totp.timecode(self.clock())
        for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
            if strings_equal(code, totp.generate_otp(step)):
                return step
        return None

    def _seal(self, user_id: UUID, secret: str) -> str:
        sealed = seal(self.node_key, secret.encode(), f"totp:{user_id}".encode())
        return base64.b64encode(sealed).decode()

    def _open(self, user_id: UUID, stored: str) -> str:
        sealed = base64.b64decode(stored)
        return open_sealed(self.node_key, sealed, f"totp:{user_id}".encode()).decode()
