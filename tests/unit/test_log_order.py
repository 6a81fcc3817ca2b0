"""Records read from several partitions go back into log order; repeats are dropped."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from infra.kafka.order import LogOrder


def chain(positions: list[int]) -> list[tuple[int, int]]:
    """(position, previous) for each event of a log with these positions (gaps allowed)."""
    return list(zip(positions, [0, *positions[:-1]], strict=True))


@given(
    st.lists(st.integers(1, 5), min_size=1, max_size=60),
    st.integers(0, 2**32),
    st.integers(0, 30),
)
def test_any_interleaving_with_repeats_is_released_once_in_log_order(
    steps: list[int], seed: int, repeats: int
) -> None:
    positions = []
    for step in steps:  # positions with gaps, as sequence gaps leave them in PostgreSQL
        positions.append((positions[-1] if positions else 0) + step)
    records = chain(positions)
    shuffled = records + random.Random(seed).choices(records, k=repeats)
    random.Random(seed).shuffle(shuffled)
    order: LogOrder[int] = LogOrder(0)
    released = [
        item
        for position, previous in shuffled
        for item in order.offer(position, previous, position)
    ]
    assert released == positions
    assert order.released == positions[-1]
    assert order.first_waiting() is None


def test_a_record_waits_for_its_predecessor_and_reports_the_gap() -> None:
    now = [100.0]
    order: LogOrder[str] = LogOrder(10, clock=lambda: now[0])
    assert order.offer(14, 12, "d") == []
    assert order.offer(9, 7, "old") == []  # at or below the start: handled already
    now[0] += 3
    assert order.stalled_for() == 3
    assert order.first_waiting() == 12
    assert order.offer(12, 11, "c") == []
    # The missing event (11) came from the log: what waited behind it follows.
    assert order.skip_to(11) == ["c", "d"]
    assert (order.released, order.stalled_for()) == (14, 0)
