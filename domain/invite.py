"""The Invite aggregate: a code that lets people join a server, until it expires,
runs out of uses, or is revoked.

The invite's id is derived from its code, so joining is a load by id. The code
itself is sealed (revoking an invite shreds it). An invite with a use limit
records each use, so the limit holds under concurrent joins (optimistic
concurrency on this aggregate) and its history is bounded by that limit.
"""

from __future__ import annotations

import secrets
from typing import ClassVar
from uuid import UUID, uuid5

from pydantic import BaseModel, ConfigDict

from domain.errors import Forbidden, InvalidCommand, NotFound
from domain.events import Event, catalogue
from domain.membership import Membership

CODE_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10
MAX_USES_LIMIT = 1000
MAX_AGE_SECONDS = 30 * 24 * 3600
_INVITE = UUID("a3c1e8f4-3b7e-4c1e-9a6b-2f9d4e8b7c05")


def new_code() -> str:
    """10 characters from 56 unambiguous ones: about 58 bits, beyond online guessing."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def invite_id(code: str) -> UUID:
    return uuid5(_INVITE, code)


@catalogue.register
class InviteCreated(Event):
    sealed_fields: ClassVar[frozenset[str]] = frozenset({"code"})

    server_id: UUID
    code: str | None
    max_uses: int | None
    expires_at_ms: int | None
    by: UUID


@catalogue.register
class InviteUsed(Event):
    user_id: UUID


@catalogue.register
class InviteRevoked(Event):
    by: UUID


class Invite(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: UUID
    server_id: UUID
    max_uses: int | None
    expires_at_ms: int | None
    created_by: UUID
    uses: int = 0
    revoked: bool = False

    def usable(self, now_ms: int) -> bool:
        return not (
            self.revoked
            or (self.expires_at_ms is not None and now_ms >= self.expires_at_ms)
            or (self.max_uses is not None and self.uses >= self.max_uses)
        )


def create(
    actor: Membership | None,
    server_id: UUID,
    code: str,
    now_ms: int,
    max_uses: int | None,
    max_age_seconds: int | None,
) -> list[Event]:
    """Any member may invite; limits are optional but bounded."""
    if actor is None or not actor.active or actor.server_id != server_id:
        raise NotFound("server not found")
    if max_uses is not None and not 1 <= max_uses <= MAX_USES_LIMIT:
        raise InvalidCommand(f"max_uses must be between 1 and {MAX_USES_LIMIT}")
    if max_age_seconds is not None and not 60 <= max_age_seconds <= MAX_AGE_SECONDS:
        raise InvalidCommand(f"max_age_seconds must be between 60 and {MAX_AGE_SECONDS}")
    expires = None if max_age_seconds is None else now_ms + max_age_seconds * 1000
    return [
        InviteCreated(
            server_id=server_id,
            code=code,
            max_uses=max_uses,
            expires_at_ms=expires,
            by=actor.user_id,
        )
    ]


def require_usable(state: Invite | None, now_ms: int) -> Invite:
    """The invite, if it can still be used; expired, spent and revoked ones look unknown."""
    if state is None or not state.usable(now_ms):
        raise NotFound("invite not found or no longer valid")
    return state


def use(state: Invite, user_id: UUID) -> list[Event]:
    """Spend one use (recorded only when the invite has a limit)."""
    return [] if state.max_uses is None else [InviteUsed(user_id=user_id)]


def revoke(state: Invite | None, actor: Membership | None) -> list[Event]:
    """The invite's creator or a moderator revokes it."""
    if state is None or state.revoked:
        raise NotFound("invite not found")
    if actor is None or not actor.active or actor.server_id != state.server_id:
        raise NotFound("invite not found")
    if actor.user_id != state.created_by and not actor.moderates:
        raise Forbidden("only the invite's creator or a moderator can revoke it")
    return [InviteRevoked(by=actor.user_id)]


def evolve(state: Invite | None, event: Event, aggregate_id: UUID) -> Invite:
    match event:
        case InviteCreated():
            return Invite(
                id=aggregate_id,
                server_id=event.server_id,
                max_uses=event.max_uses,
                expires_at_ms=event.expires_at_ms,
                created_by=event.by,
            )
        case InviteUsed() if state is not None:
            return state.model_copy(update={"uses": state.uses + 1})
        case InviteRevoked() if state is not None:
            return state.model_copy(update={"revoked": True})
    raise TypeError(f"Invite cannot apply {event.type_name()}")
