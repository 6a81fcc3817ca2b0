"""Rebuild a view from position zero while the node keeps serving the old one.

The new generation is filled from the start of the log; once it has caught up,
its last batch and the swap of the live generation commit together. Runners on
the old generation notice the swap in their next transaction and follow; the
old tables are then dropped.
"""

from __future__ import annotations

from collections.abc import Callable

from infra.eventstore.store import EventStore
from infra.projections.runner import BATCH_SIZE
from infra.projections.views import ViewSpec, ViewTarget
from infra.sql import Database


def rebuild(
    store: EventStore,
    db: Database,
    spec: ViewSpec,
    progress: Callable[[int, int], None] = lambda position, head: None,
) -> ViewTarget:
    """Fill a fresh generation of ``spec`` from zero and make it live; returns it."""
    target = ViewTarget.create_next(db, spec)
    position = 0
    while True:
        batch = store.read(position, BATCH_SIZE)
        if len(batch) < BATCH_SIZE:
            target.apply_batch(batch, promote=True)
            break
        target.apply_batch(batch)
        position = batch[-1].position
        progress(position, store.last_position())
    target.drop_other_generations()
    return target
