"""The aggregate kinds, each a name and an ``evolve`` function, for loading by id."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from uuid import UUID

from domain import channel, invite, membership, message, server, user
from domain.events import Event

S = TypeVar("S")


@dataclass(frozen=True)
class Loaded(Generic[S]):
    """An aggregate's current state and version (None and 0 when it does not exist)."""

    state: S | None
    version: int


@dataclass(frozen=True)
class Change:
    """New events for one aggregate, expected to follow ``expected_version``."""

    aggregate_id: UUID
    expected_version: int
    events: Sequence[Event]


@dataclass(frozen=True)
class AggregateKind(Generic[S]):
    name: str
    evolve: Callable[[S | None, Event, UUID], S]

    def replay(self, aggregate_id: UUID, events: list[Event]) -> S | None:
        state: S | None = None
        for event in events:
            state = self.evolve(state, event, aggregate_id)
        return state


USER: AggregateKind[user.User] = AggregateKind("user", user.evolve)
SERVER: AggregateKind[server.Server] = AggregateKind("server", server.evolve)
CHANNEL: AggregateKind[channel.Channel] = AggregateKind("channel", channel.evolve)
MEMBERSHIP: AggregateKind[membership.Membership] = AggregateKind("membership", membership.evolve)
MESSAGE: AggregateKind[message.Message] = AggregateKind("message", message.evolve)
INVITE: AggregateKind[invite.Invite] = AggregateKind("invite", invite.evolve)
