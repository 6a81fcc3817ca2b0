"""What the API needs from the write side, as interfaces the infra layer implements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar
from uuid import UUID

from pydantic import BaseModel

from domain.aggregates import AggregateKind, Change, Loaded
from domain.events import Recorded

S = TypeVar("S")


class EventLog(Protocol):
    def load(self, kind: AggregateKind[S], aggregate_id: UUID) -> Loaded[S]: ...
    def append(self, changes: Sequence[Change]) -> list[Recorded]: ...


class LogReader(Protocol):
    def read(self, after: int, limit: int = 500) -> list[Recorded]: ...
    def last_position(self) -> int: ...


class ReadYourWrites(Protocol):
    def wait_until(self, position: int, timeout: float = 5.0) -> bool: ...


class ReadMarker(BaseModel):
    """Where a user stopped reading a channel: the newest message they have seen."""

    user_id: UUID
    channel_id: UUID
    message_id: UUID
    hlc: str


class ReadState(Protocol):
    def mark_read(self, user_id: UUID, channel_id: UUID, message_id: UUID, hlc: str) -> None: ...
    def markers_of(self, user_id: UUID) -> list[ReadMarker]: ...
    def receipts(self, channel_id: UUID, limit: int) -> list[ReadMarker]: ...
    def shares_receipts(self, user_id: UUID) -> bool: ...
    def choose(self, user_id: UUID, share: bool) -> None: ...
    def forget(self, user_id: UUID) -> None: ...
