"""What the routers are given: the use cases, the read side and the caller's identity.

Routers never build their dependencies; the composition root fills ``ApiContext``
and installs it on the app, and these functions hand its parts to the routes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Protocol
from uuid import UUID

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.chat_commands import ChatCommands
from api.errors import ApiError
from api.ports import ReadYourWrites
from projections.ports import ChatViewReader


@dataclass(frozen=True)
class Caller:
    """Who an access token speaks for: a user, in one of their sessions."""

    user_id: UUID
    session_id: UUID


class TokenVerifier(Protocol):
    def user_id(self, token: str) -> UUID:
        """The user an access token names; raises ApiError(401) when it is not valid."""
        ...

    def caller(self, token: str) -> Caller:
        """The user and session of a valid access token; ApiError(401) otherwise."""
        ...


@dataclass
class ApiContext:
    commands: ChatCommands
    reader: ChatViewReader
    projected: ReadYourWrites
    tokens: TokenVerifier


def context(request: Request) -> ApiContext:
    ctx: ApiContext = request.app.state.context
    return ctx


_bearer = HTTPBearer(auto_error=False)


def current_caller(
    ctx: Annotated[ApiContext, Depends(context)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """The one check of the access token, on every route that needs a signed-in user."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiError(
            401,
            "unauthenticated",
            "a bearer access token is required",
            {"WWW-Authenticate": "Bearer"},
        )
    return ctx.tokens.caller(credentials.credentials)


def current_user(caller: Annotated[Caller, Depends(current_caller)]) -> UUID:
    return caller.user_id


Context = Annotated[ApiContext, Depends(context)]
CurrentUser = Annotated[UUID, Depends(current_user)]
CurrentCaller = Annotated[Caller, Depends(current_caller)]
