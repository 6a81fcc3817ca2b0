"""Invites: create, preview, join with, and revoke (``/api/v1``)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Response, status
from pydantic import BaseModel

from api.deps import Context, CurrentUser
from api.errors import ApiError
from api.readback import member_server, projected
from api.schemas import CreateInvite
from domain.invite import CODE_ALPHABET, CODE_LENGTH
from projections.chat_models import ServerView

router = APIRouter(prefix="/api/v1")
Code = Annotated[str, Path(min_length=CODE_LENGTH, max_length=CODE_LENGTH)]


class InviteView(BaseModel):
    code: str
    server_id: UUID
    server_name: str
    max_uses: int | None
    uses: int
    expires_at_ms: int | None


def _checked(code: str) -> str:
    if any(char not in CODE_ALPHABET for char in code):
        raise ApiError(404, "not_found", "invite not found or no longer valid")
    return code


@router.post("/servers/{server_id}/invites", status_code=status.HTTP_201_CREATED)
def create_invite(
    server_id: UUID, body: CreateInvite, ctx: Context, user: CurrentUser
) -> InviteView:
    code, recorded = ctx.commands.create_invite(
        user, server_id, body.max_uses, body.max_age_seconds
    )
    projected(ctx, recorded)
    return preview_invite(code, ctx, user)


@router.get("/invites/{code}")
def preview_invite(code: Code, ctx: Context, user: CurrentUser) -> InviteView:
    invite = ctx.commands.invite(_checked(code))
    server = ctx.reader.server(invite.server_id)
    if server is None:
        raise ApiError(404, "not_found", "invite not found or no longer valid")
    return InviteView(
        code=code,
        server_id=server.id,
        server_name=server.name,
        max_uses=invite.max_uses,
        uses=invite.uses,
        expires_at_ms=invite.expires_at_ms,
    )


@router.post("/invites/{code}", status_code=status.HTTP_201_CREATED)
def join_with_invite(code: Code, ctx: Context, user: CurrentUser) -> ServerView:
    server_id, recorded = ctx.commands.join_by_invite(user, _checked(code))
    projected(ctx, recorded)
    return member_server(ctx, user, server_id)


@router.delete("/servers/{server_id}/invites/{code}", status_code=204)
def revoke_invite(server_id: UUID, code: Code, ctx: Context, user: CurrentUser) -> Response:
    projected(ctx, ctx.commands.revoke_invite(user, server_id, _checked(code)))
    return Response(status_code=204)
