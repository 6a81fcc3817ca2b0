"""The Account aggregate: the security history of a user's account (the audit trail).

Secrets never enter the log: password hashes, TOTP seeds, recovery codes, passkeys and
refresh-token hashes live in the erasable credential store. These events record only
*that* something happened, so a user (or an operator) can review it, and they carry
nothing that could outlive the account's deletion as personal data: the user is named
by its opaque id, and a session by its random id.

Each account has its own stream, whose id is derived from the user's id (see
``account_id``), so the User aggregate keeps its profile history and nothing else.
"""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID, uuid5

from pydantic import BaseModel, ConfigDict

from domain.aggregates import AggregateKind
from domain.events import Event, catalogue

_ACCOUNT = UUID("3c1d6f0a-8e5b-4f7e-9a2c-5d7b1e4a9f63")


def account_id(user_id: UUID) -> UUID:
    """The account stream of a user: one per user, found without an index."""
    return uuid5(_ACCOUNT, str(user_id))


class SecondFactor(StrEnum):
    TOTP = "totp"
    WEBAUTHN = "webauthn"


class RevocationReason(StrEnum):
    LOGOUT = "logout"
    LOGOUT_ALL = "logout_all"
    REVOKED = "revoked"
    PASSWORD_CHANGED = "password_changed"
    REFRESH_TOKEN_REUSED = "refresh_token_reused"


@catalogue.register
class PasswordChanged(Event):
    user_id: UUID


@catalogue.register
class TwoFactorEnabled(Event):
    user_id: UUID
    method: SecondFactor


@catalogue.register
class TwoFactorDisabled(Event):
    user_id: UUID
    method: SecondFactor


@catalogue.register
class RecoveryCodesRegenerated(Event):
    """A new set of recovery codes replaced the old one (which no longer works)."""

    user_id: UUID


@catalogue.register
class SessionRevoked(Event):
    user_id: UUID
    session_id: UUID
    reason: RevocationReason


class Account(BaseModel):
    model_config = ConfigDict(frozen=True)

    user_id: UUID
    second_factors: frozenset[SecondFactor] = frozenset()


def change_password(state: Account | None, user_id: UUID) -> list[Event]:
    return [PasswordChanged(user_id=user_id)]


def enable_second_factor(state: Account | None, user_id: UUID, method: SecondFactor) -> list[Event]:
    """Enabling a method that is already on (a second passkey) is not a new event."""
    if state is not None and method in state.second_factors:
        return []
    return [TwoFactorEnabled(user_id=user_id, method=method)]


def disable_second_factor(
    state: Account | None, user_id: UUID, method: SecondFactor
) -> list[Event]:
    if state is None or method not in state.second_factors:
        return []
    return [TwoFactorDisabled(user_id=user_id, method=method)]


def regenerate_recovery_codes(state: Account | None, user_id: UUID) -> list[Event]:
    return [RecoveryCodesRegenerated(user_id=user_id)]


def revoke_sessions(
    state: Account | None, user_id: UUID, session_ids: list[UUID], reason: RevocationReason
) -> list[Event]:
    return [SessionRevoked(user_id=user_id, session_id=s, reason=reason) for s in session_ids]


def evolve(state: Account | None, event: Event, aggregate_id: UUID) -> Account:
    match event:
        case TwoFactorEnabled():
            current = state or Account(user_id=event.user_id)
            return current.model_copy(
                update={"second_factors": current.second_factors | {event.method}}
            )
        case TwoFactorDisabled():
            current = state or Account(user_id=event.user_id)
            return current.model_copy(
                update={"second_factors": current.second_factors - {event.method}}
            )
        case PasswordChanged() | RecoveryCodesRegenerated() | SessionRevoked():
            return state or Account(user_id=event.user_id)
    raise TypeError(f"Account cannot apply {event.type_name()}")


ACCOUNT: AggregateKind[Account] = AggregateKind("account", evolve)
