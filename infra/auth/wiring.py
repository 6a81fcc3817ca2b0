"""The accounts part of the composition root: credential-store adapters into use cases."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from api.accounts import Accounts, AuthPorts, RateLimiter, SecondFactors
from api.chat_commands import ChatCommands
from api.ports import EventLog
from infra.auth import node_key
from infra.auth.challenges import ChallengeStore
from infra.auth.credentials import CredentialStore
from infra.auth.passkeys import PasskeyStore
from infra.auth.passwords import Argon2PasswordHasher, common_passwords
from infra.auth.ratelimit import InProcessRateLimiter, Limits
from infra.auth.recovery import RecoveryCodeStore
from infra.auth.sessions import SessionStore
from infra.auth.tokens import TokenService
from infra.auth.totp import TotpStore
from infra.settings import Settings
from infra.sql import Database


@dataclass(frozen=True)
class Auth:
    accounts: Accounts
    second_factors: SecondFactors
    tokens: TokenService


def limits(settings: Settings) -> Limits:
    return Limits(
        requests=settings.rate_limit_client_requests,
        request_window=60.0,
        allowed_failures=settings.rate_limit_failures,
        failure_window=float(settings.rate_limit_failure_window_seconds),
        first_lock=float(settings.rate_limit_first_lock_seconds),
        max_lock=float(settings.rate_limit_max_lock_seconds),
    )


def rate_limiter(settings: Settings) -> RateLimiter:
    """In this process by default; in Redis, shared by every process, when it is configured."""
    if settings.redis_url is None:
        return InProcessRateLimiter(limits(settings))
    from infra.cluster.ratelimit import RedisRateLimiter
    from infra.cluster.redis_client import key_prefix, sync_client

    prefix = key_prefix(settings) + "ratelimit:"
    return RedisRateLimiter(sync_client(settings), limits(settings), prefix)


def build_auth(settings: Settings, db: Database, commands: ChatCommands, log: EventLog) -> Auth:
    credentials = CredentialStore(db)
    sessions = SessionStore(db, settings.refresh_token_days)
    tokens = TokenService(
        db, settings.node_name, settings.access_token_minutes * 60, sessions.is_live
    )
    challenges = ChallengeStore(db)
    seal_key = node_key.load_or_create(settings.data_dir)
    ports = AuthPorts(
        credentials=credentials,
        hasher=Argon2PasswordHasher(
            settings.password_hash_time_cost, settings.password_hash_memory_kib
        ),
        tokens=tokens,
        sessions=sessions,
        totp=TotpStore(db, seal_key, issuer=settings.node_name),
        recovery=RecoveryCodeStore(db),
        passkeys=PasskeyStore(
            db,
            challenges,
            origin=settings.public_origin,
            rp_id=urlsplit(settings.public_origin).hostname or "localhost",
            rp_name=settings.node_name,
        ),
        challenges=challenges,
        limiter=rate_limiter(settings),
        common_passwords=common_passwords(),
    )
    accounts = Accounts(ports, commands, log, settings.node_name)
    return Auth(accounts, SecondFactors(accounts), tokens)
