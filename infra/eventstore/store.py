"""The event store: load aggregates, append changes, read the log in order.

Appending is the only write of the system; everything else (read models, key
shredding, WebSocket frames) follows the log. The store stamps each new event
with its id, version and HLC, seals its personal fields, and wakes in-process
followers as soon as the events are durable, so they need no polling delay.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from typing import TypeVar
from uuid import UUID

from eventsourcing.persistence import (
    ApplicationRecorder,
    IntegrityError,
    Notification,
    StoredEvent,
)

from domain.aggregates import AggregateKind, Change, Loaded
from domain.errors import Conflict
from domain.events import Envelope, Recorded
from infra.eventstore.clock import NodeClock
from infra.eventstore.codec import EventCodec, as_uuid
from infra.eventstore.group_commit import GroupCommitter
from infra.eventstore.keys import KeyStore
from infra.eventstore.recorders import ContentKeys
from infra.eventstore.sealing import new_key

S = TypeVar("S")


class EventStore:
    def __init__(
        self, recorder: ApplicationRecorder, keys: KeyStore, codec: EventCodec, clock: NodeClock
    ) -> None:
        self.recorder = recorder
        self.keys = keys
        self.codec = codec
        self.clock = clock
        self._appended = threading.Condition()
        self._last_position = recorder.max_notification_id() or 0
        self._committer = GroupCommitter(self._insert, self._announce)

    def load(self, kind: AggregateKind[S], aggregate_id: UUID) -> Loaded[S]:
        stored = self.recorder.select_events(aggregate_id)
        if not stored:
            return Loaded(None, 0)
        keys = self.keys.get_many([aggregate_id])
        events = [self.codec.decode(item, keys).event for item in stored]
        return Loaded(kind.replay(aggregate_id, events), stored[-1].originator_version)

    def append(self, changes: Sequence[Change]) -> list[Recorded]:
        """Record all changes atomically; raises ``Conflict`` if any aggregate moved on.

        Stamping and sealing happen on the commit thread, so HLC order is log order.
        """
        new_keys = [
            (change.aggregate_id, new_key())
            for change in changes
            if change.expected_version == 0 and any(e.sealed_fields for e in change.events)
        ]
        keys = dict(new_keys)
        existing = [c.aggregate_id for c in changes if c.aggregate_id not in keys]
        keys.update(self.keys.get_many(existing))
        envelopes: list[Envelope] = []

        def prepare() -> tuple[list[StoredEvent], ContentKeys]:
            envelopes[:] = self._stamp(changes)
            return [self.codec.encode(e, keys.get(e.aggregate_id)) for e in envelopes], new_keys

        try:
            positions = self._committer.append(prepare)
        except IntegrityError as error:
            raise Conflict("the aggregate changed concurrently; retry") from error
        return [Recorded(p, e) for p, e in zip(positions, envelopes, strict=True)]

    def read(self, after: int, limit: int = 500) -> list[Recorded]:
        notifications = self.recorder.select_notifications(
            start=after, limit=limit, inclusive_of_start=False
        )
        return self.decode(notifications)

    def decode(self, notifications: Sequence[Notification]) -> list[Recorded]:
        """Events in their stored form (from the log, or relayed through Kafka), opened with
        the keys that still exist: a shredded aggregate's sealed fields decode as ``None``."""
        resolve = self.codec.catalogue.resolve
        keys = self.keys.get_many(
            as_uuid(n.originator_id) for n in notifications if resolve(n.topic).sealed_fields
        )
        return [Recorded(n.id, self.codec.decode(n, keys)) for n in notifications]

    def last_position(self) -> int:
        return self.recorder.max_notification_id() or 0

    def wait_for_append(self, after: int, timeout: float) -> bool:
        """Block until the log grows past ``after`` (True) or ``timeout`` passes; appends by
        other processes count once ``observe_append`` reports them."""
        with self._appended:
            return self._appended.wait(timeout) if self._last_position <= after else True

    def observe_append(self) -> None:
        """Another process appended: wake followers up to the log's head (see infra/cluster)."""
        self._announce(self.last_position())

    def wake_followers(self) -> None:
        """Wake every ``wait_for_append`` early (e.g. so a stopping follower exits now)."""
        with self._appended:
            self._appended.notify_all()

    def close(self) -> None:
        self._committer.close()

    def _stamp(self, changes: Sequence[Change]) -> list[Envelope]:
        return [
            Envelope(
                event_id=uuid.uuid4(),
                aggregate_id=change.aggregate_id,
                version=change.expected_version + offset,
                hlc=self.clock.now(),
                event=event,
            )
            for change in changes
            for offset, event in enumerate(change.events, start=1)
        ]

    def _insert(self, stored: Sequence[StoredEvent], keys: ContentKeys) -> Sequence[int]:
        positions = self.recorder.insert_events(stored, content_keys=keys)
        if positions is None:
            raise RuntimeError("the recorder did not return notification ids")
        return positions

    def _announce(self, position: int) -> None:
        with self._appended:
            self._last_position = max(self._last_position, position)
            self._appended.notify_all()
