"""A gateway process's feed of logged events, read from the log's topic on Kafka.

Each gateway process reads every partition of the topic itself and fans the events out to
its own WebSocket clients through its hub. It starts at the log's head when the process
starts (clients resume anything older from the log, ``api/gateway/session.py``), puts the
records back in log order and drops repeats (``infra/kafka/order.py``), opens sealed fields
through the key store, and hands a batch on only once this node's chat view shows it, so a
client that reads over REST after a frame finds what the frame announced.

A record that waits too long for its predecessor means the predecessor will not come from
Kafka (the topic was recreated, or retention removed it before this process read it); the
missing events are then read from the log itself, so a gap never stalls delivery.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from confluent_kafka import Consumer, KafkaException, TopicPartition

from domain.events import Recorded
from infra.eventstore.store import EventStore
from infra.kafka.client import consumer
from infra.kafka.order import LogOrder
from infra.kafka.records import LoggedRecord, record_of

log = logging.getLogger(__name__)

POLL_SECONDS = 0.2
BATCH = 500
RETRY_SECONDS = 1.0
GAP_SECONDS = 2.0
"""How long a record may wait for its predecessor before the gap is read from the log."""
CLOCK_MARGIN_MS = 60_000
"""Records are read from this long before the process started, in case the relay's clock
is behind this one; older records are at or below the start position and dropped."""


class KafkaFeed:
    def __init__(
        self,
        bootstrap: str,
        topic: str,
        store: EventStore,
        projected: Callable[[int, float], bool],
        deliver: Callable[[list[Recorded]], None],
        start_after: int,
    ) -> None:
        """``projected(position, timeout)`` waits for the chat view; ``deliver`` gets each
        batch in log order, on this feed's thread."""
        self._bootstrap = bootstrap
        self._topic = topic
        self._store = store
        self._projected = projected
        self._deliver = deliver
        self._order: LogOrder[LoggedRecord] = LogOrder(start_after)
        self._ready: list[LoggedRecord] = []
        self._started_ms = int(time.time() * 1000)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kafka-feed", daemon=True)

    def start(self) -> KafkaFeed:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        reader = self._connect()
        if reader is None:
            return
        try:
            while not self._stop.is_set():
                try:
                    self._poll(reader)
                except Exception:  # a bad record or a database hiccup must not end fan-out
                    log.exception("the Kafka feed failed; retrying")
                    self._stop.wait(RETRY_SECONDS)
        finally:
            reader.close()

    def _connect(self) -> Consumer | None:
        """A consumer assigned every partition from the process's start, once Kafka answers."""
        while not self._stop.is_set():
            reader = consumer(self._bootstrap)
            try:
                reader.assign(self._start_offsets(reader))
                return reader
            except (KafkaException, LookupError) as error:
                log.warning("Kafka topic %s not readable yet (%s); retrying", self._topic, error)
                reader.close()
                self._stop.wait(RETRY_SECONDS)
        return None

    def _start_offsets(self, reader: Consumer) -> list[TopicPartition]:
        topic = reader.list_topics(self._topic, timeout=5).topics[self._topic]
        if topic.error is not None or not topic.partitions:
            raise LookupError(str(topic.error or "no partitions"))
        since = self._started_ms - CLOCK_MARGIN_MS
        # The end of each partition first, then the first record since ``since``: a record
        # written between the two queries is at or after that end, so none is missed.
        ends = {
            p: reader.get_watermark_offsets(TopicPartition(self._topic, p), timeout=5)[1]
            for p in topic.partitions
        }
        found = reader.offsets_for_times(
            [TopicPartition(self._topic, p, since) for p in topic.partitions], timeout=5
        )
        return [
            TopicPartition(
                self._topic, tp.partition, tp.offset if tp.offset >= 0 else ends[tp.partition]
            )
            for tp in found
        ]

    def _poll(self, reader: Consumer) -> None:
        """Read what has arrived, and hand on every record now in order (including those a
        failed attempt left in ``_ready``: a record released from the order is never lost)."""
        # ``consume`` waits for its whole timeout unless the batch fills, so wait for the
        # first record with ``poll`` and take only what has already arrived with it.
        first = reader.poll(POLL_SECONDS)
        messages = [] if first is None else [first, *reader.consume(BATCH - 1, 0)]
        for message in messages:
            error = message.error()
            if error is not None:
                log.warning("Kafka: %s", error)
                continue
            try:
                record = record_of(message.value() or b"", message.headers() or [])
            except ValueError as bad:
                log.warning("skipping a record that is not the log's: %s", bad)
                continue
            self._ready.extend(self._order.offer(record.position, record.previous, record))
        if self._ready:
            self._hand_on(self._store.decode([r.notification for r in self._ready]))
            self._ready.clear()
        if self._order.stalled_for() > GAP_SECONDS:
            self._fill_gap()

    def _fill_gap(self) -> None:
        missing_to = self._order.first_waiting()
        if missing_to is None:
            return
        log.warning("Kafka lacks events after %d; reading them from the log", self._order.released)
        after = self._order.released
        while after < missing_to:
            batch = [r for r in self._store.read(after, BATCH) if r.position <= missing_to]
            if not batch:
                break
            self._hand_on(batch)
            after = batch[-1].position
        self._ready.extend(self._order.skip_to(missing_to))

    def _hand_on(self, batch: list[Recorded]) -> None:
        while not self._projected(batch[-1].position, 1.0):
            if self._stop.is_set():
                return
        self._deliver(batch)
