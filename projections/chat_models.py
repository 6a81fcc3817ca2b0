"""What the chat view answers: rows as the API returns them."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict

from domain.message import InitialMessage


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True)


class ServerView(_Row):
    id: UUID
    name: str
    owner_id: UUID
    general_channel_id: UUID


class ChannelView(_Row):
    id: UUID
    server_id: UUID | None
    name: str
    kind: str
    topic: str
    dm_members: list[UUID] | None


class MemberView(_Row):
    user_id: UUID
    username: str | None
    display_name: str | None
    role: str
    joined_hlc: str


class VersionBody(_Row):
    """What one version of a message says: plaintext ``content``, or an end-to-end encrypted
    message (``ciphertext``, ``header``, ``initial``; docs/protocol/e2ee.md). All are null once
    the message is deleted."""

    content: str | None = None
    ciphertext: str | None = None
    header: str | None = None
    initial: InitialMessage | None = None


class MessageView(_Row):
    id: UUID
    channel_id: UUID
    author_id: UUID
    content: str | None
    ciphertext: str | None
    header: str | None
    initial: InitialMessage | None
    reply_to: UUID | None
    hlc: str
    edited_hlc: str | None
    deleted: bool
    expires_at_ms: int | None
    attachments: list[str] = []
    """File ids (docs/protocol/files.md); empty once the message is deleted."""


class FileReference(_Row):
    """A live message that attaches a file: who may download it depends on its channel."""

    message_id: UUID
    channel_id: UUID
    author_id: UUID


class MessageVersionView(_Row):
    version: int
    content: str | None
    ciphertext: str | None
    header: str | None
    initial: InitialMessage | None
    hlc: str


class UserView(_Row):
    id: UUID
    username: str | None
    display_name: str | None


class IdentityKeyView(_Row):
    """A user's current identity key, and the one it replaced: what their DM partners check
    (docs/protocol/e2ee.md, "Identity key changes")."""

    user_id: UUID
    identity_key: str
    previous_identity_key: str | None
    published_hlc: str
