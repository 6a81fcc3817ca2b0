"""How a logged event travels on Kafka: its stored form, keyed by channel, with its position.

The value is the event's stored state exactly as in the log (``infra/eventstore/codec.py``):
clear fields as JSON and personal fields sealed with the aggregate's data key. Kafka never
holds what deletion must forget in a readable form: when the shredder destroys a key, every
copy of the event on the brokers (retention, replicas, consumers' caches) becomes unreadable
with it. Consumers open sealed fields through the node's key store, which answers ``None``
once the key is gone.

Headers carry the envelope's position in the log and the position of the event before it,
so a consumer reading several partitions can put events back in log order, and knows a
duplicate (a position it has already passed) when the relay repeats itself after a crash.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.persistence import Notification

POSITION = "hearth-position"
PREVIOUS = "hearth-previous"
AGGREGATE = "hearth-aggregate"
VERSION = "hearth-version"
TYPE = "hearth-type"
EVENT_ID = "hearth-event-id"

Headers = list[tuple[str, str | bytes | None]]
"""As confluent-kafka takes and returns them; the relay writes bytes."""


@dataclass(frozen=True)
class LoggedRecord:
    """One event as read back from Kafka."""

    position: int
    previous: int
    notification: Notification


def clear_fields(notification: Notification) -> dict[str, object]:
    state = json.loads(notification.state)
    data: dict[str, object] = state["data"]
    return data


def event_id(notification: Notification) -> str:
    value: str = json.loads(notification.state)["event_id"]
    return value


def headers_of(notification: Notification, previous: int) -> Headers:
    return [
        (POSITION, str(notification.id).encode()),
        (PREVIOUS, str(previous).encode()),
        (AGGREGATE, str(notification.originator_id).encode()),
        (VERSION, str(notification.originator_version).encode()),
        (TYPE, notification.topic.encode()),
        (EVENT_ID, event_id(notification).encode()),
    ]


def record_of(value: bytes, headers: Headers | dict[str, str | bytes | None]) -> LoggedRecord:
    """Read a record the relay wrote; ``ValueError`` for anything else."""
    pairs = headers.items() if isinstance(headers, dict) else headers
    fields = {name: raw.decode() if isinstance(raw, bytes) else raw for name, raw in pairs}
    try:
        position = int(str(fields[POSITION]))
        notification = Notification(
            id=position,
            originator_id=UUID(str(fields[AGGREGATE])),
            originator_version=int(str(fields[VERSION])),
            topic=str(fields[TYPE]),
            state=value,
        )
        return LoggedRecord(position, int(str(fields[PREVIOUS])), notification)
    except KeyError as missing:
        raise ValueError(f"not a log record: no {missing} header") from None
