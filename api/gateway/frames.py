"""Turning recorded events into gateway frames, once per event, whoever receives them.

A frame carries the serialised JSON text (built once, so fan-out to a thousand
subscribers costs one serialisation) and the routing facts the hub needs: the
channel or server the event belongs to, and how it changes who may read what.
Routing facts that an event does not carry (the channel of an edited message,
the server of a membership) come from the aggregates, loaded by id.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from uuid import UUID

from api.ports import EventLog
from domain import aggregates as ag
from domain.channel import ChannelCreated, ChannelDeleted, ChannelKind, ChannelUpdated
from domain.events import Recorded
from domain.identity_keys import IdentityKeyPublished
from domain.membership import MemberJoined, MemberLeft, MemberRoleChanged, Role
from domain.message import MessageDeleted, MessageEdited, MessagePosted
from domain.server import ServerRenamed
from domain.user import UserDeleted, UserProfileUpdated

ChannelsFor = Callable[[UUID, Role], frozenset[UUID]]
"""What a member with a role may read in a server (answered by the chat view)."""


@dataclass(frozen=True)
class Grant:
    """A user's access in one server changed: they now read exactly ``channel_ids`` there."""

    user_id: UUID
    server_id: UUID
    role: Role | None
    channel_ids: frozenset[UUID]


@dataclass(frozen=True)
class Frame:
    position: int
    text: str
    channel_id: UUID | None = None
    """Deliver to subscribers of this channel."""
    server_id: UUID | None = None
    """Deliver to connections of members of this server."""
    user_ids: tuple[UUID, ...] = ()
    """Deliver to these users' connections (DM parties, the member who joined or left)."""
    private: bool = False
    """A new channel readable by moderators only."""
    grant: Grant | None = None
    to_users: tuple[UUID, ...] = ()
    """Deliver straight to these users' connections (an identity key to DM partners)."""
    closes_channel: bool = False
    dm_members: tuple[UUID, UUID] | None = None


def dispatch_text(recorded: Recorded, context: dict[str, str]) -> str:
    body = {**recorded.envelope.to_wire(), **context}
    return json.dumps(
        {"op": "dispatch", "d": body, "s": recorded.position},
        ensure_ascii=False,
        separators=(",", ":"),
    )


@dataclass
class FrameBuilder:
    """Builds frames from the log; ``channels_for`` says what a role may read in a server."""

    log: EventLog
    channels_for: ChannelsFor
    dm_partners: Callable[[UUID], list[UUID]]
    _cache: dict[UUID, UUID] = field(default_factory=dict)

    def build(self, batch: Sequence[Recorded]) -> list[Frame]:
        frames = []
        for recorded in batch:
            frame = self._frame(recorded)
            if frame is not None:
                frames.append(frame)
        return frames

    def _frame(self, recorded: Recorded) -> Frame | None:
        event, aggregate_id = recorded.envelope.event, recorded.envelope.aggregate_id
        match event:
            case MessagePosted():
                self._remember(aggregate_id, event.channel_id)
                return self._channel_frame(recorded, event.channel_id)
            case MessageEdited() | MessageDeleted():
                channel_id = self._channel_of_message(aggregate_id)
                return None if channel_id is None else self._channel_frame(recorded, channel_id)
            case ChannelCreated() if event.kind is ChannelKind.DM:
                return Frame(
                    recorded.position,
                    dispatch_text(recorded, {}),
                    channel_id=aggregate_id,
                    user_ids=event.dm_members or (),
                    dm_members=event.dm_members,
                )
            case ChannelCreated():
                return Frame(
                    recorded.position,
                    dispatch_text(recorded, {"server_id": str(event.server_id)}),
                    channel_id=aggregate_id,
                    server_id=event.server_id,
                    private=event.kind is ChannelKind.PRIVATE,
                )
            case ChannelUpdated():
                return self._channel_frame(recorded, aggregate_id)
            case ChannelDeleted():
                context = {"channel_id": str(aggregate_id)}
                text = dispatch_text(recorded, context)
                return Frame(recorded.position, text, channel_id=aggregate_id, closes_channel=True)
            case MemberJoined() | MemberRoleChanged() | MemberLeft():
                return self._member_frame(recorded)
            case ServerRenamed():
                context = {"server_id": str(aggregate_id)}
                return Frame(
                    recorded.position, dispatch_text(recorded, context), server_id=aggregate_id
                )
            case IdentityKeyPublished():
                return Frame(
                    recorded.position,
                    dispatch_text(recorded, {}),
                    to_users=(event.user_id, *self.dm_partners(event.user_id)),
                )
            case UserProfileUpdated() | UserDeleted():
                return Frame(
                    recorded.position, dispatch_text(recorded, {}), user_ids=(aggregate_id,)
                )
        return None

    def _channel_frame(self, recorded: Recorded, channel_id: UUID) -> Frame:
        context = {"channel_id": str(channel_id)}
        return Frame(recorded.position, dispatch_text(recorded, context), channel_id=channel_id)

    def _member_frame(self, recorded: Recorded) -> Frame | None:
        member = self.log.load(ag.MEMBERSHIP, recorded.envelope.aggregate_id).state
        if member is None:
            return None
        event = recorded.envelope.event
        left = isinstance(event, MemberLeft)
        role = None if left else member.role
        readable = frozenset() if role is None else self.channels_for(member.server_id, role)
        context = {"server_id": str(member.server_id), "user_id": str(member.user_id)}
        return Frame(
            recorded.position,
            dispatch_text(recorded, context),
            server_id=member.server_id,
            user_ids=(member.user_id,),
            grant=Grant(member.user_id, member.server_id, role, readable),
        )

    def _remember(self, message_id: UUID, channel_id: UUID) -> None:
        if len(self._cache) > 100_000:
            self._cache.clear()
        self._cache[message_id] = channel_id

    def _channel_of_message(self, message_id: UUID) -> UUID | None:
        if message_id not in self._cache:
            message = self.log.load(ag.MESSAGE, message_id).state
            if message is None:
                return None
            self._remember(message_id, message.channel_id)
        return self._cache[message_id]
