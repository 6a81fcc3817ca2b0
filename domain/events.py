"""The event base class, the envelope every stored event travels in, and the catalogue.

Events are explicit frozen pydantic models because they cross the wire (to clients,
to Kafka, to other nodes): their JSON shape is the contract in ``docs/protocol``.
A domain event holds only what happened; the envelope adds identity, position and
time (event id, aggregate id and version, HLC), which the write side assigns.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from domain.hlc import HLC

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class Event(BaseModel):
    """Base of every domain event.

    ``class_version`` is bumped whenever the stored shape changes; ``upcasters[n]``
    turns a version-``n`` payload into version ``n + 1``, so old events stay readable
    and are never edited in place. ``sealed_fields`` name the personal content that
    the store encrypts with the aggregate's own data key, so destroying that key
    (crypto-shredding) forgets the content while the event itself remains.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    class_version: ClassVar[int] = 1
    upcasters: ClassVar[Mapping[int, Upcaster]] = {}
    sealed_fields: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def type_name(cls) -> str:
        """The event's stable wire name (its class name; listed in the catalogue)."""
        return cls.__name__


@dataclass(frozen=True, slots=True)
class Envelope:
    """A recorded event: what happened plus where and when in the log.

    A plain frozen dataclass rather than a pydantic model: every field is already typed
    when an envelope is made (by the store, or decoded from its own log), and one is built
    per event read, so validation would only cost time. ``to_wire`` gives its JSON form.
    """

    event_id: UUID
    aggregate_id: UUID
    version: int
    hlc: HLC
    event: Event

    @property
    def type(self) -> str:
        return self.event.type_name()

    def to_wire(self) -> dict[str, Any]:
        """The event's wire form (docs/protocol/events.md#envelope), as JSON-ready values."""
        return {
            "type": self.type,
            "class_version": type(self.event).class_version,
            "event_id": str(self.event_id),
            "aggregate_id": str(self.aggregate_id),
            "version": self.version,
            "hlc": str(self.hlc),
            "data": self.event.model_dump(mode="json"),
        }


@dataclass(frozen=True, slots=True)
class Recorded:
    """An envelope at its position in the node's log (the notification id)."""

    position: int
    envelope: Envelope


E = TypeVar("E", bound=type[Event])


class Catalogue:
    """Every event type by wire name: the decoder's only way from a name to a class."""

    def __init__(self) -> None:
        self._types: dict[str, type[Event]] = {}

    def register(self, event_type: E) -> E:
        name = event_type.type_name()
        if name in self._types:
            raise ValueError(f"event type {name} is registered twice")
        self._types[name] = event_type
        return event_type

    def resolve(self, name: str) -> type[Event]:
        try:
            return self._types[name]
        except KeyError:
            raise LookupError(f"unknown event type {name!r}") from None

    def types(self) -> list[type[Event]]:
        return sorted(self._types.values(), key=lambda t: t.type_name())


catalogue = Catalogue()
"""The one catalogue of Hearth's events; each domain module registers its own."""
