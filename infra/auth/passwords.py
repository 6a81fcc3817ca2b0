"""Argon2id password hashing (argon2-cffi) at no less than OWASP's recommendation.

OWASP Password Storage Cheat Sheet: Argon2id with m=19 MiB, t=2, p=1 as the floor;
the node's settings may raise them (never lower). A hash made with other parameters
than the current ones is re-hashed at the next successful login, so raising the
parameters upgrades every active account without a migration.

argon2-cffi releases the GIL while hashing, so a hash in a worker thread does not
stall the event loop. Hashes are CPU-bound, though, so they run in a small pool of
their own: at most one fewer than the machine's cores at once, in threads of lower
scheduling priority (Linux lets a thread have its own nice value), so a burst of
logins queues for the hasher instead of taking the cores from message delivery.
"""

from __future__ import annotations

import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher as Argon2Hasher
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

OWASP_TIME_COST = 2
OWASP_MEMORY_KIB = 19 * 1024
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")
HASHING_NICENESS = 10


def _lower_priority() -> None:
    """Make the calling (hashing) thread yield the CPU to the node's other threads."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux, or not permitted
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_NICENESS)


# One pool for the process: the cap is on the machine's cores, whoever hashes. Its
# threads start on first use.
_HASHING = ThreadPoolExecutor(
    max(1, (os.cpu_count() or 1) - 1), "argon2", initializer=_lower_priority
)


class Argon2PasswordHasher:
    def __init__(
        self,
        time_cost: int = OWASP_TIME_COST,
        memory_kib: int = OWASP_MEMORY_KIB,
        parallelism: int = 1,
    ) -> None:
        self._hasher = Argon2Hasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
        )
        # Made with the current parameters, so verifying against it costs what a real
        # verification costs.
        self._dummy_hash = self._hasher.hash("hearth-dummy-password-for-timing")

    def hash(self, password: str) -> str:
        return _HASHING.submit(self._hasher.hash, password).result()

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return _HASHING.submit(self._hasher.verify, password_hash, password).result()
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)

    def burn(self, password: str) -> None:
        """Spend one verification's time, so an unknown user answers as slowly as a known one."""
        self.verify(self._dummy_hash, password)


@cache
def common_passwords() -> frozenset[str]:
    """The bundled list of the most common passwords, case-folded."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().casefold() for line in lines if line.strip())
