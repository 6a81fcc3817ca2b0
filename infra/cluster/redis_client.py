"""Redis clients of one node: timeouts short enough that a lost Redis is noticed in seconds,
and every key under one prefix per node name, so nodes may share a Redis."""

from __future__ import annotations

import redis
import redis.asyncio

from infra.settings import Settings

CONNECT_TIMEOUT = 2.0
SOCKET_TIMEOUT = 5.0


def key_prefix(settings: Settings) -> str:
    return f"hearth:{settings.node_name}:"


def sync_client(settings: Settings) -> redis.Redis:
    assert settings.redis_url is not None
    return redis.Redis.from_url(
        settings.redis_url,
        socket_connect_timeout=CONNECT_TIMEOUT,
        socket_timeout=SOCKET_TIMEOUT,
        health_check_interval=30,
    )


def async_client(url: str) -> redis.asyncio.Redis:
    """A client on the event loop that answers in ``str``."""
    return redis.asyncio.Redis.from_url(
        url,
        decode_responses=True,
        socket_connect_timeout=CONNECT_TIMEOUT,
        socket_timeout=SOCKET_TIMEOUT,
        health_check_interval=30,
    )
