"""The key directory for end-to-end encrypted DMs; see docs/protocol/api.md "Keys" and
docs/protocol/e2ee.md "Key upload and bundle"."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel

from api.deps import Context, CurrentUser
from api.key_directory import KeyDirectory
from api.readback import projected
from domain.errors import NotFound
from domain.keys import Bundle, KeyUpload
from projections.chat_models import IdentityKeyView

router = APIRouter(prefix="/api/v1")


class PrekeyCount(BaseModel):
    one_time_prekeys: int
    """One-time prekeys the user still has on the node; clients upload a batch below 20."""


def _key_directory(request: Request) -> KeyDirectory:
    directory: KeyDirectory = request.app.state.key_directory
    return directory


Directory = Annotated[KeyDirectory, Depends(_key_directory)]


@router.post("/keys")
def upload_keys(
    body: KeyUpload, directory: Directory, ctx: Context, user: CurrentUser
) -> PrekeyCount:
    held, recorded = directory.publish(user, body)
    projected(ctx, recorded)
    return PrekeyCount(one_time_prekeys=held)


@router.get("/keys/count")
def count_keys(directory: Directory, user: CurrentUser) -> PrekeyCount:
    return PrekeyCount(one_time_prekeys=directory.one_time_prekey_count(user))


@router.get("/users/{user_id}/keys")
def fetch_bundle(
    user_id: UUID, directory: Directory, user: CurrentUser, response: Response
) -> Bundle:
    """Hands out (and so consumes) one one-time prekey: never cache or replay the answer."""
    response.headers["Cache-Control"] = "no-store"
    return directory.bundle(user_id)


@router.get("/users/{user_id}/identity-key")
def identity_key(user_id: UUID, ctx: Context, user: CurrentUser) -> IdentityKeyView:
    """The current identity key without consuming a prekey: how a DM partner notices a change."""
    view = ctx.reader.identity_key(user_id)
    if view is None:
        raise NotFound("this user has published no identity key")
    return view
