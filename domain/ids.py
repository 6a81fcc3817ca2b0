"""Identifiers derived from other identifiers.

A membership's id is derived from (server, user) and a DM channel's from the pair
of users, so "is X a member" and "open a DM with Y" are direct loads by id: no
index lookup, no race that could create two of them.
"""

from __future__ import annotations

from uuid import UUID, uuid5

_MEMBERSHIP = UUID("6b3f4c52-5a0e-4bb1-9f39-6f4f1f7f6d10")
_DM = UUID("0d8a1a3e-2f6b-4b8e-a3a3-8f0f2d5c9b21")


def membership_id(server_id: UUID, user_id: UUID) -> UUID:
    return uuid5(_MEMBERSHIP, f"{server_id}:{user_id}")


def dm_channel_id(user_a: UUID, user_b: UUID) -> UUID:
    low, high = sorted((user_a, user_b))
    return uuid5(_DM, f"{low}:{high}")
