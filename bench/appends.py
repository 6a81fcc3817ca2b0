"""Appends per second through ``EventStore.append``, with one and with many writer threads.

Each append records one new message aggregate (``domain.message.post``: a real,
sealed ``MessagePosted`` with its own data key), as a post does. Every append waits
until its events are durable, so one writer can go no faster than one commit, one
fsync, at a time: the baseline is the machine's fsync rate, measured in the same run
in the database's folder (``bench.fsync``). Concurrent writers share commits through
the store's group commit, so 16 writers should go several times faster than one.
Between the disk and the store sits the database itself: bare one-row commits of
the same database, with the node's settings, are timed too. The probe, the bare
commits, the lone writer and the 16 writers take turns in five rounds, and each
figure sums its rounds.

    python -m bench.appends [--backend sqlite|postgresql|both] [--quick]

Goals (issue 2): one writer near the fsync rate (ratio near 1); 16 writers at least
3x one writer.
"""

from __future__ import annotations

import argparse
import random
import threading
from collections.abc import Sequence

import psycopg

from bench import fsync, harness
from bench.harness import Backend, FreshDatabase, Report, Stopwatch, Tally
from bench.workload import SeededServer, post, seed_server, sentence
from domain.aggregates import Change
from infra.eventstore.store import EventStore
from infra.sql import connect_sqlite

WARM_UP_APPENDS = 10
# The fsync probe, bare commits, the lone writer and the concurrent writers take turns,
# this many times, so that all of them see the same drift of the disk's speed.
ROUNDS = 5


def make_posts(seeded: SeededServer, count: int, seed: object) -> list[Change]:
    """Decided before the clock starts, so the figure is the store's alone."""
    rng = random.Random(str(seed))
    return [post(seeded.general, seeded.owner_membership, sentence(rng)) for _ in range(count)]


def time_appends(store: EventStore, per_writer: Sequence[list[Change]]) -> float:
    """Seconds for writer threads to append their changes, one call each; all start together."""
    start = threading.Barrier(len(per_writer) + 1)
    failures: list[BaseException] = []

    def write(changes: list[Change]) -> None:
        start.wait()
        try:
            for change in changes:
                store.append([change])
        except BaseException as error:  # reported by the main thread below
            failures.append(error)

    writers = [threading.Thread(target=write, args=(changes,)) for changes in per_writer]
    for writer in writers:
        writer.start()
    with Stopwatch() as watch:
        start.wait()
        for writer in writers:
            writer.join()
    if failures:
        raise failures[0]
    return watch.seconds


RAW_ROW = ("0" * 32, bytes(400))


def time_raw_commits(database: FreshDatabase, count: int) -> float:
    """Seconds for ``count`` one-row commits of the bare database, with the node's settings.

    The database's own ceiling for one durable commit after another, below the disk's
    fsync rate by what the engine itself adds (page writes, a growing log file).
    """
    url = database.settings.database_url
    if url is not None:
        return _time_postgres_commits(url, count)
    connection = connect_sqlite(str(database.disk_folder / "raw-commits.sqlite3"))
    try:
        connection.execute("CREATE TABLE IF NOT EXISTS raw (id TEXT, state BLOB)")
        with Stopwatch() as watch:
            for _ in range(count):
                connection.execute("BEGIN IMMEDIATE")
                connection.execute("INSERT INTO raw VALUES (?, ?)", RAW_ROW)
                connection.execute("COMMIT")
        return watch.seconds
    finally:
        connection.close()


def _time_postgres_commits(url: str, count: int) -> float:
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("CREATE TABLE IF NOT EXISTS raw_commits (id text, state bytea)")
        with Stopwatch() as watch:
            for _ in range(count):
                connection.execute("INSERT INTO raw_commits VALUES (%s, %s)", RAW_ROW)
        connection.execute("DROP TABLE raw_commits")
    return watch.seconds


def add_options(parser: argparse.ArgumentParser) -> None:
    fsync.add_options(parser)
    parser.add_argument("--appends", type=int, help="appends of the lone writer (1000; quick 200)")
    parser.add_argument(
        "--concurrent-appends",
        type=int,
        help="appends shared by the concurrent writers (8000; quick 1600)",
    )
    parser.add_argument("--writers", type=int, default=16, help="concurrent writers (16)")


def run(backend: Backend, args: argparse.Namespace) -> Report:
    writers = args.writers
    alone = max(ROUNDS, harness.size(args.appends, args.quick, 200, 1000)) // ROUNDS
    together = max(ROUNDS * writers, harness.size(args.concurrent_appends, args.quick, 1600, 8000))
    share = together // ROUNDS // writers
    probes = max(ROUNDS, fsync.probe_count(args)) // ROUNDS
    parameters = {
        "rounds": ROUNDS,
        "fsyncs": probes * ROUNDS,
        "appends_1": alone * ROUNDS,
        f"appends_{writers}": share * writers * ROUNDS,
    }
    report = Report("appends", backend.name, parameters)
    disk, bare, one, many = Tally(), Tally(), Tally(), Tally()
    with backend.fresh() as database, harness.node_on(database, start=False) as node:
        seeded = seed_server(node.commands, node.store)
        time_appends(node.store, [make_posts(seeded, WARM_UP_APPENDS, 0)])
        for number in range(ROUNDS):
            disk.add(probes, probes / fsync.probe_fsync(database.disk_folder, probes))
            bare.add(alone, time_raw_commits(database, alone))
            changes = make_posts(seeded, alone, seed=number)
            one.add(alone, time_appends(node.store, [changes]))
            shares = [make_posts(seeded, share, seed=(number, n)) for n in range(writers)]
            many.add(share * writers, time_appends(node.store, shares))
        report.add(fsync.PROBE, disk.rate, "ops/s")
        fsync.add_pg_test_fsync(report, backend, database.disk_folder, args)
    report.add(f"bare {backend.name} one-row commits/s", bare.rate, "commits/s")
    report.add("appends/s, 1 writer", one.rate, "appends/s")
    report.add(f"appends/s, {writers} writers", many.rate, "appends/s")
    report.add(f"ratio {writers} writers / 1 writer", many.rate / one.rate, "x", ">= 3")
    report.add("ratio 1 writer / fsync rate", one.rate / disk.rate, "x", "near 1")
    report.add("ratio 1 writer / bare commits", one.rate / bare.rate, "x")
    report.add(f"ratio {writers} writers / fsync rate", many.rate / disk.rate, "x")
    return report


def main(argv: Sequence[str] | None = None) -> list[Report]:
    return harness.main(__doc__ or "", add_options, run, argv)


if __name__ == "__main__":
    main()
