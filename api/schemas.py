"""Request bodies of the chat API (responses are the chat view's own models)."""

from __future__ import annotations

from typing import Annotated, Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.channel import ChannelKind
from domain.file import FILE_ID_PATTERN, MAX_ATTACHMENTS
from domain.keys import MAX_KEY_TEXT
from domain.message import (
    MAX_CIPHERTEXT_TEXT,
    MAX_TTL_SECONDS,
    EncryptedBody,
    InitialMessage,
    MessageBody,
)

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


class EditMessage(_Body):
    """Plaintext ``content``, or an encrypted message: the fields of e2ee.md's
    EncryptedMessage JSON (``version``, ``ciphertext``, ``header``, ``initial``), so a client
    can send ``encryptedMessageToJson``'s output as it is. Which of the two a channel takes
    is a domain rule (``domain.message.requires_encryption``)."""

    content: str | None = Field(default=None, max_length=100_000)
    version: Literal[1] | None = None
    ciphertext: str | None = Field(default=None, max_length=MAX_CIPHERTEXT_TEXT)
    header: str | None = Field(default=None, max_length=MAX_KEY_TEXT)
    initial: InitialMessage | None = None

    @model_validator(mode="after")
    def _content_or_ciphertext(self) -> Self:
        encrypted = (self.version, self.ciphertext, self.header, self.initial) != (None,) * 4
        if self.content is not None and encrypted:
            raise ValueError("give content or an encrypted message, not both")
        if self.content is None and (self.ciphertext is None or self.header is None):
            raise ValueError("give content, or an encrypted message's ciphertext and header")
        return self

    def message_body(self) -> MessageBody:
        if self.content is not None:
            return self.content
        fields = {"ciphertext": self.ciphertext, "header": self.header, "initial": self.initial}
        return EncryptedBody.model_validate(fields)


class PostMessage(EditMessage):
    reply_to: UUID | None = None
    ttl_seconds: int | None = Field(default=None, ge=1, le=MAX_TTL_SECONDS)
    attachments: list[Annotated[str, Field(pattern=FILE_ID_PATTERN)]] = Field(
        default_factory=list, max_length=MAX_ATTACHMENTS
    )
    """File ids from ``POST /api/v1/upload`` (docs/protocol/files.md)."""


class CreateInvite(_Body):
    max_uses: int | None = Field(default=None, ge=1, le=1000)
    max_age_seconds: int | None = Field(default=7 * 24 * 3600, ge=60, le=30 * 24 * 3600)


class OpenDm(_Body):
    user_id: UUID
