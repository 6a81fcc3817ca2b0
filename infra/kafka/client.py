"""confluent-kafka clients configured for the log's topic."""

from __future__ import annotations

import logging
import uuid

from confluent_kafka import Consumer, KafkaException, Producer
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

log = logging.getLogger(__name__)


def producer(bootstrap: str) -> Producer:
    """An idempotent producer: retries never duplicate or reorder a partition's records, and a
    record counts as delivered only once every in-sync replica has it."""
    return Producer(
        {
            "bootstrap.servers": bootstrap,
            "enable.idempotence": True,
            "acks": "all",
            # Small batches: the relay waits for delivery before moving on, so lingering
            # only adds latency.
            "linger.ms": 1,
            "client.id": "hearth-relay",
        }
    )


def consumer(bootstrap: str) -> Consumer:
    """A consumer that reads every partition itself (no group balancing, no commits): each
    gateway process fans out every event to its own clients."""
    return Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"hearth-gateway-{uuid.uuid4()}",
            "enable.auto.commit": False,
            "auto.offset.reset": "latest",
            "client.id": "hearth-gateway",
        }
    )


def ensure_topic(bootstrap: str, topic: str, partitions: int, timeout: float = 30.0) -> None:
    """Create the topic when it does not exist (replication as the brokers' default)."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    if topic in admin.list_topics(timeout=timeout).topics:
        return
    futures = admin.create_topics([NewTopic(topic, partitions)], request_timeout=timeout)
    try:
        futures[topic].result(timeout)
        log.info("created topic %s with %d partitions", topic, partitions)
    except KafkaException as error:
        if error.args[0].code() != error.args[0].TOPIC_ALREADY_EXISTS:
            raise
