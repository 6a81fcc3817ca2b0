"""The User aggregate: a person's account on this node, and its public profile.

The profile (username, display name) is personal data, so it is sealed with the
user's own data key: deleting the account shreds that key and the profile with it,
while the log keeps the fact that an account existed.
"""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from domain.errors import AlreadyExists, NotFound
from domain.events import Event, catalogue
from domain.text import display_name as check_display_name


@catalogue.register
class UserRegistered(Event):
    sealed_fields: ClassVar[frozenset[str]] = frozenset({"username", "display_name"})
    username: str | None
    display_name: str | None


@catalogue.register
class UserProfileUpdated(Event):
    sealed_fields: ClassVar[frozenset[str]] = frozenset({"display_name"})
    display_name: str | None


@catalogue.register
class UserDeleted(Event):
    pass


class User(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: UUID
    username: str | None
    display_name: str | None
    deleted: bool = False


def register(state: User | None, username: str, display_name: str) -> list[Event]:
    if state is not None:
        raise AlreadyExists("user already exists")
    name = check_display_name("display_name", display_name)
    return [UserRegistered(username=username, display_name=name)]


def update_profile(state: User | None, display_name: str) -> list[Event]:
    live = require_live(state)
    name = check_display_name("display_name", display_name)
    return [] if name == live.display_name else [UserProfileUpdated(display_name=name)]


def delete(state: User | None) -> list[Event]:
    require_live(state)
    return [UserDeleted()]


def require_live(state: User | None) -> User:
    if state is None or state.deleted:
        raise NotFound("user not found")
    return state


def evolve(state: User | None, event: Event, aggregate_id: UUID) -> User:
    match event:
        case UserRegistered():
            return User(id=aggregate_id, username=event.username, display_name=event.display_name)
        case UserProfileUpdated() if state is not None:
            return state.model_copy(update={"display_name": event.display_name})
        case UserDeleted() if state is not None:
            return state.model_copy(
                update={"deleted": True, "username": None, "display_name": None}
            )
    raise TypeError(f"User cannot apply {event.type_name()}")
