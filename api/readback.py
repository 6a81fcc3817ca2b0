"""Answering a write from the chat view: wait until it shows the write, then read it."""

from __future__ import annotations

from uuid import UUID

from api.deps import ApiContext
from api.errors import ApiError
from domain.errors import NotFound
from domain.events import Recorded
from projections.chat_models import ServerView


def projected(ctx: ApiContext, recorded: Recorded | None) -> None:
    """Read-your-writes: answer only once the chat view shows the write."""
    if recorded is not None and not ctx.projected.wait_until(recorded.position):
        raise ApiError(
            503, "view_lagging", "the write is saved but not yet visible; retry the read"
        )


def member_server(ctx: ApiContext, user: UUID, server_id: UUID) -> ServerView:
    """The server, if ``user`` is a member; otherwise NotFound, revealing nothing."""
    server = ctx.reader.server(server_id)
    if server is None or ctx.commands.membership_of(server_id, user) is None:
        raise NotFound("server not found")
    return server
