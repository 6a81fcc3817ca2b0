"""What the projections need from storage, as interfaces the infra layer implements."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

from domain.hlc import HLC
from projections.chat_models import (
    ChannelView,
    MemberView,
    MessageVersionView,
    MessageView,
    ServerView,
    UserView,
)


class ChatViewWriter(Protocol):
    """Writes to the chat view, inside the transaction that also moves its position."""

    def upsert_user(
        self, user_id: UUID, username: str | None, display_name: str | None
    ) -> None: ...
    def forget_user(self, user_id: UUID) -> None: ...
    def add_server(
        self, server_id: UUID, name: str, owner_id: UUID, general_channel_id: UUID, hlc: HLC
    ) -> None: ...
    def rename_server(self, server_id: UUID, name: str) -> None: ...
    def add_channel(
        self,
        channel_id: UUID,
        server_id: UUID | None,
        name: str,
        kind: str,
        topic: str,
        dm_members: tuple[UUID, UUID] | None,
        hlc: HLC,
    ) -> None: ...
    def update_channel(self, channel_id: UUID, name: str, topic: str) -> None: ...
    def delete_channel(self, channel_id: UUID) -> None: ...
    def add_member(
        self, membership_id: UUID, server_id: UUID, user_id: UUID, role: str, hlc: HLC
    ) -> None: ...
    def set_member_role(self, membership_id: UUID, role: str) -> None: ...
    def remove_member(self, membership_id: UUID) -> None: ...
    def add_message(
        self,
        message_id: UUID,
        channel_id: UUID,
        author_id: UUID,
        content: str | None,
        reply_to: UUID | None,
        expires_at_ms: int | None,
        hlc: HLC,
    ) -> None: ...
    def edit_message(
        self, message_id: UUID, version: int, content: str | None, hlc: HLC
    ) -> None: ...
    def delete_message(self, message_id: UUID, hlc: HLC) -> None: ...


class ChatViewReader(Protocol):
    """Queries on the chat view; each answers from one consistent snapshot."""

    def servers_of(self, user_id: UUID) -> list[ServerView]: ...
    def server(self, server_id: UUID) -> ServerView | None: ...
    def channels_of(self, server_id: UUID, include_private: bool) -> list[ChannelView]: ...
    def members_of(self, server_id: UUID, after: UUID | None, limit: int) -> list[MemberView]: ...
    def messages(
        self, channel_id: UUID, before: UUID | None, after: UUID | None, limit: int
    ) -> list[MessageView]: ...
    def message(self, message_id: UUID) -> MessageView | None: ...
    def history(self, message_id: UUID) -> list[MessageVersionView]: ...
    def expired_messages(self, now_ms: int, limit: int) -> list[UUID]: ...
    def user(self, user_id: UUID) -> UserView | None: ...
