"""Operator views of a node's storage, opened without starting the node's threads."""

from __future__ import annotations

from collections.abc import Callable

from domain.events import catalogue
from infra.bootstrap import Storage, last_hlc, open_storage
from infra.eventstore.clock import NodeClock
from infra.eventstore.codec import EventCodec
from infra.eventstore.store import EventStore
from infra.projections.file_reaper import GENERATION as REAPER_GENERATION
from infra.projections.file_reaper import FileReaperTarget
from infra.projections.rebuild import rebuild
from infra.projections.shredder import ShredderTarget
from infra.projections.views import (
    ViewSpec,
    ViewTarget,
    ensure_meta,
    failure,
    get_position,
    live_generation,
)
from infra.readmodels.chat_view import CHAT_VIEW
from infra.search.wiring import build_search
from infra.settings import Settings
from infra.sql import Database


def _views(settings: Settings, storage: Storage) -> dict[str, tuple[ViewSpec, Database]]:
    """Each rebuildable view, with the database that holds its tables and position."""
    search = build_search(settings, storage.search).spec
    return {CHAT_VIEW.name: (CHAT_VIEW, storage.views), search.name: (search, storage.search)}


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
    ensure_meta(storage.search)
    head = storage.recorder.max_notification_id() or 0
    lines = [f"log head: {head}"]
    for name, (_, db) in _views(settings, storage).items():
        with db.read() as cursor:
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
    storage = open_storage(settings)
    spec, db = _views(settings, storage)[name]
    try:
        return rebuild(store, db, spec, progress)
    finally:
        store.close()
