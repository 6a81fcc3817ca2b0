"""What the API needs from the write side, as interfaces the infra layer implements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar
from uuid import UUID

from domain.aggregates import AggregateKind, Change, Loaded
from domain.events import Recorded

S = TypeVar("S")


class EventLog(Protocol):
    def load(self, kind: AggregateKind[S], aggregate_id: UUID) -> Loaded[S]: ...
    def append(self, changes: Sequence[Change]) -> list[Recorded]: ...


class LogReader(Protocol):
    def read(self, after: int, limit: int = 500) -> list[Recorded]: ...


class ReadYourWrites(Protocol):
    def wait_until(self, position: int, timeout: float = 5.0) -> bool: ...
