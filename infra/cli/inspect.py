"""Operator views of a node's storage, opened without starting the node's threads."""

from __future__ import annotations

from collections.abc import Callable

from domain.events import catalogue
from infra.bootstrap import last_hlc, open_storage
from infra.eventstore.clock import NodeClock
from infra.eventstore.codec import EventCodec
from infra.eventstore.store import EventStore
from infra.projections.rebuild import rebuild
from infra.projections.views import ViewTarget, get_position, live_generation
from infra.readmodels.chat_view import CHAT_VIEW
from infra.settings import Settings

VIEWS = {CHAT_VIEW.name: CHAT_VIEW}


def open_log(settings: Settings) -> EventStore:
    storage = open_storage(settings)
    clock = NodeClock(settings.node_name, last_hlc(storage.recorder))
    return EventStore(storage.recorder, storage.keys, EventCodec(catalogue), clock)


def projection_status(settings: Settings) -> list[str]:
    storage = open_storage(settings)
    head = storage.recorder.max_notification_id() or 0
    lines = [f"log head: {head}"]
    for name in VIEWS:
        with storage.views.read() as cursor:
            generation = live_generation(cursor, name)
            position = get_position(cursor, name, generation) if generation else 0
            cursor.execute(
                "SELECT position, error FROM projection_failures WHERE name = ?", (name,)
            )
            failure = cursor.fetchone()
        state = f"FAILED after {failure['position']}: {failure['error']}" if failure else "ok"
        lines.append(
            f"{name}: generation {generation or '-'}, position {position},"
            f" lag {head - position}, {state}"
        )
    shredded = storage.keys.shredder_position()
    lines.append(f"shredder: position {shredded}, lag {head - shredded}, ok")
    return lines


def rebuild_view(settings: Settings, name: str, progress: Callable[[int, int], None]) -> ViewTarget:
    store = open_log(settings)
    try:
        return rebuild(store, open_storage(settings).views, VIEWS[name], progress)
    finally:
        store.close()
