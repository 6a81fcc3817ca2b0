"""Read markers and opt-in read receipts (``/api/v1``).

Everyone's own marker is kept (it drives unread counts on their other devices).
Receipts are shown only between people who both chose to share them, and never
leave this node.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict

from api.deps import Context, CurrentUser
from api.ports import ReadMarker, ReadState
from domain.errors import DomainError, NotFound

router = APIRouter(prefix="/api/v1")
RECEIPTS_SHOWN = 100


class MarkRead(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message_id: UUID


class ReceiptChoice(BaseModel):
    model_config = ConfigDict(extra="forbid")
    read_receipts: bool


def _reads(request: Request) -> ReadState:
    reads: ReadState = request.app.state.reads
    return reads


@router.put("/channels/{channel_id}/read", status_code=204)
def mark_read(
    channel_id: UUID, body: MarkRead, request: Request, ctx: Context, user: CurrentUser
) -> Response:
    ctx.commands.readable_channel(user, channel_id)
    message = ctx.reader.message(body.message_id)
    if message is None or message.channel_id != channel_id:
        raise NotFound("message not found")
    _reads(request).mark_read(user, channel_id, message.id, message.hlc)
    return Response(status_code=204)


@router.get("/users/me/read-markers")
def my_markers(request: Request, user: CurrentUser) -> list[ReadMarker]:
    return _reads(request).markers_of(user)


@router.get("/users/me/read-receipts")
def my_choice(request: Request, user: CurrentUser) -> ReceiptChoice:
    return ReceiptChoice(read_receipts=_reads(request).shares_receipts(user))


@router.put("/users/me/read-receipts")
def choose(body: ReceiptChoice, request: Request, user: CurrentUser) -> ReceiptChoice:
    _reads(request).choose(user, body.read_receipts)
    return body


@router.get("/channels/{channel_id}/receipts")
def receipts(
    channel_id: UUID, request: Request, ctx: Context, user: CurrentUser
) -> list[ReadMarker]:
    """Others' markers, for a caller who shares their own; only of people who can still read."""
    ctx.commands.readable_channel(user, channel_id)
    reads = _reads(request)
    if not reads.shares_receipts(user):
        return []
    shown = []
    for marker in reads.receipts(channel_id, RECEIPTS_SHOWN):
        if marker.user_id == user:
            continue
        try:
            ctx.commands.readable_channel(marker.user_id, channel_id)
        except DomainError:
            continue
        shown.append(marker)
    return shown
