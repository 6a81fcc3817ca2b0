"""The dead-letter set of the node's job queue, as the dramatiq Redis broker keeps it.

When a job has used up its retries, the broker moves its message into two keys:
``<namespace>:<queue>.XQ`` (a sorted set of message ids by the time they died) and
``<namespace>:<queue>.XQ.msgs`` (a hash of id to the encoded message, whose options hold
the retry count and the last traceback). This module reads them for ``hearth jobs dead``,
puts one message back on its queue with fresh retries (``retry``), or drops them all
(``purge``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from dramatiq import Message
from dramatiq.brokers.redis import RedisBroker
from dramatiq.common import q_name

from infra.jobs.broker import QUEUE

# Options the broker and the Retries middleware added; a retried message starts afresh.
_SPENT_OPTIONS = ("retries", "traceback", "requeue_timestamp", "redis_message_id", "eta")


@dataclass(frozen=True)
class DeadLetter:
    id: str
    actor: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    retries: int
    failure: str
    """The last line of the last traceback: the exception that ended it."""
    died_at: datetime

    def line(self) -> str:
        call = ", ".join([*map(repr, self.args), *(f"{k}={v!r}" for k, v in self.kwargs.items())])
        when = self.died_at.isoformat(timespec="seconds")
        return f"{self.id}  {when}  {self.actor}({call})  retries={self.retries}  {self.failure}"


class DeadLetters:
    def __init__(self, broker: RedisBroker, queue: str = QUEUE) -> None:
        self.broker = broker
        self.ids = f"{broker.namespace}:{queue}.XQ"
        self.messages = self.ids + ".msgs"

    def list(self) -> list[DeadLetter]:
        """Every dead-lettered job, oldest first."""
        client = self.broker.client
        dead = cast(list[tuple[bytes, float]], client.zrange(self.ids, 0, -1, withscores=True))
        if not dead:
            return []
        ids = [message_id for message_id, _ in dead]
        bodies = cast(list[bytes | None], client.hmget(self.messages, ids))
        letters = []
        for (message_id, died_ms), body in zip(dead, bodies, strict=True):
            if body is None:  # dropped by the broker's own clean-up a moment ago
                continue
            message = Message.decode(body)
            trace = str(message.options.get("traceback", "")).strip().splitlines()
            letters.append(
                DeadLetter(
                    id=message_id.decode(),
                    actor=message.actor_name,
                    args=message.args,
                    kwargs=message.kwargs,
                    retries=int(message.options.get("retries", 0)),
                    failure=trace[-1] if trace else "",
                    died_at=datetime.fromtimestamp(died_ms / 1000, UTC),
                )
            )
        return letters

    def retry(self, message_id: str) -> bool:
        """Put one dead job back on its queue with its retries reset; False if unknown."""
        body = cast(bytes | None, self.broker.client.hget(self.messages, message_id))
        if body is None:
            return False
        message = Message.decode(body)
        options = {k: v for k, v in message.options.items() if k not in _SPENT_OPTIONS}
        fresh = dataclasses.replace(message, queue_name=q_name(message.queue_name), options=options)
        self.broker.declare_queue(fresh.queue_name)
        self.broker.enqueue(fresh)
        pipe = self.broker.client.pipeline()
        pipe.zrem(self.ids, message_id)
        pipe.hdel(self.messages, message_id)
        pipe.execute()
        return True

    def purge(self) -> int:
        """Drop every dead job; how many there were."""
        pipe = self.broker.client.pipeline()
        pipe.zcard(self.ids)
        pipe.delete(self.ids, self.messages)
        count, _ = pipe.execute()
        return int(count)
