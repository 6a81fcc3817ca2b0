"""Cross-process wake-ups over PostgreSQL ``LISTEN``/``NOTIFY``.

Within one process the event store wakes its followers as soon as an append commits. Other
processes of the node learn of it here: eventsourcing's recorder sends ``NOTIFY`` on the
log's channel in every insert transaction, and a view that applied a batch sends one on
``hearth_progress`` (``infra/projections/views.py``); PostgreSQL delivers both at commit.
One thread per process listens to both and wakes whoever waits. A lost notification costs
latency, never an event: every waiter also wakes on a timeout and reads positions itself.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg
from psycopg import sql

log = logging.getLogger(__name__)

PROGRESS_CHANNEL = "hearth_progress"
RECONNECT_SECONDS = 1.0


class Signals:
    """Calls ``on_append`` when any process appends to the log, and ``on_progress(name)`` when
    the follower ``name`` commits a batch in any process."""

    def __init__(
        self,
        database_url: str,
        log_channel: str,
        on_append: Callable[[], None],
        on_progress: Callable[[str], None],
    ) -> None:
        self._url = database_url
        self._log_channel = log_channel
        self._on_append = on_append
        self._on_progress = on_progress
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pg-signals", daemon=True)

    def start(self) -> Signals:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen()
            except psycopg.Error as error:
                log.warning("LISTEN connection lost (%s); reconnecting", error)
                self._stop.wait(RECONNECT_SECONDS)

    def _listen(self) -> None:
        with psycopg.connect(self._url, autocommit=True, connect_timeout=5) as connection:
            for channel in (self._log_channel, PROGRESS_CHANNEL):
                connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
            # Anything sent while this connection was not listening is caught up now.
            self._on_append()
            while not self._stop.is_set():
                for notice in connection.notifies(timeout=1.0):
                    if notice.channel == PROGRESS_CHANNEL:
                        self._on_progress(notice.payload)
                    else:
                        self._on_append()
