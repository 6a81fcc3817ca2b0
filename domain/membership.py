"""The Membership aggregate: one user in one server, with a role.

Each (server, user) pair is its own small aggregate, so a server with a hundred
thousand members writes a join exactly as fast as an empty one.
"""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from domain.errors import AlreadyExists, Forbidden, InvalidCommand, NotFound
from domain.events import Event, catalogue


class Role(StrEnum):
    OWNER = "owner"
    MODERATOR = "moderator"
    MEMBER = "member"


_RANK = {Role.MEMBER: 0, Role.MODERATOR: 1, Role.OWNER: 2}


@catalogue.register
class MemberJoined(Event):
    server_id: UUID
    user_id: UUID
    role: Role


@catalogue.register
class MemberRoleChanged(Event):
    role: Role
    by: UUID


@catalogue.register
class MemberLeft(Event):
    by: UUID


class Membership(BaseModel):
    model_config = ConfigDict(frozen=True)

    server_id: UUID
    user_id: UUID
    role: Role
    active: bool = True

    def outranks(self, other: Membership) -> bool:
        return _RANK[self.role] > _RANK[other.role]

    @property
    def moderates(self) -> bool:
        return self.active and _RANK[self.role] >= _RANK[Role.MODERATOR]


def active(state: Membership | None) -> Membership | None:
    """The membership if it is current, else None (a former member is no member)."""
    return state if state is not None and state.active else None


def join(state: Membership | None, server_id: UUID, user_id: UUID, role: Role) -> list[Event]:
    if active(state) is not None:
        raise AlreadyExists("already a member of this server")
    return [MemberJoined(server_id=server_id, user_id=user_id, role=role)]


def leave(state: Membership | None, actor: Membership | None) -> list[Event]:
    """Leave (actor is the member) or be removed (actor outranks the member)."""
    member = active(state)
    if member is None:
        raise NotFound("not a member of this server")
    if actor is None or not actor.active:
        raise Forbidden("not a member of this server")
    if actor.user_id == member.user_id:
        if member.role is Role.OWNER:
            raise InvalidCommand("the owner cannot leave their own server")
    elif not (actor.moderates and actor.outranks(member)):
        raise Forbidden("only a higher-ranked moderator can remove this member")
    return [MemberLeft(by=actor.user_id)]


def change_role(state: Membership | None, actor: Membership | None, role: Role) -> list[Event]:
    member = active(state)
    if member is None:
        raise NotFound("not a member of this server")
    if actor is None or not actor.active or actor.role is not Role.OWNER:
        raise Forbidden("only the server owner can change roles")
    if role is Role.OWNER or member.role is Role.OWNER:
        raise InvalidCommand("ownership cannot be changed by a role change")
    return [] if member.role is role else [MemberRoleChanged(role=role, by=actor.user_id)]


def evolve(state: Membership | None, event: Event, aggregate_id: UUID) -> Membership:
    match event:
        case MemberJoined():
            return Membership(server_id=event.server_id, user_id=event.user_id, role=event.role)
        case MemberRoleChanged() if state is not None:
            return state.model_copy(update={"role": event.role})
        case MemberLeft() if state is not None:
            return state.model_copy(update={"active": False})
    raise TypeError(f"Membership cannot apply {event.type_name()}")
