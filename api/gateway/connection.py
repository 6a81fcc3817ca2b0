"""One client's gateway connection: what it may read, and its bounded send buffer.

The buffer is the backpressure bound: frames wait there for the socket; when a
client reads too slowly and the buffer passes its limit, the connection is marked
overflowed and closed with 4008 (resumable), so memory never grows without bound.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from uuid import UUID

from domain.membership import Role

MAX_BUFFERED_BYTES = 4 * 1024 * 1024
SESSION_ENDED = 4001
"""Close code of a connection whose session ended (sign-out, revocation) or token expired."""


@dataclass(eq=False)
class Connection:
    user_id: UUID
    channels: dict[UUID | None, set[UUID]]
    """Readable channels by server (``None``: the user's DMs)."""
    roles: dict[UUID, Role]
    max_frames: int = 2000
    """Frames that may wait for a slow socket before the connection is closed (4008)."""
    session_id: UUID | None = None
    last_position: int = 0
    narrowed_to: set[UUID] | None = None
    """Set by ``subscribe``: message events only of these channels."""
    replaying: bool = True
    overflowed: bool = False
    closing: int | None = None
    """Set by ``close``: the code the session closes the socket with."""
    _buffer: deque[str] = field(default_factory=deque)
    _pending: list[tuple[int, str]] = field(default_factory=list)
    _bytes: int = 0
    _ready: asyncio.Event = field(default_factory=asyncio.Event)

    def readable(self) -> set[UUID]:
        return set().union(*self.channels.values()) if self.channels else set()

    def wants(self, channel_id: UUID) -> bool:
        return self.narrowed_to is None or channel_id in self.narrowed_to

    def deliver(self, position: int, text: str) -> None:
        """A logged event's frame: sent once, in log order, never twice."""
        if self.replaying:
            self._pending.append((position, text))
        elif position > self.last_position:
            self.last_position = position
            self.send(text)

    def send(self, text: str) -> None:
        """Any frame (ephemeral ones included) onto the bounded buffer."""
        if self.overflowed:
            return
        self._buffer.append(text)
        self._bytes += len(text)
        if len(self._buffer) > self.max_frames or self._bytes > MAX_BUFFERED_BYTES:
            self.overflowed = True
            self._buffer.clear()
            self._bytes = 0
        self._ready.set()

    def finish_replay(self, replayed_up_to: int) -> None:
        """Go live: frames that arrived during the replay follow it, minus duplicates."""
        self.last_position = max(self.last_position, replayed_up_to)
        self.replaying = False
        pending, self._pending = self._pending, []
        for position, text in pending:
            self.deliver(position, text)

    def close(self, code: int) -> None:
        """End the connection with ``code``; frames not yet sent are dropped."""
        self.closing = code
        self._buffer.clear()
        self._bytes = 0
        self._ready.set()

    async def next_frames(self) -> list[str]:
        """Wait for frames to send (empty list: the connection overflowed or is closing)."""
        await self._ready.wait()
        self._ready.clear()
        if self.overflowed or self.closing is not None:
            return []
        frames = list(self._buffer)
        self._buffer.clear()
        self._bytes = 0
        return frames
