"""Password rules and Argon2id parameters."""

from __future__ import annotations

import pytest
from argon2 import extract_parameters

from api.accounts import check_password
from domain.errors import InvalidCommand
from infra.auth.passwords import OWASP_MEMORY_KIB, Argon2PasswordHasher, common_passwords

COMMON = common_passwords()


def test_the_bundled_list_is_loaded_case_folded() -> None:
    assert len(COMMON) >= 1000
    assert {"password", "123456", "qwerty", "iloveyou", "1234567890"} <= COMMON
    assert "correct horse battery staple" in COMMON  # famous passphrases are common too
    assert all(entry == entry.casefold() for entry in COMMON)


@pytest.mark.parametrize(
    "password",
    ["purple otter juggles lamps", "Tr0ub4dor&3xyz", "a long passphrase 42", "ten chars!"],
)
def test_reasonable_passwords_pass(password: str) -> None:
    check_password(password, "alice", COMMON)


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short", "at least 10"),
        ("123456789", "at least 10"),
        ("x" * 1025, "at most 1024"),
        ("1234567890", "too common"),
        ("qwertyuiop", "too common"),
        ("Password123", "too common"),  # the list is compared case-folded
        ("password123!", "too common"),  # ...and with digits and symbols stripped off
        ("!!dragon2024!!", "too common"),
        ("my name is alice ok", "must not contain the username"),
        ("ALICE-is-great", "must not contain the username"),
    ],
)
def test_weak_passwords_are_refused(password: str, reason: str) -> None:
    with pytest.raises(InvalidCommand, match=reason):
        check_password(password, "alice", COMMON)


def test_hashes_use_argon2id_at_the_owasp_floor() -> None:
    parameters = extract_parameters(Argon2PasswordHasher().hash("a long passphrase 42"))
    assert parameters.type.name == "ID"
    assert parameters.memory_cost >= OWASP_MEMORY_KIB
    assert parameters.time_cost >= 2


def test_weaker_hashes_verify_and_ask_to_be_rehashed() -> None:
    weak = Argon2PasswordHasher(time_cost=1, memory_kib=8 * 1024).hash("a long passphrase 42")
    current = Argon2PasswordHasher()
    assert current.verify(weak, "a long passphrase 42")
    assert not current.verify(weak, "another passphrase")
    assert current.needs_rehash(weak)
    assert not current.needs_rehash(current.hash("a long passphrase 42"))


def test_a_broken_hash_does_not_verify() -> None:
    assert not Argon2PasswordHasher().verify("not-a-hash", "a long passphrase 42")
