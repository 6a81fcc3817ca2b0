"""Operator views of a node's storage, opened without starting the node's threads."""

from __future__ import annotations

from collections.abc import Callable

from domain.events import catalogue
from infra.bootstrap import last_hlc, open_storage
from infra.eventstore.clock import NodeClock
from infra.eventstore.codec import EventCodec
from infra.eventstore.store import EventStore
from infra.projections.file_reaper import GENERATION as REAPER_GENERATION
from infra.projections.file_reaper import FileReaperTarget
from infra.projections.rebuild import rebuild
from infra.projections.shredder import ShredderTarget
from infra.projections.views import (
    ViewTarget,
    ensure_meta,
    failure,
    get_position,
    live_generation,
)
from infra.readmodels.chat_view import CHAT_VIEW
from infra.settings import Settings

VIEWS = {CHAT_VIEW.name: CHAT_VIEW}


def open_log(settings: Settings) -> EventStore:
    storage = open_storage(settings)
    clock = NodeClock(settings.node_name, last_hlc(storage.recorder))
    return EventStore(storage.recorder, storage.keys, EventCodec(catalogue), clock)


def _state(stopped: tuple[int, str] | None) -> str:
    return "ok" if stopped is None else f"FAILED after {stopped[0]}: {stopped[1]}"


def projection_status(settings: Settings) -> list[str]:
    """One line per follower of the log: where it is, how far behind, and whether it stopped."""
    storage = open_storage(settings)
    ensure_meta(storage.views)
    head = storage.recorder.max_notification_id() or 0
    lines = [f"log head: {head}"]
    for name in VIEWS:
        with storage.views.read() as cursor:
            generation = live_generation(cursor, name)
            position = get_position(cursor, name, generation) if generation else 0
            stopped = failure(cursor, name)
        lines.append(
            f"{name}: generation {generation or '-'}, position {position},"
            f" lag {head - position}, {_state(stopped)}"
        )
    shredded = storage.keys.shredder_position()
    with storage.views.read() as cursor:
        stopped = failure(cursor, ShredderTarget.name)
    lines.append(f"shredder: position {shredded}, lag {head - shredded}, {_state(stopped)}")
    with storage.views.read() as cursor:
        reaped = get_position(cursor, FileReaperTarget.name, REAPER_GENERATION)
        stopped = failure(cursor, FileReaperTarget.name)
    lines.append(f"file_reaper: position {reaped}, lag {head - reaped}, {_state(stopped)}")
    return lines


def rebuild_view(settings: Settings, name: str, progress: Callable[[int, int], None]) -> ViewTarget:
    store = open_log(settings)
    try:
        return rebuild(store, open_storage(settings).views, VIEWS[name], progress)
    finally:
        store.close()
