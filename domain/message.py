"""The Message aggregate: one message, its edits and its deletion.

Every message is its own aggregate (a handful of events at most), so posting into
a channel never loads or locks anything that grows with the channel's history.
Content is sealed with the message's own data key: deleting the message, or its
TTL running out, destroys that key, and with it every version of the text, while
the tombstone and the history of what happened stay in the log.

A message says what it says in one of two ways. In a server's channels it is plaintext
``content``. In a DM (and later in encrypted private channels) it is an end-to-end
encrypted message (docs/protocol/e2ee.md, "Encrypted message"): ``ciphertext``, the Double
Ratchet ``header`` and, until the recipient has answered, the X3DH ``initial`` message. The
node checks their encoding and size only; it cannot read them, and refuses plaintext there.
They are sealed like content, so deleting the message shreds them too.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from domain import base64url
from domain.channel import Channel, ChannelKind
from domain.errors import AlreadyExists, Forbidden, InvalidCommand, NotFound
from domain.events import Event, catalogue
from domain.keys import IDENTITY_KEY_BYTES, MAX_KEY_TEXT, MAX_PREKEY_ID, PREKEY_BYTES
from domain.membership import Membership
from domain.text import message_body

MAX_TTL_SECONDS = 30 * 24 * 3600
HEADER_BYTES = 41
"""The Double Ratchet header: version, ratchet key, ``pn``, ``n`` (e2ee.md, "Limits")."""
MIN_CIPHERTEXT_BYTES = 16
"""An AEAD output is at least its Poly1305 tag."""
MAX_CIPHERTEXT_BYTES = 64 * 1024
"""The node cannot apply the 4000-character rule inside ciphertext; this bounds it instead,
with room for a 4000-character text in UTF-8 (at most 16 000 bytes) and client framing."""
MAX_CIPHERTEXT_TEXT = 2 * MAX_CIPHERTEXT_BYTES
"""An outer bound on the base64url text, for request parsing; the byte size is the rule."""
_SEALED_BODY = frozenset({"content", "ciphertext", "header", "initial"})


class InitialMessage(BaseModel):
    """The X3DH initial message (X3DH §3.3): what the recipient needs besides its own keys."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    identity_key: str = Field(max_length=MAX_KEY_TEXT)
    ephemeral_key: str = Field(max_length=MAX_KEY_TEXT)
    signed_prekey_id: int = Field(ge=0, le=MAX_PREKEY_ID)
    one_time_prekey_id: int | None = Field(ge=0, le=MAX_PREKEY_ID)


class EncryptedBody(BaseModel):
    """An end-to-end encrypted message as the node stores and relays it, base64url."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ciphertext: str = Field(max_length=MAX_CIPHERTEXT_TEXT)
    header: str = Field(max_length=MAX_KEY_TEXT)
    initial: InitialMessage | None = None


MessageBody = str | EncryptedBody
"""Plaintext content, or an encrypted message."""


class DeletionReason(StrEnum):
    DELETED = "deleted"
    EXPIRED = "expired"


@catalogue.register
class MessagePosted(Event):
    """``content`` for plaintext; ``ciphertext``, ``header`` and ``initial`` for an encrypted
    message. The encrypted fields were added with defaults, so version-1 payloads written
    before them read unchanged and ``class_version`` stays 1."""

    sealed_fields: ClassVar[frozenset[str]] = _SEALED_BODY

    channel_id: UUID
    author_id: UUID
    content: str | None
    reply_to: UUID | None = None
    expires_at_ms: int | None = None
    ciphertext: str | None = None
    header: str | None = None
    initial: InitialMessage | None = None
    attachments: tuple[str, ...] = ()
    """File ids (docs/protocol/files.md). Not sealed: a content hash says nothing by itself,
    and the file reaper must still read them after the message's key is shredded."""


@catalogue.register
class MessageEdited(Event):
    """The new version, in the same form as the post: plaintext or encrypted."""

    sealed_fields: ClassVar[frozenset[str]] = _SEALED_BODY

    content: str | None
    ciphertext: str | None = None
    header: str | None = None
    initial: InitialMessage | None = None


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
    encrypted: bool = False
    edits: int = 0
    deleted: bool = False


def requires_encryption(channel: Channel) -> bool:
    """Whose messages the node must not be able to read: a DM's."""
    return channel.kind is ChannelKind.DM


def _body_fields(body: MessageBody, encrypted: bool) -> dict[str, Any]:
    """The event fields for ``body``: plaintext where the node may read, ciphertext where not."""
    if not isinstance(body, EncryptedBody):
        if encrypted:
            raise InvalidCommand(
                "this conversation is end-to-end encrypted: send ciphertext and header, not content"
            )
        return {"content": message_body(body)}
    if not encrypted:
        raise InvalidCommand("this channel takes plaintext content, not ciphertext")
    return {"content": None, **_checked(body).model_dump()}


def _checked(body: EncryptedBody) -> EncryptedBody:
    """Encoding and size only (e2ee.md, "Encodings" and "Limits"): the rest is the peer's."""
    size = len(base64url.decode("ciphertext", body.ciphertext))
    if not MIN_CIPHERTEXT_BYTES <= size <= MAX_CIPHERTEXT_BYTES:
        raise InvalidCommand(
            f"ciphertext must encode {MIN_CIPHERTEXT_BYTES} to {MAX_CIPHERTEXT_BYTES} bytes"
        )
    base64url.decode_sized("header", body.header, HEADER_BYTES)
    if body.initial is not None:
        initial = body.initial
        base64url.decode_sized("initial.identity_key", initial.identity_key, IDENTITY_KEY_BYTES)
        base64url.decode_sized("initial.ephemeral_key", initial.ephemeral_key, PREKEY_BYTES)
    return body


def post(
    state: Message | None,
    channel: Channel | None,
    author_id: UUID,
    membership: Membership | None,
    body: MessageBody,
    reply_to: Message | None,
    reply_to_id: UUID | None,
    now_ms: int,
    ttl_seconds: int | None = None,
    attachments: tuple[str, ...] = (),
) -> list[Event]:
    """Post into a channel the author can read; a reply must point into the same channel.
    A DM takes only encrypted messages, every other channel only plaintext. Whether the author
    may attach ``attachments`` is ``domain.file.require_attachable``'s decision."""
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
            reply_to=reply_to_id,
            expires_at_ms=None if ttl_seconds is None else now_ms + ttl_seconds * 1000,
            attachments=attachments,
            **_body_fields(body, requires_encryption(channel)),
        )
    ]


def edit(state: Message | None, actor_id: UUID, body: MessageBody) -> list[Event]:
    """Only the author edits, in the form of the original post; every version stays in the
    history until deletion."""
    message = _live(state)
    if message.author_id != actor_id:
        raise Forbidden("only the author can edit a message")
    return [MessageEdited(**_body_fields(body, message.encrypted))]


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
                encrypted=event.ciphertext is not None,
            )
        case MessageEdited() if state is not None:
            return state.model_copy(update={"edits": state.edits + 1})
        case MessageDeleted() if state is not None:
            return state.model_copy(update={"deleted": True})
    raise TypeError(f"Message cannot apply {event.type_name()}")
