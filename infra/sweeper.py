"""The TTL sweeper: deletes ephemeral messages once their time is up.

It asks the chat view for expired messages once a second and issues the expiry
command for each, so the tombstone is written (and the shredder destroys the
key) within about a second of expiry. On SQLite it also truncates the WAL files
every minute, so deleted content does not linger in old WAL frames.

With Redis configured, the thread only ``schedule``s: each tick queues the sweep as a
dramatiq job (infra/jobs/sweeps.py), which ``hearth worker`` processes run.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from api.chat_commands import ChatCommands, now_ms
from infra.cluster.lease import Lease
from projections.ports import ChatViewReader

log = logging.getLogger(__name__)

SWEEP_SECONDS = 1.0
CHECKPOINT_SECONDS = 60.0
BATCH = 500


class Sweeper:
    def __init__(
        self,
        reader: ChatViewReader,
        commands: ChatCommands,
        checkpoint: Callable[[], None],
        lease: Lease | None = None,
        schedule: Callable[[], None] | None = None,
    ) -> None:
        """``lease``: on a node of several processes, only its holder sweeps."""
        self.reader = reader
        self.commands = commands
        self.checkpoint = checkpoint
        self._lease = lease
        self.schedule: Callable[[], object] = schedule or self.sweep
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ttl-sweeper", daemon=True)

    def start(self) -> Sweeper:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        if self._lease is not None:
            self._lease.release()

    def sweep(self) -> int:
        expired = self.reader.expired_messages(now_ms(), BATCH)
        for message_id in expired:
            self.commands.expire_message(message_id)
        return len(expired)

    def _run(self) -> None:
        last_checkpoint = time.monotonic()
        while not self._stop.wait(SWEEP_SECONDS):
            if self._lease is not None and not self._lease.held():
                continue
            try:
                self.schedule()
                if time.monotonic() - last_checkpoint >= CHECKPOINT_SECONDS:
                    self.checkpoint()
                    last_checkpoint = time.monotonic()
            except Exception:
                log.exception("TTL sweep failed; retrying")
