"""Registration and login (``/api/v1/auth``)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, ConfigDict, Field

from api.accounts import Accounts

router = APIRouter(prefix="/api/v1/auth")


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(max_length=256)
    password: str = Field(max_length=4096)


class SessionOut(BaseModel):
    user_id: UUID
    access_token: str
    token_type: str = "Bearer"


def _accounts(request: Request) -> Accounts:
    accounts: Accounts = request.app.state.accounts
    return accounts


@router.post("/register", status_code=status.HTTP_201_CREATED)
def register(body: Credentials, request: Request) -> SessionOut:
    session = _accounts(request).register(body.username, body.password)
    return SessionOut(user_id=session.user_id, access_token=session.access_token)


@router.post("/login")
def login(body: Credentials, request: Request) -> SessionOut:
    session = _accounts(request).login(body.username, body.password)
    return SessionOut(user_id=session.user_id, access_token=session.access_token)
