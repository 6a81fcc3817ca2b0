"""Accounts and authentication (``/api/v1/auth``, ``/api/v1/users/me``); see
docs/protocol/auth.md.

Every route is a plain ``def``: FastAPI runs it in its thread pool, so an Argon2
verification never holds up the event loop. The client address passed to the use
cases is only a rate-limit key; nothing stores it.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Cookie, Depends, Request, Response, status
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from api.accounts import Accounts, PasskeyInfo, SecondFactors, SignedIn, TwoFactorRequired
from api.deps import Caller, Context, CurrentCaller
from api.errors import ApiError

router = APIRouter(prefix="/api/v1")

REFRESH_COOKIE = "hearth_refresh"
REFRESH_COOKIE_PATH = "/api/v1/auth"
MAX_SECRET = 4096


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Credentials(_Body):
    username: str = Field(max_length=256)
    password: str = Field(max_length=MAX_SECRET)


class RefreshIn(_Body):
    refresh_token: str | None = Field(default=None, max_length=256)


class PasswordIn(_Body):
    password: str = Field(max_length=MAX_SECRET)


class ChangePasswordIn(_Body):
    current_password: str = Field(max_length=MAX_SECRET)
    new_password: str = Field(max_length=MAX_SECRET)


class CodeIn(_Body):
    code: str = Field(max_length=64)


class DisableTotpIn(_Body):
    password: str | None = Field(default=None, max_length=MAX_SECRET)
    code: str | None = Field(default=None, max_length=64)


class ChallengeIn(_Body):
    challenge_token: str = Field(max_length=256)


class TwoFactorLoginIn(ChallengeIn):
    code: str = Field(max_length=64)


class PasskeyRegisterIn(_Body):
    credential: dict[str, Any]
    name: str = Field(default="Passkey", min_length=1, max_length=64)


class PasskeyLoginIn(ChallengeIn):
    credential: dict[str, Any]


class SessionOut(BaseModel):
    user_id: UUID
    session_id: UUID
    access_token: str
    token_type: str = "Bearer"
    expires_in: int
    refresh_token: str
    username: str
    node: str
    """The node's name: the ``@node`` of ``username@node`` (auth.md "Session")."""


class ErrorOut(BaseModel):
    code: str
    message: str


class TwoFactorChallengeOut(BaseModel):
    challenge_token: str
    methods: list[str]
    expires_in: int


class TwoFactorRequiredOut(BaseModel):
    """The 401 of a login whose password was right, when a second factor must follow."""

    error: ErrorOut
    two_factor: TwoFactorChallengeOut


class SessionView(BaseModel):
    id: UUID
    created_at_ms: int
    last_used_at_ms: int
    current: bool


class TotpSetupOut(BaseModel):
    secret: str
    otpauth_uri: str


class RecoveryCodesOut(BaseModel):
    recovery_codes: list[str]


class SecondFactorsOut(BaseModel):
    totp_enabled: bool
    passkeys: int
    recovery_codes_left: int


class PasskeyView(BaseModel):
    id: str
    name: str
    created_at_ms: int
    last_used_at_ms: int | None


class PasskeyAdded(BaseModel):
    passkey: PasskeyView
    recovery_codes: list[str] | None


def _accounts(request: Request) -> Accounts:
    accounts: Accounts = request.app.state.accounts
    return accounts


def _second_factors(request: Request) -> SecondFactors:
    second_factors: SecondFactors = request.app.state.second_factors
    return second_factors


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


AccountsDep = Annotated[Accounts, Depends(_accounts)]
SecondFactorsDep = Annotated[SecondFactors, Depends(_second_factors)]
Client = Annotated[str, Depends(_client)]
RefreshCookie = Annotated[str | None, Cookie(alias=REFRESH_COOKIE, max_length=256)]


def _signed_in(response: Response, signed: SignedIn) -> SessionOut:
    """The tokens in the body, and the refresh token also as a cookie only the auth
    endpoints receive: httpOnly (no script reads it), Secure, SameSite=Strict (no
    other site's page can make the browser send it)."""
    response.set_cookie(
        REFRESH_COOKIE,
        signed.refresh_token,
        max_age=signed.refresh_expires_in,
        path=REFRESH_COOKIE_PATH,
        secure=True,
        httponly=True,
        samesite="strict",
    )
    return SessionOut(
        user_id=signed.user_id,
        session_id=signed.session_id,
        access_token=signed.access_token,
        expires_in=signed.expires_in,
        refresh_token=signed.refresh_token,
        username=signed.username,
        node=signed.node,
    )


def _clear_cookie(response: Response) -> None:
    response.delete_cookie(
        REFRESH_COOKIE, path=REFRESH_COOKIE_PATH, secure=True, httponly=True, samesite="strict"
    )


def _two_factor_required(challenge: TwoFactorRequired) -> JSONResponse:
    body = TwoFactorRequiredOut(
        error=ErrorOut(code="two_factor_required", message="a second factor is required"),
        two_factor=TwoFactorChallengeOut(
            challenge_token=challenge.challenge_token,
            methods=challenge.methods,
            expires_in=challenge.expires_in,
        ),
    )
    return JSONResponse(body.model_dump(), status_code=401)


def _passkey_view(info: PasskeyInfo) -> PasskeyView:
    return PasskeyView(
        id=info.id,
        name=info.name,
        created_at_ms=info.created_ms,
        last_used_at_ms=info.last_used_ms,
    )


@router.post("/auth/register", status_code=status.HTTP_201_CREATED)
def register(
    body: Credentials, accounts: AccountsDep, client: Client, response: Response
) -> SessionOut:
    return _signed_in(response, accounts.register(body.username, body.password, client))


@router.post(
    "/auth/login",
    response_model=SessionOut,
    responses={401: {"model": TwoFactorRequiredOut, "description": "a second factor is required"}},
)
def login(
    body: Credentials, accounts: AccountsDep, client: Client, response: Response
) -> SessionOut | JSONResponse:
    outcome = accounts.login(body.username, body.password, client)
    if isinstance(outcome, TwoFactorRequired):
        return _two_factor_required(outcome)
    return _signed_in(response, outcome)


@router.post("/auth/refresh")
def refresh(
    accounts: AccountsDep,
    response: Response,
    cookie: RefreshCookie = None,
    body: RefreshIn | None = None,
) -> SessionOut:
    token = (body.refresh_token if body else None) or cookie or ""
    return _signed_in(response, accounts.refresh(token))


_optional_bearer = HTTPBearer(auto_error=False)


@router.post("/auth/logout", status_code=204)
def logout(
    ctx: Context,
    accounts: AccountsDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_optional_bearer)],
    cookie: RefreshCookie = None,
    body: RefreshIn | None = None,
) -> Response:
    """End this session, named by the access token or else the refresh token."""
    caller: Caller | None = None
    if bearer is not None:
        try:
            caller = ctx.tokens.caller(bearer.credentials)
        except ApiError:
            caller = None  # an expired access token: the refresh token still names the session
    accounts.logout(caller, (body.refresh_token if body else None) or cookie)
    response = Response(status_code=204)
    _clear_cookie(response)
    return response


@router.post("/auth/logout-all", status_code=204)
def logout_all(caller: CurrentCaller, accounts: AccountsDep) -> Response:
    accounts.logout_all(caller)
    response = Response(status_code=204)
    _clear_cookie(response)
    return response


@router.get("/auth/sessions")
def sessions(caller: CurrentCaller, accounts: AccountsDep) -> list[SessionView]:
    return [
        SessionView(
            id=s.session_id,
            created_at_ms=s.created_ms,
            last_used_at_ms=s.last_used_ms,
            current=s.session_id == caller.session_id,
        )
        for s in accounts.sessions(caller)
    ]


@router.delete("/auth/sessions/{session_id}", status_code=204)
def revoke_session(session_id: UUID, caller: CurrentCaller, accounts: AccountsDep) -> Response:
    accounts.revoke_session(caller, session_id)
    return Response(status_code=204)


@router.post("/auth/password", status_code=204)
def change_password(
    body: ChangePasswordIn, caller: CurrentCaller, accounts: AccountsDep, client: Client
) -> Response:
    accounts.change_password(caller, body.current_password, body.new_password, client)
    return Response(status_code=204)


@router.delete("/users/me", status_code=204)
def delete_account(
    body: PasswordIn, caller: CurrentCaller, accounts: AccountsDep, client: Client
) -> Response:
    accounts.delete(caller, body.password, client)
    response = Response(status_code=204)
    _clear_cookie(response)
    return response


@router.post("/auth/2fa/enable")
def enable_totp(caller: CurrentCaller, second: SecondFactorsDep) -> TotpSetupOut:
    setup = second.begin_totp(caller)
    return TotpSetupOut(secret=setup.secret, otpauth_uri=setup.uri)


@router.post("/auth/2fa/verify")
def verify_totp(
    body: CodeIn, caller: CurrentCaller, second: SecondFactorsDep, client: Client
) -> RecoveryCodesOut:
    return RecoveryCodesOut(recovery_codes=second.confirm_totp(caller, body.code, client))


@router.post("/auth/2fa/disable", status_code=204)
def disable_totp(
    body: DisableTotpIn, caller: CurrentCaller, second: SecondFactorsDep, client: Client
) -> Response:
    second.disable_totp(caller, body.password, body.code, client)
    return Response(status_code=204)


@router.get("/auth/2fa")
def second_factor_status(caller: CurrentCaller, second: SecondFactorsDep) -> SecondFactorsOut:
    factors = second.status(caller)
    return SecondFactorsOut(
        totp_enabled=factors.totp_enabled,
        passkeys=factors.passkeys,
        recovery_codes_left=factors.recovery_codes_left,
    )


@router.post("/auth/2fa/recovery-codes")
def regenerate_recovery_codes(
    body: PasswordIn, caller: CurrentCaller, second: SecondFactorsDep, client: Client
) -> RecoveryCodesOut:
    codes = second.regenerate_recovery_codes(caller, body.password, client)
    return RecoveryCodesOut(recovery_codes=codes)


@router.post("/auth/2fa/login")
def login_with_code(
    body: TwoFactorLoginIn, second: SecondFactorsDep, client: Client, response: Response
) -> SessionOut:
    return _signed_in(response, second.login_with_code(body.challenge_token, body.code, client))


@router.post("/auth/webauthn/register/options")
def passkey_registration_options(caller: CurrentCaller, second: SecondFactorsDep) -> dict[str, Any]:
    return second.passkey_options(caller)


@router.post("/auth/webauthn/register/verify", status_code=status.HTTP_201_CREATED)
def register_passkey(
    body: PasskeyRegisterIn, caller: CurrentCaller, second: SecondFactorsDep
) -> PasskeyAdded:
    info, codes = second.add_passkey(caller, body.credential, body.name)
    return PasskeyAdded(passkey=_passkey_view(info), recovery_codes=codes)


@router.post("/auth/webauthn/authenticate/options")
def passkey_login_options(
    body: ChallengeIn, second: SecondFactorsDep, client: Client
) -> dict[str, Any]:
    return second.passkey_login_options(body.challenge_token, client)


@router.post("/auth/webauthn/authenticate/verify")
def login_with_passkey(
    body: PasskeyLoginIn, second: SecondFactorsDep, client: Client, response: Response
) -> SessionOut:
    signed = second.login_with_passkey(body.challenge_token, body.credential, client)
    return _signed_in(response, signed)


@router.get("/auth/webauthn/credentials")
def list_passkeys(caller: CurrentCaller, second: SecondFactorsDep) -> list[PasskeyView]:
    return [_passkey_view(info) for info in second.passkeys(caller)]


@router.delete("/auth/webauthn/credentials/{passkey_id}", status_code=204)
def remove_passkey(
    passkey_id: str,
    body: PasswordIn,
    caller: CurrentCaller,
    second: SecondFactorsDep,
    client: Client,
) -> Response:
    second.remove_passkey(caller, passkey_id, body.password, client)
    return Response(status_code=204)
