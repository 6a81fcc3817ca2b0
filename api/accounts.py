"""Account use cases: register and log in.

Secrets stay out of the log: the password hash goes to the credential store, and
the log gets only ``UserRegistered`` with the (sealed) public profile.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from api.chat_commands import ChatCommands
from api.errors import ApiError
from domain.errors import AlreadyExists, InvalidCommand
from domain.usernames import normalise

MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1024


class Credentials(Protocol):
    def claim(self, user_id: UUID, username_key: str, password_hash: str) -> None: ...
    def release(self, user_id: UUID) -> None: ...
    def find(self, username_key: str) -> tuple[UUID, str] | None: ...
    def set_password_hash(self, user_id: UUID, password_hash: str) -> None: ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...
    def verify(self, password_hash: str, password: str) -> bool: ...
    def needs_rehash(self, password_hash: str) -> bool: ...
    def burn(self, password: str) -> None:
        """Spend the time of one verification, so unknown users answer as slowly as known."""
        ...


class TokenIssuer(Protocol):
    def issue(self, user_id: UUID) -> str: ...


@dataclass(frozen=True)
class Session:
    user_id: UUID
    access_token: str


class Accounts:
    def __init__(
        self,
        credentials: Credentials,
        hasher: PasswordHasher,
        tokens: TokenIssuer,
        commands: ChatCommands,
        node_name: str,
        username_taken: type[Exception],
    ) -> None:
        self.credentials = credentials
        self.hasher = hasher
        self.tokens = tokens
        self.commands = commands
        self.node_name = node_name
        self.username_taken = username_taken

    def register(self, username: str, password: str) -> Session:
        key = normalise(username, self.node_name)
        check_password(password, key)
        user_id = uuid.uuid4()
        try:
            self.credentials.claim(user_id, key, self.hasher.hash(password))
        except self.username_taken:
            raise AlreadyExists("that username is taken") from None
        try:
            self.commands.register_user(user_id, key, key)
        except BaseException:
            self.credentials.release(user_id)
            raise
        return Session(user_id, self.tokens.issue(user_id))

    def login(self, username: str, password: str) -> Session:
        try:
            key = normalise(username, self.node_name)
        except InvalidCommand:
            key = ""
        found = self.credentials.find(key) if key else None
        if found is None:
            self.hasher.burn(password)
            raise ApiError(401, "invalid_credentials", "wrong username or password")
        user_id, password_hash = found
        if not self.hasher.verify(password_hash, password):
            raise ApiError(401, "invalid_credentials", "wrong username or password")
        if self.hasher.needs_rehash(password_hash):
            self.credentials.set_password_hash(user_id, self.hasher.hash(password))
        return Session(user_id, self.tokens.issue(user_id))


def check_password(password: str, username_key: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidCommand(f"password must be at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise InvalidCommand(f"password must be at most {MAX_PASSWORD_CHARS} characters")
    if username_key in password.casefold():
        raise InvalidCommand("password must not contain the username")
