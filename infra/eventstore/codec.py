"""Envelope <-> stored event: JSON with personal fields sealed, and upcasting on read.

Stored state (UTF-8 JSON, the ``state`` column of eventsourcing's ``stored_events``):

    {"event_id": "…", "hlc": "…", "class_version": 2,
     "data": {clear fields}, "sealed": "<base64 nonce||ciphertext of the sealed fields>"}

The topic column holds the event's wire name, the originator columns hold the
aggregate id and version. When the aggregate's key has been shredded, the sealed
fields decode as ``None``: the event is still there, its content is gone.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from domain.events import Catalogue, Envelope, Event
from domain.hlc import HLC
from infra.eventstore.sealing import open_sealed, seal


def as_uuid(value: UUID | str) -> UUID:
    """The recorders already return UUIDs; only a text id needs parsing."""
    return value if isinstance(value, UUID) else UUID(value)


class MissingKey(Exception):
    """A sealed event was written for an aggregate whose key is gone (already shredded)."""


def _associated_data(aggregate_id: UUID, version: int, type_name: str) -> bytes:
    return f"{aggregate_id}:{version}:{type_name}".encode()


class EventCodec:
    """Encodes and decodes envelopes; the key of each aggregate is passed in by the store."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue

    def encode(self, envelope: Envelope, key: bytes | None) -> StoredEvent:
        event = envelope.event
        fields = event.model_dump(mode="json")
        sealed_names = type(event).sealed_fields
        state: dict[str, Any] = {
            "event_id": str(envelope.event_id),
            "hlc": str(envelope.hlc),
            "class_version": type(event).class_version,
            "data": {k: v for k, v in fields.items() if k not in sealed_names},
        }
        if sealed_names:
            if key is None:
                raise MissingKey(f"no data key for aggregate {envelope.aggregate_id}")
            secret = json.dumps({k: fields[k] for k in sorted(sealed_names)}).encode()
            associated = _associated_data(
                envelope.aggregate_id, envelope.version, event.type_name()
            )
            state["sealed"] = base64.b64encode(seal(key, secret, associated)).decode()
        return StoredEvent(
            originator_id=envelope.aggregate_id,
            originator_version=envelope.version,
            topic=event.type_name(),
            state=json.dumps(state, separators=(",", ":")).encode(),
        )

    def decode(self, stored: StoredEvent, keys: Mapping[UUID, bytes]) -> Envelope:
        event_type = self.catalogue.resolve(stored.topic)
        aggregate_id = as_uuid(stored.originator_id)
        state = json.loads(stored.state.decode())
        fields: dict[str, Any] = dict(state["data"])
        if "sealed" in state:
            key = keys.get(aggregate_id)
            fields.update(self._unseal(state["sealed"], key, aggregate_id, stored))
        fields = upcast(event_type, int(state.get("class_version", 1)), fields)
        return Envelope(
            event_id=UUID(state["event_id"]),
            aggregate_id=aggregate_id,
            version=stored.originator_version,
            hlc=HLC.parse(state["hlc"]),
            event=event_type.model_validate(fields),
        )

    def _unseal(
        self, sealed_b64: str, key: bytes | None, aggregate_id: UUID, stored: StoredEvent
    ) -> dict[str, Any]:
        event_type = self.catalogue.resolve(stored.topic)
        if key is None:
            return dict.fromkeys(event_type.sealed_fields)
        associated = _associated_data(aggregate_id, stored.originator_version, stored.topic)
        opened: dict[str, Any] = json.loads(
            open_sealed(key, base64.b64decode(sealed_b64), associated)
        )
        return opened


class NewerEventVersion(Exception):
    """The log holds a newer version of an event than this code knows: stop, do not guess."""


def upcast(event_type: type[Event], stored_version: int, fields: dict[str, Any]) -> dict[str, Any]:
    """Apply each version step's upcaster, oldest first, up to the class's version."""
    if stored_version > event_type.class_version:
        raise NewerEventVersion(
            f"{event_type.type_name()} v{stored_version} is newer than this node's"
            f" v{event_type.class_version}; upgrade the node"
        )
    for version in range(stored_version, event_type.class_version):
        fields = event_type.upcasters[version](fields)
    return fields
