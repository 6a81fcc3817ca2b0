"""The dramatiq broker of a node: Redis, keys under the node's prefix, retries with backoff.

Every job of the node goes to one queue. A failing job is retried after an exponential
backoff with jitter (dramatiq's ``Retries``: the n-th retry waits between
``min_backoff * 2**n`` and twice that, at most ``max_backoff``); once ``max_retries``
retries have failed, the broker moves the message to the queue's dead-letter set, where it
is kept for ``DEAD_LETTER_DAYS`` days.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import (
    AgeLimit,
    Callbacks,
    Middleware,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)

from infra.settings import Settings

QUEUE = "hearth"
DEAD_LETTER_DAYS = 7


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 8
    min_backoff_ms: int = 1_000
    max_backoff_ms: int = 10 * 60_000


def namespace(settings: Settings) -> str:
    return f"hearth:{settings.node_name}:jobs"


def job_broker(url: str, namespace: str, retries: RetryPolicy = RetryPolicy()) -> RedisBroker:
    middleware: list[Middleware] = [
        AgeLimit(),
        TimeLimit(),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        Retries(
            max_retries=retries.max_retries,
            min_backoff=retries.min_backoff_ms,
            max_backoff=retries.max_backoff_ms,
        ),
    ]
    client = redis.Redis.from_url(url, socket_connect_timeout=2.0, socket_timeout=10.0)
    return RedisBroker(  # type: ignore[no-untyped-call]
        client=client,
        namespace=namespace,
        middleware=middleware,
        dead_message_ttl=DEAD_LETTER_DAYS * 86_400_000,
    )


def node_broker(settings: Settings) -> RedisBroker:
    assert settings.redis_url is not None
    return job_broker(settings.redis_url, namespace(settings))
