"""Message search in a server (``GET /api/v1/servers/{id}/search``); see docs/protocol/api.md.

The index holds public channels only, so a member of the server may see every result it
gives; a non-member learns nothing, not even that the server exists.
"""

from __future__ import annotations

import logging
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from api.deps import ApiContext, Context, CurrentUser
from api.errors import ApiError
from api.readback import member_server
from api.schemas import MAX_PAGE
from domain.errors import NotFound
from domain.hlc import HLC
from projections.search_models import (
    MAX_QUERY_CHARS,
    InvalidQuery,
    SearchHit,
    SearchQuery,
    parse_query,
)
from projections.search_ports import SearchIndexReader, SearchUnavailable

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1")


class SearchPage(BaseModel):
    results: list[SearchHit]
    """Newest first."""
    next_before: UUID | None
    """Pass as ``before`` for the next (older) page; null on the last page."""


def _index(request: Request) -> SearchIndexReader:
    index: SearchIndexReader = request.app.state.search
    return index


def _cursor_hlc(ctx: ApiContext, user: UUID, server_id: UUID, before: UUID) -> HLC:
    """The time of the message ``before`` names, which must be in this server."""
    message = ctx.reader.message(before)
    if message is not None:
        try:
            channel = ctx.commands.readable_channel(user, message.channel_id)
        except NotFound:
            channel = None
        if channel is not None and channel.server_id == server_id:
            return HLC.parse(message.hlc)
    raise ApiError(422, "invalid_cursor", "before must name a message of this server")


@router.get("/servers/{server_id}/search")
def search_messages(
    server_id: UUID,
    request: Request,
    ctx: Context,
    user: CurrentUser,
    q: Annotated[str, Query(max_length=MAX_QUERY_CHARS)],
    channel_id: UUID | None = None,
    author_id: UUID | None = None,
    before: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 25,
) -> SearchPage:
    member_server(ctx, user, server_id)
    try:
        terms = parse_query(q)
    except InvalidQuery as error:
        raise ApiError(422, "invalid_query", str(error)) from None
    if channel_id is not None:
        channel = ctx.commands.readable_channel(user, channel_id)
        if channel.server_id != server_id:
            raise NotFound("channel not found")
    query = SearchQuery(
        server_id=server_id,
        terms=terms,
        channel_id=channel_id,
        author_id=author_id,
        before=None if before is None else _cursor_hlc(ctx, user, server_id, before),
        limit=limit + 1,
    )
    try:
        hits = _index(request).search(query)
    except SearchUnavailable:
        log.exception("search index unavailable")
        raise ApiError(503, "search_unavailable", "search is unavailable; retry later") from None
    more = len(hits) > limit
    return SearchPage(
        results=hits[:limit], next_before=hits[limit - 1].message_id if more else None
    )
