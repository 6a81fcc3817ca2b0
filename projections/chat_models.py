"""What the chat view answers: rows as the API returns them."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict


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


class MessageView(_Row):
    id: UUID
    channel_id: UUID
    author_id: UUID
    content: str | None
    reply_to: UUID | None
    hlc: str
    edited_hlc: str | None
    deleted: bool
    expires_at_ms: int | None


class MessageVersionView(_Row):
    version: int
    content: str | None
    hlc: str


class UserView(_Row):
    id: UUID
    username: str | None
    display_name: str | None
