"""Request bodies of the chat API (responses are the chat view's own models)."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from domain.channel import ChannelKind
from domain.message import MAX_TTL_SECONDS

MAX_PAGE = 100


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateServer(_Body):
    name: str = Field(max_length=1000)


class CreateChannel(_Body):
    name: str = Field(max_length=1000)
    kind: ChannelKind = ChannelKind.PUBLIC
    topic: str = Field(default="", max_length=10_000)


class UpdateChannel(_Body):
    """A partial update: a field left out keeps its value."""

    name: str | None = Field(default=None, max_length=1000)
    topic: str | None = Field(default=None, max_length=10_000)


class PostMessage(_Body):
    content: str = Field(max_length=100_000)
    reply_to: UUID | None = None
    ttl_seconds: int | None = Field(default=None, ge=1, le=MAX_TTL_SECONDS)


class EditMessage(_Body):
    content: str = Field(max_length=100_000)


class OpenDm(_Body):
    user_id: UUID
