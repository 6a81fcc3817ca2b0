"""The outbox relay: follows the log and publishes each event to Kafka, in order, at least once.

There is no dual write: commands only append to the log, and this follower publishes what
was appended, from a position of its own kept beside the log (``kafka_relay_position``).
It reads a batch after its position, hands every event to confluent-kafka's idempotent
producer, waits for every delivery report, and only then saves the batch's last position.
A relay killed at any point resumes from the saved position and publishes the rest of that
batch again; consumers drop the repeats by position (``infra/kafka/order.py``). A failed
delivery (the brokers unreachable past the producer's timeout) discards the producer and
starts again from the saved position, so nothing is skipped; so does a database that could
not be reached, after a pause. Several relays may run for
availability: a lease (``infra/cluster/lease.py``) lets exactly one publish.

Records are keyed by channel (the message's channel for message events, the channel's id
for channel events) and by aggregate id otherwise, so the events of one channel share a
partition and keep their order there.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from uuid import UUID

import psycopg
from confluent_kafka import KafkaError, Message, Producer
from eventsourcing.persistence import ApplicationRecorder, Notification, PersistenceError
from eventsourcing.postgres import PostgresDatastore

from infra.kafka.records import clear_fields, headers_of

log = logging.getLogger(__name__)

BATCH_SIZE = 500
IDLE_SECONDS = 1.0
"""Longest sleep between reads of the log when no append wakes the relay."""
FLUSH_SECONDS = 1.0
KEY_CACHE = 100_000


class RelayPosition:
    """The relay's position in the log, in a table beside it."""

    def __init__(self, datastore: PostgresDatastore) -> None:
        self._datastore = datastore
        with datastore.transaction(commit=True) as cursor:
            cursor.execute(
                "CREATE TABLE IF NOT EXISTS kafka_relay_position ("
                "id INTEGER PRIMARY KEY CHECK (id = 1), position BIGINT NOT NULL)"
            )

    def get(self) -> int:
        with self._datastore.transaction(commit=False) as cursor:
            cursor.execute("SELECT position FROM kafka_relay_position WHERE id = 1")
            row = cursor.fetchone()
            return 0 if row is None else int(row["position"])

    def save(self, position: int) -> None:
        with self._datastore.transaction(commit=True) as cursor:
            cursor.execute(
                "INSERT INTO kafka_relay_position (id, position) VALUES (1, %s)"
                " ON CONFLICT (id) DO UPDATE SET position = excluded.position",
                (position,),
            )


class PartitionKeys:
    """The key of each event: its channel, or its aggregate when it belongs to no channel.

    ``MessagePosted`` names its channel; later events of a message do not, so the channel is
    remembered from (or, after a restart, looked up in) the aggregate's first event.
    """

    def __init__(self, recorder: ApplicationRecorder) -> None:
        self._recorder = recorder
        self._by_aggregate: OrderedDict[UUID, bytes] = OrderedDict()

    def key(self, notification: Notification) -> bytes:
        aggregate_id = UUID(str(notification.originator_id))
        channel = clear_fields(notification).get("channel_id")
        if channel is not None:
            key = str(channel).encode()
        elif notification.originator_version == 1:
            key = str(aggregate_id).encode()
        else:
            key = self._by_aggregate.get(aggregate_id) or self._first_key(aggregate_id)
        if notification.originator_version == 1:
            self._remember(aggregate_id, key)
        return key

    def _first_key(self, aggregate_id: UUID) -> bytes:
        [first] = self._recorder.select_events(aggregate_id, limit=1)
        channel = clear_fields(
            Notification(
                id=0,
                originator_id=first.originator_id,
                originator_version=first.originator_version,
                topic=first.topic,
                state=first.state,
            )
        ).get("channel_id")
        key = str(channel or aggregate_id).encode()
        self._remember(aggregate_id, key)
        return key

    def _remember(self, aggregate_id: UUID, key: bytes) -> None:
        self._by_aggregate[aggregate_id] = key
        self._by_aggregate.move_to_end(aggregate_id)
        if len(self._by_aggregate) > KEY_CACHE:
            self._by_aggregate.popitem(last=False)


class DeliveryFailed(Exception):
    """The brokers did not take a record; publish again from the saved position."""


class Relay:
    def __init__(
        self,
        recorder: ApplicationRecorder,
        position: RelayPosition,
        new_producer: Callable[[], Producer],
        topic: str,
        may_publish: Callable[[], bool] = lambda: True,
    ) -> None:
        """``may_publish`` says whether this relay holds the lease (always, when alone)."""
        self._recorder = recorder
        self._position = position
        self._new_producer = new_producer
        self._topic = topic
        self._may_publish = may_publish
        self._keys = PartitionKeys(recorder)
        self._appended = threading.Event()
        self._stop = threading.Event()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def wake(self) -> None:
        """Something was appended (or the relay is stopping): read the log now."""
        self._appended.set()

    def stop(self) -> None:
        self._stop.set()
        self._appended.set()

    def run(self) -> None:
        """Publish until ``stop``; restarts from the saved position after a failed delivery."""
        while not self._stop.is_set():
            if not self._may_publish():
                self._appended.wait(IDLE_SECONDS)
                self._appended.clear()
                continue
            producer = self._new_producer()
            try:
                self._publish_from(producer, self._position.get())
            except DeliveryFailed as error:
                log.warning(
                    "Kafka delivery failed (%s); publishing again from the saved position", error
                )
            except (PersistenceError, psycopg.Error) as error:
                log.warning("the log is unreachable (%s); retrying", error)
                self._stop.wait(IDLE_SECONDS)
            finally:
                producer.flush(0)

    def _publish_from(self, producer: Producer, position: int) -> None:
        while not self._stop.is_set() and self._may_publish():
            self._appended.clear()
            batch = self._recorder.select_notifications(
                start=position, limit=BATCH_SIZE, inclusive_of_start=False
            )
            if not batch:
                self._appended.wait(IDLE_SECONDS)
                continue
            self._deliver(producer, batch, position)
            position = batch[-1].id
            self._position.save(position)

    def _deliver(self, producer: Producer, batch: Sequence[Notification], previous: int) -> None:
        errors: list[KafkaError] = []

        def report(error: KafkaError | None, _: Message) -> None:
            if error is not None:
                errors.append(error)

        for notification in batch:
            self._produce(producer, notification, previous, report)
            previous = notification.id
        # Wait for every report: a record counts only once the brokers acknowledged it.
        while producer.flush(FLUSH_SECONDS) > 0:
            if self._stop.is_set():
                raise DeliveryFailed("stopping before every record was acknowledged")
        if errors:
            raise DeliveryFailed(str(errors[0]))

    def _produce(
        self,
        producer: Producer,
        notification: Notification,
        previous: int,
        report: Callable[[KafkaError | None, Message], None],
    ) -> None:
        while True:
            try:
                producer.produce(
                    self._topic,
                    key=self._keys.key(notification),
                    value=notification.state,
                    headers=headers_of(notification, previous),
                    on_delivery=report,
                )
                return
            except BufferError:  # the producer's queue is full: let deliveries drain it
                producer.poll(0.1)
