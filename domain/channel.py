"""The Channel aggregate: a public or private channel of a server, or a DM.

Messages are aggregates of their own, so a channel holding a million messages
is as small, and as fast to write to, as an empty one.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from domain.errors import AlreadyExists, Forbidden, InvalidCommand, NotFound
from domain.events import Event, Upcaster, catalogue
from domain.membership import Membership
from domain.text import display_name, topic


class ChannelKind(StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"
    DM = "dm"


def _channel_created_v1_to_v2(state: dict[str, Any]) -> dict[str, Any]:
    """v1 said ``private: bool``; v2 says ``kind`` so that DMs fit the same event."""
    upgraded = {key: value for key, value in state.items() if key != "private"}
    upgraded["kind"] = ChannelKind.PRIVATE if state.get("private") else ChannelKind.PUBLIC
    upgraded.setdefault("dm_members", None)
    return upgraded


@catalogue.register
class ChannelCreated(Event):
    class_version: ClassVar[int] = 2
    upcasters: ClassVar[dict[int, Upcaster]] = {1: _channel_created_v1_to_v2}

    server_id: UUID | None
    name: str
    kind: ChannelKind
    topic: str = ""
    dm_members: tuple[UUID, UUID] | None = None


@catalogue.register
class ChannelUpdated(Event):
    name: str
    topic: str
    by: UUID


@catalogue.register
class ChannelDeleted(Event):
    by: UUID


class Channel(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: UUID
    server_id: UUID | None
    name: str
    kind: ChannelKind
    topic: str
    dm_members: tuple[UUID, UUID] | None
    deleted: bool = False

    def readable_by(self, user_id: UUID, membership: Membership | None) -> bool:
        """Who may read: DM parties; server members for public; moderators for private."""
        if self.deleted:
            return False
        if self.kind is ChannelKind.DM:
            return self.dm_members is not None and user_id in self.dm_members
        if membership is None or not membership.active or membership.server_id != self.server_id:
            return False
        return self.kind is ChannelKind.PUBLIC or membership.moderates


def create(
    state: Channel | None,
    actor: Membership | None,
    server_id: UUID,
    name: str,
    kind: ChannelKind,
    channel_topic: str = "",
) -> list[Event]:
    if state is not None:
        raise AlreadyExists("channel already exists")
    if kind is ChannelKind.DM:
        raise InvalidCommand("a DM is opened between two users, not created in a server")
    if actor is None or not actor.moderates or actor.server_id != server_id:
        raise Forbidden("only moderators can create channels")
    return [
        ChannelCreated(
            server_id=server_id,
            name=display_name("name", name),
            kind=kind,
            topic=topic(channel_topic),
        )
    ]


def general(server_id: UUID) -> list[Event]:
    """The #general channel every new server starts with."""
    return [ChannelCreated(server_id=server_id, name="general", kind=ChannelKind.PUBLIC)]


def open_dm(state: Channel | None, user_a: UUID, user_b: UUID) -> list[Event]:
    """Open the DM between two users; opening it again changes nothing."""
    if user_a == user_b:
        raise InvalidCommand("a DM needs two different users")
    if state is not None:
        return []
    low, high = sorted((user_a, user_b))
    return [ChannelCreated(server_id=None, name="dm", kind=ChannelKind.DM, dm_members=(low, high))]


def update(
    state: Channel | None, actor: Membership | None, name: str | None, channel_topic: str | None
) -> list[Event]:
    """Rename and/or re-topic; a value left out (None) keeps the current one."""
    channel, moderator = _manageable(state, actor)
    new_name = channel.name if name is None else display_name("name", name)
    new_topic = channel.topic if channel_topic is None else topic(channel_topic)
    if (new_name, new_topic) == (channel.name, channel.topic):
        return []
    return [ChannelUpdated(name=new_name, topic=new_topic, by=moderator.user_id)]


def delete(state: Channel | None, actor: Membership | None) -> list[Event]:
    _, moderator = _manageable(state, actor)
    return [ChannelDeleted(by=moderator.user_id)]


def _manageable(state: Channel | None, actor: Membership | None) -> tuple[Channel, Membership]:
    """The channel and the moderator changing it; a non-reader learns nothing of it."""
    if state is None or actor is None or not state.readable_by(actor.user_id, actor):
        raise NotFound("channel not found")
    if state.kind is ChannelKind.DM or not actor.moderates:
        raise Forbidden("only moderators can change channels")
    return state, actor


def evolve(state: Channel | None, event: Event, aggregate_id: UUID) -> Channel:
    match event:
        case ChannelCreated():
            return Channel(
                id=aggregate_id,
                server_id=event.server_id,
                name=event.name,
                kind=event.kind,
                topic=event.topic,
                dm_members=event.dm_members,
            )
        case ChannelUpdated() if state is not None:
            return state.model_copy(update={"name": event.name, "topic": event.topic})
        case ChannelDeleted() if state is not None:
            return state.model_copy(update={"deleted": True})
    raise TypeError(f"Channel cannot apply {event.type_name()}")
