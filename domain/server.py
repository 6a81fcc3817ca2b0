"""The Server aggregate: a community with a name and an owner.

Members and channels are aggregates of their own, so this one holds only what
changes rarely (its name, its owner, its #general channel).
"""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict

from domain.errors import AlreadyExists, Forbidden, NotFound
from domain.events import Event, catalogue
from domain.membership import Membership, Role
from domain.text import display_name


@catalogue.register
class ServerCreated(Event):
    name: str
    owner_id: UUID
    general_channel_id: UUID


@catalogue.register
class ServerRenamed(Event):
    name: str
    by: UUID


class Server(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: UUID
    name: str
    owner_id: UUID
    general_channel_id: UUID


def create(
    state: Server | None, name: str, owner_id: UUID, general_channel_id: UUID
) -> list[Event]:
    if state is not None:
        raise AlreadyExists("server already exists")
    return [
        ServerCreated(
            name=display_name("name", name),
            owner_id=owner_id,
            general_channel_id=general_channel_id,
        )
    ]


def rename(state: Server | None, actor: Membership | None, name: str) -> list[Event]:
    if state is None:
        raise NotFound("server not found")
    if actor is None or not actor.active or actor.role is not Role.OWNER:
        raise Forbidden("only the server owner can rename the server")
    name = display_name("name", name)
    return [] if name == state.name else [ServerRenamed(name=name, by=actor.user_id)]


def evolve(state: Server | None, event: Event, aggregate_id: UUID) -> Server:
    match event:
        case ServerCreated():
            return Server(
                id=aggregate_id,
                name=event.name,
                owner_id=event.owner_id,
                general_channel_id=event.general_channel_id,
            )
        case ServerRenamed() if state is not None:
            return state.model_copy(update={"name": event.name})
    raise TypeError(f"Server cannot apply {event.type_name()}")
