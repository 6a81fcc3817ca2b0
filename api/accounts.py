"""Account use cases: register, log in, refresh, log out, change the password, delete.

Secrets stay out of the log. Password hashes, sessions and their refresh-token
digests, TOTP seeds, recovery codes and passkeys live in the erasable credential
store (the ports below); the log gets only ``UserRegistered`` with the sealed public
profile and the account's audit events (``domain.account``). The protocol these use
cases serve is ``docs/protocol/auth.md``.

Guessing is throttled here, not in the routes, so every way in (HTTP today, another
transport later) shares the limits: per client on every attempt, and per username
(or user) on every failure.
"""

from __future__ import annotations

import contextlib
import math
import uuid
from collections.abc import Callable, Container
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from api.chat_commands import ChatCommands, retry_on_conflict
from api.deps import Caller
from api.errors import ApiError
from api.ports import EventLog
from domain import account
from domain.account import ACCOUNT, Account, RevocationReason, SecondFactor, account_id
from domain.aggregates import Change
from domain.errors import AlreadyExists, InvalidCommand, NotFound
from domain.events import Event
from domain.usernames import normalise

MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1024
CHALLENGE_SECONDS = 300
LOGIN_CHALLENGE = "login"


@dataclass(frozen=True)
class StartedSession:
    session_id: UUID
    refresh_token: str


@dataclass(frozen=True)
class Rotated:
    user_id: UUID
    session_id: UUID
    refresh_token: str


@dataclass(frozen=True)
class Reused:
    """A spent refresh token came back; its session has been revoked."""

    user_id: UUID
    session_id: UUID


@dataclass(frozen=True)
class SessionInfo:
    session_id: UUID
    created_ms: int
    last_used_ms: int


@dataclass(frozen=True)
class SignedIn:
    user_id: UUID
    session_id: UUID
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int
    username: str
    node: str


@dataclass(frozen=True)
class TwoFactorRequired:
    """The password was right; the login completes with one of ``methods``."""

    challenge_token: str
    methods: list[str]
    expires_in: int


@dataclass(frozen=True)
class TotpSetup:
    secret: str
    uri: str


@dataclass(frozen=True)
class SecondFactorStatus:
    """What protects the account beyond its password, as the settings page shows it."""

    totp_enabled: bool
    passkeys: int
    recovery_codes_left: int


@dataclass(frozen=True)
class PasskeyInfo:
    id: str
    name: str
    created_ms: int
    last_used_ms: int | None


class Credentials(Protocol):
    def claim(self, user_id: UUID, username_key: str, password_hash: str) -> None:
        """Raises AlreadyExists when the name (or a look-alike) is taken."""
        ...

    def find(self, username_key: str) -> tuple[UUID, str] | None: ...
    def username(self, user_id: UUID) -> str | None: ...
    def password_hash(self, user_id: UUID) -> str | None: ...
    def set_password_hash(self, user_id: UUID, password_hash: str) -> None: ...
    def erase(self, user_id: UUID) -> None: ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...
    def verify(self, password_hash: str, password: str) -> bool: ...
    def needs_rehash(self, password_hash: str) -> bool: ...
    def burn(self, password: str) -> None:
        """Spend the time of one verification, so unknown users answer as slowly as known."""
        ...


class TokenIssuer(Protocol):
    lifetime_seconds: int

    def issue(self, user_id: UUID, session_id: UUID) -> str: ...


class Sessions(Protocol):
    lifetime_seconds: int

    def start(self, user_id: UUID) -> StartedSession: ...
    def rotate(self, refresh_token: str) -> Rotated | Reused | None: ...
    def find(self, refresh_token: str) -> tuple[UUID, UUID] | None: ...
    def sessions(self, user_id: UUID) -> list[SessionInfo]: ...
    def revoke(self, user_id: UUID, session_id: UUID) -> bool: ...
    def revoke_all(self, user_id: UUID, keep: UUID | None = None) -> list[UUID]: ...


class Totp(Protocol):
    def begin(self, user_id: UUID, account_name: str) -> TotpSetup: ...
    def confirm(self, user_id: UUID, code: str) -> bool: ...
    def verify(self, user_id: UUID, code: str) -> bool:
        """True once per code: a code (time step) already accepted is refused."""
        ...

    def enabled(self, user_id: UUID) -> bool: ...
    def remove(self, user_id: UUID) -> None: ...


class RecoveryCodes(Protocol):
    def replace(self, user_id: UUID) -> list[str]: ...
    def use(self, user_id: UUID, code: str) -> bool: ...
    def remaining(self, user_id: UUID) -> int: ...
    def clear(self, user_id: UUID) -> None: ...


class Passkeys(Protocol):
    def registration_options(self, user_id: UUID, username: str) -> dict[str, Any]: ...
    def register(self, user_id: UUID, credential: dict[str, Any], name: str) -> PasskeyInfo:
        """Raises InvalidCommand when the attestation does not verify."""
        ...

    def authentication_options(self, user_id: UUID) -> dict[str, Any]: ...
    def authenticate(self, user_id: UUID, credential: dict[str, Any]) -> bool: ...
    def of_user(self, user_id: UUID) -> list[PasskeyInfo]: ...
    def remove(self, user_id: UUID, passkey_id: str) -> bool: ...


class Challenges(Protocol):
    def issue(self, user_id: UUID, purpose: str, seconds: int) -> str: ...
    def peek(self, token: str, purpose: str) -> UUID | None: ...
    def consume(self, token: str, purpose: str) -> UUID | None: ...


class RateLimiter(Protocol):
    """Throttles by key; an in-process one now, a shared (Redis) one for several workers."""

    def hit(self, key: str) -> float:
        """Count one request; the seconds to wait if the key is over its budget, else 0."""
        ...

    def locked(self, key: str) -> float:
        """Seconds until failures on the key stop refusing attempts (0 when not locked)."""
        ...

    def failed(self, key: str) -> None: ...
    def succeeded(self, key: str) -> None: ...


@dataclass
class AuthPorts:
    credentials: Credentials
    hasher: PasswordHasher
    tokens: TokenIssuer
    sessions: Sessions
    totp: Totp
    recovery: RecoveryCodes
    passkeys: Passkeys
    challenges: Challenges
    limiter: RateLimiter
    common_passwords: Container[str]


def _unauthorized(code: str, message: str) -> ApiError:
    return ApiError(401, code, message)


class Guard:
    """The rate limits, phrased as the use cases need them."""

    def __init__(self, limiter: RateLimiter) -> None:
        self.limiter = limiter

    def request(self, action: str, client: str) -> None:
        self._refuse_for(self.limiter.hit(f"{action}:client:{client}"))

    def check(self, key: str) -> None:
        self._refuse_for(self.limiter.locked(key))

    def failed(self, key: str) -> None:
        self.limiter.failed(key)

    def succeeded(self, key: str) -> None:
        self.limiter.succeeded(key)

    @staticmethod
    def _refuse_for(seconds: float) -> None:
        if seconds > 0:
            wait = str(max(1, math.ceil(seconds)))
            raise ApiError(
                429, "rate_limited", "too many attempts; retry later", {"Retry-After": wait}
            )


class Accounts:
    def __init__(
        self, ports: AuthPorts, commands: ChatCommands, log: EventLog, node_name: str
    ) -> None:
        self.ports = ports
        self.commands = commands
        self.log = log
        self.node_name = node_name
        self.guard = Guard(ports.limiter)
        self.on_sessions_ended: list[Callable[[UUID, list[UUID]], None]] = []
        """Told of each user's ended sessions, so the gateway closes their sockets at once."""

    def register(self, username: str, password: str, client: str) -> SignedIn:
        self.guard.request("register", client)
        key = normalise(username, self.node_name)
        check_password(password, key, self.ports.common_passwords)
        user_id = uuid.uuid4()
        self.ports.credentials.claim(user_id, key, self.ports.hasher.hash(password))
        try:
            self.commands.register_user(user_id, key, key)
        except BaseException:
            self.ports.credentials.erase(user_id)
            raise
        return self.sign_in(user_id)

    def login(self, username: str, password: str, client: str) -> SignedIn | TwoFactorRequired:
        self.guard.request("login", client)
        try:
            key = normalise(username, self.node_name)
        except InvalidCommand:
            key = ""
        throttle = f"login:user:{key or username.casefold()[:64]}"
        self.guard.check(throttle)
        found = self.ports.credentials.find(key) if key else None
        if found is None:
            self.ports.hasher.burn(password)
        if found is None or not self.ports.hasher.verify(found[1], password):
            self.guard.failed(throttle)
            raise _unauthorized("invalid_credentials", "wrong username or password")
        self.guard.succeeded(throttle)
        user_id, password_hash = found
        if self.ports.hasher.needs_rehash(password_hash):
            self.ports.credentials.set_password_hash(user_id, self.ports.hasher.hash(password))
        methods = self.second_factors(user_id)
        if methods:
            token = self.ports.challenges.issue(user_id, LOGIN_CHALLENGE, CHALLENGE_SECONDS)
            return TwoFactorRequired(token, [*methods, "recovery_code"], CHALLENGE_SECONDS)
        return self.sign_in(user_id)

    def second_factors(self, user_id: UUID) -> list[str]:
        methods = []
        if self.ports.totp.enabled(user_id):
            methods.append(SecondFactor.TOTP.value)
        if self.ports.passkeys.of_user(user_id):
            methods.append(SecondFactor.WEBAUTHN.value)
        return methods

    def sign_in(self, user_id: UUID) -> SignedIn:
        started = self.ports.sessions.start(user_id)
        return self._signed_in(user_id, started.session_id, started.refresh_token)

    def _signed_in(self, user_id: UUID, session_id: UUID, refresh_token: str) -> SignedIn:
        tokens = self.ports.tokens
        return SignedIn(
            user_id,
            session_id,
            tokens.issue(user_id, session_id),
            refresh_token,
            tokens.lifetime_seconds,
            self.ports.sessions.lifetime_seconds,
            self.ports.credentials.username(user_id) or "",
            self.node_name,
        )

    def refresh(self, refresh_token: str) -> SignedIn:
        rotation = self.ports.sessions.rotate(refresh_token)
        if isinstance(rotation, Reused):
            self.record_revoked(
                rotation.user_id, [rotation.session_id], RevocationReason.REFRESH_TOKEN_REUSED
            )
            raise _unauthorized(
                "refresh_token_reused", "this refresh token was used before; its session has ended"
            )
        if rotation is None:
            raise _unauthorized("invalid_refresh_token", "unknown or expired refresh token")
        return self._signed_in(rotation.user_id, rotation.session_id, rotation.refresh_token)

    def logout(self, caller: Caller | None, refresh_token: str | None) -> None:
        """End the caller's session, named by its access token or its refresh token."""
        found = self.ports.sessions.find(refresh_token) if refresh_token else None
        if caller is not None:
            found = (caller.user_id, caller.session_id)
        if found is None:
            raise _unauthorized("unauthenticated", "an access token or refresh token is required")
        if self.ports.sessions.revoke(*found):
            self.record_revoked(found[0], [found[1]], RevocationReason.LOGOUT)

    def logout_all(self, caller: Caller) -> None:
        ended = self.ports.sessions.revoke_all(caller.user_id)
        self.record_revoked(caller.user_id, ended, RevocationReason.LOGOUT_ALL)

    def sessions(self, caller: Caller) -> list[SessionInfo]:
        return self.ports.sessions.sessions(caller.user_id)

    def revoke_session(self, caller: Caller, session_id: UUID) -> None:
        if not self.ports.sessions.revoke(caller.user_id, session_id):
            raise NotFound("session not found")
        self.record_revoked(caller.user_id, [session_id], RevocationReason.REVOKED)

    def change_password(self, caller: Caller, current: str, new: str, client: str) -> None:
        """Set a new password; every other session ends (whoever knew the old one is out)."""
        self.require_password(caller.user_id, current, client)
        username = self.ports.credentials.username(caller.user_id) or ""
        check_password(new, username, self.ports.common_passwords)
        self.ports.credentials.set_password_hash(caller.user_id, self.ports.hasher.hash(new))
        self.record(caller.user_id, lambda s: account.change_password(s, caller.user_id))
        ended = self.ports.sessions.revoke_all(caller.user_id, keep=caller.session_id)
        self.record_revoked(caller.user_id, ended, RevocationReason.PASSWORD_CHANGED)

    def delete(self, caller: Caller, password: str, client: str) -> None:
        """Delete the account: the log gets ``UserDeleted`` (the shredder then destroys the
        profile's key) and every credential row of the user is erased.

        The tombstone comes first: if erasing fails, the user can retry (the password
        still works), and the retry finds the account deleted and finishes the erasure.
        """
        self.require_password(caller.user_id, password, client)
        with contextlib.suppress(NotFound):  # deleted by an earlier, interrupted attempt
            self.commands.delete_user(caller.user_id)
        self._sessions_ended(caller.user_id, self.ports.sessions.revoke_all(caller.user_id))
        self.ports.credentials.erase(caller.user_id)

    def require_password(self, user_id: UUID, password: str, client: str) -> None:
        """Refuse unless ``password`` is the user's (throttled like a login)."""
        self.guard.request("password", client)
        throttle = f"password:user:{user_id}"
        self.guard.check(throttle)
        password_hash = self.ports.credentials.password_hash(user_id)
        if password_hash is None or not self.ports.hasher.verify(password_hash, password):
            self.guard.failed(throttle)
            raise ApiError(403, "invalid_credentials", "wrong password")
        self.guard.succeeded(throttle)

    def record(self, user_id: UUID, decide: Callable[[Account | None], list[Event]]) -> None:
        """Append the account events ``decide`` makes of the account's current state."""
        stream = account_id(user_id)

        def attempt() -> None:
            loaded = self.log.load(ACCOUNT, stream)
            events = decide(loaded.state)
            if events:
                self.log.append([Change(stream, loaded.version, events)])

        retry_on_conflict(attempt)

    def record_revoked(
        self, user_id: UUID, session_ids: list[UUID], reason: RevocationReason
    ) -> None:
        if session_ids:
            self.record(user_id, lambda s: account.revoke_sessions(s, user_id, session_ids, reason))
            self._sessions_ended(user_id, session_ids)

    def _sessions_ended(self, user_id: UUID, session_ids: list[UUID]) -> None:
        for listener in self.on_sessions_ended:
            listener(user_id, session_ids)


def check_password(password: str, username_key: str, common: Container[str]) -> None:
    """NIST SP 800-63B §5.1.1.2: a minimum length, no maximum that bites (1024), and a
    blocklist of common passwords; no composition rules, which annoy without helping.
    A common password with digits or symbols stuck on ("password123!") is refused too."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidCommand(f"password must be at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise InvalidCommand(f"password must be at most {MAX_PASSWORD_CHARS} characters")
    folded = password.casefold()
    if username_key and username_key in folded:
        raise InvalidCommand("password must not contain the username")
    core = folded.strip("0123456789!@#$%^&*()-_=+.,;:?/\\|~`'\" ")
    if folded in common or core in common:
        raise InvalidCommand("that password is too common; choose another")


class SecondFactors:
    """TOTP, passkeys and recovery codes: enrolling them, and completing a login with one.

    A login that needs a second factor holds a challenge token (issued after the right
    password, good for ``CHALLENGE_SECONDS``); failures count against the user as
    login failures do, so the second factor cannot be guessed either.
    """

    def __init__(self, accounts: Accounts) -> None:
        self.accounts = accounts
        self.ports = accounts.ports
        self.guard = accounts.guard

    def begin_totp(self, caller: Caller) -> TotpSetup:
        if self.ports.totp.enabled(caller.user_id):
            raise AlreadyExists("TOTP is already enabled; disable it first to enrol again")
        username = self.ports.credentials.username(caller.user_id) or str(caller.user_id)
        return self.ports.totp.begin(caller.user_id, username)

    def confirm_totp(self, caller: Caller, code: str, client: str) -> list[str]:
        """Turn TOTP on with a first code; the answer is a fresh set of recovery codes."""
        self._attempt(caller.user_id, client, lambda: self.ports.totp.confirm(caller.user_id, code))
        self._enabled(caller.user_id, SecondFactor.TOTP)
        return self.ports.recovery.replace(caller.user_id)

    def disable_totp(
        self, caller: Caller, password: str | None, code: str | None, client: str
    ) -> None:
        if not self.ports.totp.enabled(caller.user_id):
            raise InvalidCommand("TOTP is not enabled")
        if password is not None:
            self.accounts.require_password(caller.user_id, password, client)
        elif code is not None:
            self._attempt(caller.user_id, client, lambda: self._second_factor(caller.user_id, code))
        else:
            raise InvalidCommand("the password or a current code is required")
        self.ports.totp.remove(caller.user_id)
        self._disabled(caller.user_id, SecondFactor.TOTP)

    def status(self, caller: Caller) -> SecondFactorStatus:
        return SecondFactorStatus(
            totp_enabled=self.ports.totp.enabled(caller.user_id),
            passkeys=len(self.ports.passkeys.of_user(caller.user_id)),
            recovery_codes_left=self.ports.recovery.remaining(caller.user_id),
        )

    def regenerate_recovery_codes(self, caller: Caller, password: str, client: str) -> list[str]:
        """Replace the recovery codes with a new set, answered once; the old set stops
        working. The password is asked so that a stolen access token alone cannot mint
        codes that would pass the second factor later."""
        self.accounts.require_password(caller.user_id, password, client)
        if not self.accounts.second_factors(caller.user_id):
            raise InvalidCommand("recovery codes need a second factor; enable TOTP or a passkey")
        codes = self.ports.recovery.replace(caller.user_id)
        self.accounts.record(
            caller.user_id, lambda s: account.regenerate_recovery_codes(s, caller.user_id)
        )
        return codes

    def login_with_code(self, challenge_token: str, code: str, client: str) -> SignedIn:
        """Complete a login with a TOTP code or a recovery code."""
        user_id = self._pending_login(challenge_token)
        self._attempt(user_id, client, lambda: self._second_factor(user_id, code))
        return self._finish_login(challenge_token)

    def passkey_options(self, caller: Caller) -> dict[str, Any]:
        username = self.ports.credentials.username(caller.user_id) or str(caller.user_id)
        return self.ports.passkeys.registration_options(caller.user_id, username)

    def add_passkey(
        self, caller: Caller, credential: dict[str, Any], name: str
    ) -> tuple[PasskeyInfo, list[str] | None]:
        """Register a passkey; the first second factor also brings recovery codes."""
        info = self.ports.passkeys.register(caller.user_id, credential, name)
        fresh = self.ports.recovery.remaining(caller.user_id) == 0
        codes = self.ports.recovery.replace(caller.user_id) if fresh else None
        self._enabled(caller.user_id, SecondFactor.WEBAUTHN)
        return info, codes

    def passkeys(self, caller: Caller) -> list[PasskeyInfo]:
        return self.ports.passkeys.of_user(caller.user_id)

    def remove_passkey(self, caller: Caller, passkey_id: str, password: str, client: str) -> None:
        self.accounts.require_password(caller.user_id, password, client)
        if not self.ports.passkeys.remove(caller.user_id, passkey_id):
            raise NotFound("passkey not found")
        if not self.ports.passkeys.of_user(caller.user_id):
            self._disabled(caller.user_id, SecondFactor.WEBAUTHN)

    def passkey_login_options(self, challenge_token: str, client: str) -> dict[str, Any]:
        self.guard.request("2fa", client)
        user_id = self._pending_login(challenge_token)
        if not self.ports.passkeys.of_user(user_id):
            raise InvalidCommand("no passkey is registered for this account")
        return self.ports.passkeys.authentication_options(user_id)

    def login_with_passkey(
        self, challenge_token: str, credential: dict[str, Any], client: str
    ) -> SignedIn:
        user_id = self._pending_login(challenge_token)
        self._attempt(
            user_id, client, lambda: self.ports.passkeys.authenticate(user_id, credential)
        )
        return self._finish_login(challenge_token)

    def _second_factor(self, user_id: UUID, code: str) -> bool:
        """A TOTP code (six digits) or else a recovery code, each usable once."""
        compact = "".join(code.split())
        if compact.isdigit() and len(compact) == 6:
            return self.ports.totp.verify(user_id, compact)
        return self.ports.recovery.use(user_id, code)

    def _attempt(self, user_id: UUID, client: str, check: Callable[[], bool]) -> None:
        self.guard.request("2fa", client)
        throttle = f"2fa:user:{user_id}"
        self.guard.check(throttle)
        if not check():
            self.guard.failed(throttle)
            raise ApiError(401, "invalid_code", "the code or passkey was not accepted")
        self.guard.succeeded(throttle)

    def _pending_login(self, challenge_token: str) -> UUID:
        user_id = self.ports.challenges.peek(challenge_token, LOGIN_CHALLENGE)
        if user_id is None:
            raise _unauthorized("invalid_challenge", "unknown or expired login challenge")
        return user_id

    def _finish_login(self, challenge_token: str) -> SignedIn:
        user_id = self.ports.challenges.consume(challenge_token, LOGIN_CHALLENGE)
        if user_id is None:
            raise _unauthorized("invalid_challenge", "unknown or expired login challenge")
        return self.accounts.sign_in(user_id)

    def _enabled(self, user_id: UUID, method: SecondFactor) -> None:
        self.accounts.record(user_id, lambda s: account.enable_second_factor(s, user_id, method))

    def _disabled(self, user_id: UUID, method: SecondFactor) -> None:
        if not self.accounts.second_factors(user_id):
            self.ports.recovery.clear(user_id)
        self.accounts.record(user_id, lambda s: account.disable_second_factor(s, user_id, method))
