"""Argon2id password hashing (argon2-cffi) at OWASP's recommended minimum.

OWASP Password Storage Cheat Sheet: Argon2id with m=19 MiB, t=2, p=1 as the
floor. Hashes made with weaker parameters are re-hashed at the next login.
"""

from __future__ import annotations

from argon2 import PasswordHasher as Argon2Hasher
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = Argon2Hasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.ID)
_DUMMY_HASH = _hasher.hash("hearth-dummy-password-for-timing")


class Argon2PasswordHasher:
    def hash(self, password: str) -> str:
        return _hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return _hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return _hasher.check_needs_rehash(password_hash)

    def burn(self, password: str) -> None:
        self.verify(_DUMMY_HASH, password)
