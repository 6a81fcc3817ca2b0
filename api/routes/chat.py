"""Servers, channels, members and messages (``/api/v1``); see docs/protocol/api.md."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from api.deps import ApiContext, Context, CurrentUser
from api.errors import ApiError
from api.readback import member_server, projected
from api.schemas import (
    MAX_PAGE,
    CreateChannel,
    CreateServer,
    EditMessage,
    OpenDm,
    PostMessage,
    UpdateChannel,
)
from domain.errors import NotFound
from projections.chat_models import (
    ChannelView,
    MemberView,
    MessageVersionView,
    MessageView,
    ServerView,
    UserView,
)

router = APIRouter(prefix="/api/v1")


@router.post("/servers", status_code=status.HTTP_201_CREATED)
def create_server(body: CreateServer, ctx: Context, user: CurrentUser) -> ServerView:
    server_id, recorded = ctx.commands.create_server(user, body.name)
    projected(ctx, recorded)
    return member_server(ctx, user, server_id)


@router.get("/servers")
def list_servers(ctx: Context, user: CurrentUser) -> list[ServerView]:
    return ctx.reader.servers_of(user)


@router.get("/servers/{server_id}")
def get_server(server_id: UUID, ctx: Context, user: CurrentUser) -> ServerView:
    return member_server(ctx, user, server_id)


@router.delete("/servers/{server_id}/members/{member_id}", status_code=204)
def remove_member(server_id: UUID, member_id: UUID, ctx: Context, user: CurrentUser) -> Response:
    projected(ctx, ctx.commands.leave_server(user, server_id, member_id))
    return Response(status_code=204)


@router.get("/servers/{server_id}/members")
def list_members(
    server_id: UUID,
    ctx: Context,
    user: CurrentUser,
    after: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[MemberView]:
    member_server(ctx, user, server_id)
    return ctx.reader.members_of(server_id, after, limit)


@router.get("/servers/{server_id}/channels")
def list_channels(server_id: UUID, ctx: Context, user: CurrentUser) -> list[ChannelView]:
    member_server(ctx, user, server_id)
    member = ctx.commands.membership_of(server_id, user)
    return ctx.reader.channels_of(server_id, include_private=bool(member and member.moderates))


@router.post("/servers/{server_id}/channels", status_code=status.HTTP_201_CREATED)
def create_channel(
    server_id: UUID, body: CreateChannel, ctx: Context, user: CurrentUser
) -> ChannelView:
    channel_id, recorded = ctx.commands.create_channel(
        user, server_id, body.name, body.kind, body.topic
    )
    projected(ctx, recorded)
    return _channel_view(ctx, user, channel_id)


def _channel_view(ctx: ApiContext, user: UUID, channel_id: UUID) -> ChannelView:
    channel = ctx.commands.readable_channel(user, channel_id)
    return ChannelView(
        id=channel.id,
        server_id=channel.server_id,
        name=channel.name,
        kind=channel.kind.value,
        topic=channel.topic,
        dm_members=list(channel.dm_members) if channel.dm_members else None,
    )


@router.get("/channels/{channel_id}")
def get_channel(channel_id: UUID, ctx: Context, user: CurrentUser) -> ChannelView:
    return _channel_view(ctx, user, channel_id)


@router.patch("/channels/{channel_id}")
def update_channel(
    channel_id: UUID, body: UpdateChannel, ctx: Context, user: CurrentUser
) -> ChannelView:
    projected(ctx, ctx.commands.update_channel(user, channel_id, body.name, body.topic))
    return _channel_view(ctx, user, channel_id)


@router.delete("/channels/{channel_id}", status_code=204)
def delete_channel(channel_id: UUID, ctx: Context, user: CurrentUser) -> Response:
    projected(ctx, ctx.commands.delete_channel(user, channel_id))
    return Response(status_code=204)


@router.post("/dms", status_code=status.HTTP_200_OK)
def open_dm(body: OpenDm, ctx: Context, user: CurrentUser) -> ChannelView:
    channel_id, recorded = ctx.commands.open_dm(user, body.user_id)
    projected(ctx, recorded)
    return _channel_view(ctx, user, channel_id)


@router.get("/users/me/dms")
def list_dms(ctx: Context, user: CurrentUser) -> list[ChannelView]:
    """The caller's DMs, oldest first: a client lists its conversations from one request."""
    return ctx.reader.dms_of(user)


@router.get("/users/{user_id}")
def get_user(user_id: UUID, ctx: Context, _caller: CurrentUser) -> UserView:
    """A user's public profile (id, username, display name), for a DM partner who shares no
    server with the caller; any signed-in user may ask, as for the user's keys."""
    found = ctx.reader.user(user_id)
    if found is None:
        raise NotFound("user not found")
    return found


@router.post("/channels/{channel_id}/messages", status_code=status.HTTP_201_CREATED)
def post_message(
    channel_id: UUID, body: PostMessage, ctx: Context, user: CurrentUser
) -> MessageView:
    message_id, recorded = ctx.commands.post_message(
        user,
        channel_id,
        body.message_body(),
        body.reply_to,
        body.ttl_seconds,
        tuple(body.attachments),
    )
    projected(ctx, recorded)
    return _message(ctx, message_id)


def _message(ctx: ApiContext, message_id: UUID) -> MessageView:
    view = ctx.reader.message(message_id)
    if view is None:
        raise NotFound("message not found")
    return view


@router.get("/channels/{channel_id}/messages")
def list_messages(
    channel_id: UUID,
    ctx: Context,
    user: CurrentUser,
    before: UUID | None = None,
    after: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> list[MessageView]:
    ctx.commands.readable_channel(user, channel_id)
    for cursor in (before, after):
        if cursor is not None:
            found = ctx.reader.message(cursor)
            if found is None or found.channel_id != channel_id:
                raise ApiError(
                    422, "invalid_cursor", "before/after must name a message of this channel"
                )
    return ctx.reader.messages(channel_id, before, after, limit)


def _readable_message(
    ctx: ApiContext, user: UUID, channel_id: UUID, message_id: UUID
) -> MessageView:
    ctx.commands.readable_channel(user, channel_id)
    view = ctx.reader.message(message_id)
    if view is None or view.channel_id != channel_id:
        raise NotFound("message not found")
    return view


@router.patch("/channels/{channel_id}/messages/{message_id}")
def edit_message(
    channel_id: UUID, message_id: UUID, body: EditMessage, ctx: Context, user: CurrentUser
) -> MessageView:
    _readable_message(ctx, user, channel_id, message_id)
    projected(ctx, ctx.commands.edit_message(user, message_id, body.message_body()))
    return _message(ctx, message_id)


@router.delete("/channels/{channel_id}/messages/{message_id}", status_code=204)
def delete_message(channel_id: UUID, message_id: UUID, ctx: Context, user: CurrentUser) -> Response:
    _readable_message(ctx, user, channel_id, message_id)
    projected(ctx, ctx.commands.delete_message(user, message_id))
    return Response(status_code=204)


@router.get("/channels/{channel_id}/messages/{message_id}/history")
def message_history(
    channel_id: UUID, message_id: UUID, ctx: Context, user: CurrentUser
) -> list[MessageVersionView]:
    """Every version of a message, for anyone who can read the channel (as on Discord
    clients that show "edited": the channel's readers saw each version anyway)."""
    _readable_message(ctx, user, channel_id, message_id)
    return ctx.reader.history(message_id)
