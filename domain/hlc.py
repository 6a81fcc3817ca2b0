"""Hybrid Logical Clock timestamps (Kulkarni et al., "Logical Physical Clocks", 2014).

A timestamp is (wall-clock milliseconds, logical counter, node id). It never goes
backwards on one node, even when the machine's clock is stepped back, and it stays
within a bounded distance of physical time. The canonical text form sorts in the
same order as the tuple, so databases can order by the string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.errors import InvalidCommand

WALL_DIGITS = 15
COUNTER_DIGITS = 5
MAX_COUNTER = 10**COUNTER_DIGITS - 1
NODE_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9.-]{0,62}$")
_TEXT_PATTERN = re.compile(r"^(\d{15})-(\d{5})-([a-z0-9][a-z0-9.-]{0,62})$")


@dataclass(frozen=True, order=True, slots=True)
class HLC:
    """One timestamp. Field order is the ordering rule: wall, then counter, then node."""

    wall_ms: int
    counter: int
    node: str

    def __post_init__(self) -> None:
        if not 0 <= self.wall_ms < 10**WALL_DIGITS:
            raise InvalidCommand(f"hlc wall_ms out of range: {self.wall_ms}")
        if not 0 <= self.counter <= MAX_COUNTER:
            raise InvalidCommand(f"hlc counter out of range: {self.counter}")
        if not NODE_ID_PATTERN.match(self.node):
            raise InvalidCommand(f"hlc node id is not a valid node id: {self.node!r}")

    def __str__(self) -> str:
        return f"{self.wall_ms:0{WALL_DIGITS}d}-{self.counter:0{COUNTER_DIGITS}d}-{self.node}"

    @classmethod
    def parse(cls, text: str) -> HLC:
        """Read the canonical text form, refusing anything else."""
        match = _TEXT_PATTERN.match(text)
        if match is None:
            raise InvalidCommand(f"not an HLC timestamp: {text!r}")
        # The pattern already bounds every field, so the constructor's checks are skipped:
        # this runs once per event read from the log.
        stamp = object.__new__(cls)
        object.__setattr__(stamp, "wall_ms", int(match[1]))
        object.__setattr__(stamp, "counter", int(match[2]))
        object.__setattr__(stamp, "node", match[3])
        return stamp


def tick(last: HLC | None, wall_ms: int, node: str) -> HLC:
    """The timestamp for a local event: strictly after ``last`` and never behind the wall clock.

    When the wall clock has not moved past ``last`` (same millisecond, or stepped
    backwards) the counter carries the order; when the counter is exhausted the
    timestamp borrows the next millisecond, which keeps the order total.
    """
    if last is None or wall_ms > last.wall_ms:
        return HLC(wall_ms, 0, node)
    if last.counter < MAX_COUNTER:
        return HLC(last.wall_ms, last.counter + 1, node)
    return HLC(last.wall_ms + 1, 0, node)


def receive(last: HLC | None, remote: HLC, wall_ms: int, node: str) -> HLC:
    """The timestamp after observing a remote event: after both ``last`` and ``remote``."""
    newest = remote if last is None or remote > last else last
    return tick(newest, wall_ms, node)
