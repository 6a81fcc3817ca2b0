"""Projection catch-up: how fast the chat view is built from a log it has never seen.

The log is filled with a realistic mix (``bench.workload.ChatTraffic``: mostly
messages, with replies, edits, deletions, members joining, new channels), then read
from position zero four ways, each timed over the whole log:

1. the library alone: ``recorder.select_notifications`` in batches, no decoding of ours;
2. our codec on top: ``EventStore.read`` (data keys looked up, sealed fields opened,
   upcasting, pydantic validation);
3. the projection: a fresh ``ProjectionRunner`` over a ``ViewTarget`` of the chat view,
   ``run_once()`` until caught up, each batch written with its position in one
   transaction;
4. ``infra.projections.rebuild.rebuild``, the operator's rebuild into a new generation.

Stage 1 is the baseline; the time per event of stages 1 to 3 shows where the time
goes (the codec's share is 2 minus 1, the view writes' share 3 minus 2).

    python -m bench.catchup [--backend sqlite|postgresql|both] [--quick] [--profile]

Goal (issue 2): at least 30,000 events/s with the chat read model written; the library
alone decodes about 155,000 events/s on this kind of machine.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bench import harness
from bench.harness import Backend, Report, Stopwatch
from bench.workload import ChatTraffic, append_in_batches
from infra.eventstore.store import EventStore
from infra.projections.rebuild import rebuild
from infra.projections.runner import BATCH_SIZE, ProjectionRunner
from infra.projections.views import ViewTarget
from infra.readmodels.chat_view import CHAT_VIEW
from infra.sql import Database

FILL_BATCH = 500
GOAL = ">= 30,000"


def library_read(store: EventStore) -> int:
    """Read every notification as the library returns it; the last position read."""
    position = 0
    while notifications := store.recorder.select_notifications(
        start=position, limit=BATCH_SIZE, inclusive_of_start=False
    ):
        position = notifications[-1].id
    return position


def codec_read(store: EventStore) -> int:
    """Read and decode every event through the store; the last position read."""
    position = 0
    while batch := store.read(position, BATCH_SIZE):
        position = batch[-1].position
    return position


def project(runner: ProjectionRunner) -> int:
    """Run the projection until it has nothing left to apply; its position."""
    while runner.run_once():
        pass
    return runner.position


def rebuild_view(store: EventStore, db: Database) -> int:
    """Rebuild the chat view into a new generation and make it live; its position."""
    return rebuild(store, db, CHAT_VIEW).position()


@dataclass(frozen=True)
class Log:
    """What every pass must get through: the log's event count and its last position."""

    events: int
    head: int


def timed(
    report: Report, label: str, read_all: Callable[[], int], log: Log, goal: str = ""
) -> float:
    """Time ``read_all()``, check it reached the head of the log, add its rate; s per event."""
    with Stopwatch() as watch:
        reached = read_all()
    if reached != log.head:
        raise RuntimeError(f"{label} stopped at position {reached}, the log ends at {log.head}")
    report.add(label, harness.rate(log.events, watch.seconds), "events/s", goal)
    return watch.seconds / log.events


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--events", type=int, help="events in the log (100000; quick 10000)")
    parser.add_argument(
        "--profile", action="store_true", help="print where the projection's time goes"
    )


def run(backend: Backend, args: argparse.Namespace) -> Report:
    wanted = harness.size(args.events, args.quick, 10_000, 100_000)
    report = Report("catchup", backend.name, {"events": wanted})
    with backend.fresh() as database, harness.node_on(database, start=False) as node:
        store, views = node.store, node.storage.views
        with Stopwatch() as fill:
            written = append_in_batches(store, ChatTraffic().changes(), wanted, FILL_BATCH)
        report.parameters["events"] = written
        log = Log(written, store.last_position())
        report.add(
            f"fill: EventStore.append, {FILL_BATCH} changes a call",
            harness.rate(written, fill.seconds),
            "events/s",
        )
        library_read(store)  # warms the page cache, so the first timed pass is not penalised
        library = timed(
            report, "library alone: select_notifications", lambda: library_read(store), log
        )
        codec = timed(report, "library + codec: EventStore.read", lambda: codec_read(store), log)
        runner = ProjectionRunner(store, ViewTarget.open_live(views, CHAT_VIEW))
        with harness.profiled(args.profile, "the projection's catch-up"):
            projection = timed(
                report, "projection: chat view, run_once()", lambda: project(runner), log, GOAL
            )
        timed(report, "rebuild into a new generation", lambda: rebuild_view(store, views), log)
    report.add("ratio projection / library alone", library / projection, "x")
    report.add("ratio codec / library alone", library / codec, "x")
    report.add("time per event: library alone", library * 1e6, "µs")
    report.add("time per event: library + codec", codec * 1e6, "µs")
    report.add("time per event: projection (read, decode, write)", projection * 1e6, "µs")
    return report


def main(argv: Sequence[str] | None = None) -> list[Report]:
    return harness.main(__doc__ or "", add_options, run, argv)


if __name__ == "__main__":
    main()
