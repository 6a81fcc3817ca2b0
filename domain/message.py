"""The Message aggregate: one message, its edits and its deletion.

Every message is its own aggregate (a handful of events at most), so posting into
a channel never loads or locks anything that grows with the channel's history.
Content is sealed with the message's own data key: deleting the message, or its
TTL running out, destroys that key, and with it every version of the text, while
the tombstone and the history of what happened stay in the log.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from domain.channel import Channel
from domain.errors import AlreadyExists, Forbidden, InvalidCommand, NotFound
from domain.events import Event, catalogue
from domain.membership import Membership
from domain.text import message_body

MAX_TTL_SECONDS = 30 * 24 * 3600


class DeletionReason(StrEnum):
    DELETED = "deleted"
    EXPIRED = "expired"


@catalogue.register
class MessagePosted(Event):
    sealed_fields: ClassVar[frozenset[str]] = frozenset({"content"})

    channel_id: UUID
    author_id: UUID
    content: str | None
    reply_to: UUID | None = None
    expires_at_ms: int | None = None


@catalogue.register
class MessageEdited(Event):
    sealed_fields: ClassVar[frozenset[str]] = frozenset({"content"})

    content: str | None


@catalogue.register
class MessageDeleted(Event):
    by: UUID | None
    reason: DeletionReason


class Message(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: UUID
    channel_id: UUID
    author_id: UUID
    expires_at_ms: int | None
    edits: int = 0
    deleted: bool = False


def post(
    state: Message | None,
    channel: Channel | None,
    author_id: UUID,
    membership: Membership | None,
    content: str,
    reply_to: Message | None,
    reply_to_id: UUID | None,
    now_ms: int,
    ttl_seconds: int | None = None,
) -> list[Event]:
    """Post into a channel the author can read; a reply must point into the same channel."""
    if state is not None:
        raise AlreadyExists("message already exists")
    if channel is None or not channel.readable_by(author_id, membership):
        raise NotFound("channel not found")
    if reply_to_id is not None and (
        reply_to is None or reply_to.deleted or reply_to.channel_id != channel.id
    ):
        raise InvalidCommand("reply_to must name a live message in the same channel")
    if ttl_seconds is not None and not 1 <= ttl_seconds <= MAX_TTL_SECONDS:
        raise InvalidCommand(f"ttl_seconds must be between 1 and {MAX_TTL_SECONDS}")
    return [
        MessagePosted(
            channel_id=channel.id,
            author_id=author_id,
            content=message_body(content),
            reply_to=reply_to_id,
            expires_at_ms=None if ttl_seconds is None else now_ms + ttl_seconds * 1000,
        )
    ]


def edit(state: Message | None, actor_id: UUID, content: str) -> list[Event]:
    """Only the author edits; every version stays in the history until deletion."""
    message = _live(state)
    if message.author_id != actor_id:
        raise Forbidden("only the author can edit a message")
    return [MessageEdited(content=message_body(content))]


def delete(state: Message | None, actor_id: UUID, actor: Membership | None) -> list[Event]:
    """The author deletes their own message; a moderator of the server deletes any."""
    message = _live(state)
    if message.author_id != actor_id and (actor is None or not actor.moderates):
        raise Forbidden("only the author or a moderator can delete a message")
    return [MessageDeleted(by=actor_id, reason=DeletionReason.DELETED)]


def expire(state: Message | None, now_ms: int) -> list[Event]:
    """The TTL sweeper's deletion: only once the message's time has run out."""
    if state is None or state.deleted:
        return []
    if state.expires_at_ms is None or state.expires_at_ms > now_ms:
        raise InvalidCommand("message has not expired")
    return [MessageDeleted(by=None, reason=DeletionReason.EXPIRED)]


def _live(state: Message | None) -> Message:
    if state is None or state.deleted:
        raise NotFound("message not found")
    return state


def evolve(state: Message | None, event: Event, aggregate_id: UUID) -> Message:
    match event:
        case MessagePosted():
            return Message(
                id=aggregate_id,
                channel_id=event.channel_id,
                author_id=event.author_id,
                expires_at_ms=event.expires_at_ms,
            )
        case MessageEdited() if state is not None:
            return state.model_copy(update={"edits": state.edits + 1})
        case MessageDeleted() if state is not None:
            return state.model_copy(update={"deleted": True})
    raise TypeError(f"Message cannot apply {event.type_name()}")
