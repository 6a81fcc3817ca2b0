"""Usernames: normal form, alphabet, length, reserved and look-alike names."""

from __future__ import annotations

import pytest

from domain.errors import InvalidCommand
from domain.usernames import MAX_CHARS, normalise, skeleton

NODE = "hearth-test"


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("Alice", "alice"),
        ("  bob  ", "bob"),
        ("\uff23\uff21\uff32\uff2f\uff2c", "carol"),  # fullwidth CAROL: NFKC makes it ASCII
        ("dave_99.x-y", "dave_99.x-y"),
        ("ab", "ab"),
        ("a" * MAX_CHARS, "a" * MAX_CHARS),
    ],
)
def test_names_are_normalised_to_one_form(given: str, stored: str) -> None:
    assert normalise(given, NODE) == stored


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("a", "2 to 32 characters"),
        ("a" * (MAX_CHARS + 1), "2 to 32 characters"),
        ("émile", "only a-z"),
        ("\u0430lice", "only a-z"),  # Cyrillic a
        ("bob smith", "only a-z"),
        ("bob@node", "only a-z"),
        ("__", "a letter or a digit"),
        ("..-", "a letter or a digit"),
    ],
)
def test_names_outside_the_alphabet_are_refused(given: str, reason: str) -> None:
    with pytest.raises(InvalidCommand, match=reason):
        normalise(given, NODE)


@pytest.mark.parametrize(
    "given",
    ["admin", "ADMIN", "Admin", "adm1n", "ad.min", "a_d_m_i_n", "system", "moderator",
     "rnoderator", "mod", "rnod", "root", "r00t", "hearth", "me", "hearth-test", "hearthtest"],
)  # fmt: skip
def test_reserved_names_and_their_look_alikes_are_refused(given: str) -> None:
    with pytest.raises(InvalidCommand, match="reserved"):
        normalise(given, NODE)


@pytest.mark.parametrize("given", ["admins", "5ystem", "modest", "hearth-test2", "rooted"])
def test_names_near_reserved_ones_are_fine(given: str) -> None:
    assert normalise(given, NODE) == given


def test_skeleton_folds_look_alikes_and_separators() -> None:
    assert skeleton("j0hn.smith") == skeleton("john_smith") == skeleton("johnsmith")
    assert skeleton("rnary") == skeleton("mary")
    assert skeleton("wi11") == skeleton("will") == skeleton("wiil")
    assert skeleton("alice") != skeleton("alicia")
