"""HLC: monotonic whatever the wall clock does, and text order equals timestamp order."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidCommand
from domain.hlc import HLC, MAX_COUNTER, receive, tick
from infra.eventstore.clock import NodeClock

walls = st.integers(min_value=0, max_value=2**41)


@given(st.lists(walls, min_size=1, max_size=200))
def test_tick_is_strictly_monotonic_for_any_wall_clock(readings: list[int]) -> None:
    last = None
    for wall in readings:
        stamped = tick(last, wall, "n1")
        assert last is None or stamped > last
        assert stamped.wall_ms >= wall
        last = stamped


@given(st.lists(walls, min_size=1, max_size=50), walls)
def test_clock_resumed_from_the_log_never_goes_back(readings: list[int], restart_wall: int) -> None:
    clock = NodeClock("n1", wall=iter(readings).__next__)
    stamps = [clock.now() for _ in readings]
    resumed = NodeClock("n1", last=stamps[-1], wall=lambda: restart_wall)
    assert resumed.now() > stamps[-1]


@given(walls, st.integers(0, MAX_COUNTER), walls, st.integers(0, MAX_COUNTER))
def test_text_form_sorts_like_the_timestamp(w1: int, c1: int, w2: int, c2: int) -> None:
    a, b = HLC(w1, c1, "node-a"), HLC(w2, c2, "node-b")
    assert (str(a) < str(b)) == (a < b)
    assert HLC.parse(str(a)) == a


@given(walls, walls, st.integers(0, MAX_COUNTER))
def test_receive_orders_after_the_remote_event(
    local_wall: int, remote_wall: int, counter: int
) -> None:
    remote = HLC(remote_wall, counter, "remote")
    local = receive(None, remote, local_wall, "local")
    assert local > remote


def test_counter_overflow_borrows_the_next_millisecond() -> None:
    assert tick(HLC(5, MAX_COUNTER, "n"), 5, "n") == HLC(6, 0, "n")


@pytest.mark.parametrize("text", ["", "1-2-n", "000000000000001-00000-UPPER", "x" * 30])
def test_malformed_text_is_refused(text: str) -> None:
    with pytest.raises(InvalidCommand):
        HLC.parse(text)
