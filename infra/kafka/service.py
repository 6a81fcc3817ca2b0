"""``hearth relay``: the outbox relay as a process of its own, until SIGTERM or SIGINT."""

from __future__ import annotations

import logging
import signal
import time
from types import FrameType

from confluent_kafka import KafkaException

from infra.bootstrap import open_storage
from infra.cluster.lease import Lease
from infra.cluster.signals import Signals
from infra.errors import ConfigurationError
from infra.kafka.client import ensure_topic, producer
from infra.kafka.relay import Relay, RelayPosition
from infra.settings import Settings

log = logging.getLogger(__name__)

RETRY_SECONDS = 2.0


def run_relay(settings: Settings) -> None:
    if not (settings.database_url and settings.kafka_bootstrap):
        raise ConfigurationError(
            "hearth relay needs HEARTH_DATABASE_URL and HEARTH_KAFKA_BOOTSTRAP"
        )
    url, bootstrap = settings.database_url, settings.kafka_bootstrap
    storage = open_storage(settings)
    recorder = storage.recorder
    lease = Lease(url, "kafka-relay")
    relay = Relay(
        recorder,
        RelayPosition(recorder.datastore),  # type: ignore[attr-defined]
        lambda: producer(bootstrap),
        settings.kafka_topic,
        lease.held,
    )

    def stop(signum: int, _: FrameType | None) -> None:
        log.info("relay stopping (signal %d)", signum)
        relay.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    channel = recorder.channel_name  # type: ignore[attr-defined]
    signals = Signals(url, channel, relay.wake, lambda _: None).start()
    try:
        _wait_for_topic(relay, bootstrap, settings.kafka_topic, settings.kafka_partitions)
        relay.run()
    finally:
        signals.stop()
        lease.release()


def _wait_for_topic(relay: Relay, bootstrap: str, topic: str, partitions: int) -> None:
    while not relay.stopped:
        try:
            ensure_topic(bootstrap, topic, partitions)
            return
        except KafkaException as error:
            log.warning("Kafka at %s not ready (%s); retrying", bootstrap, error)
            time.sleep(RETRY_SECONDS)
