"""The machine's fsync rate: the ceiling of one durable commit after another.

Both databases acknowledge a commit only once its log reached the disk (SQLite in
WAL mode with ``synchronous=FULL``; PostgreSQL with ``fsync=on``,
``synchronous_commit=on``), so a single writer can commit at most about as often as
the disk completes an fsync. The probe writes one page-sized record and syncs it,
``count`` times, in the folder that holds the database, which is what a one-event
commit costs the disk. For PostgreSQL, ``pg_test_fsync`` (what PostgreSQL's own
documentation uses to choose ``wal_sync_method``) is also run in the cluster's data
folder, and its ``fdatasync`` figure for one 8 kB write, Linux's default method, is
printed beside the probe.

    python -m bench.fsync [--backend sqlite|postgresql|both] [--quick]
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench import harness
from bench.harness import Backend, Report, Stopwatch

RECORD = b"\x5a" * 4096
PROBE = "fsync probe (4 KiB write + fdatasync)"
_PG_FDATASYNC = re.compile(r"^\s*fdatasync\s+([0-9.]+) ops/sec", re.MULTILINE)


def probe_fsync(folder: Path, count: int) -> float:
    """Writes of one 4 KiB record, each followed by ``fdatasync``, per second.

    The file is allocated (and synced) first and then overwritten record by record, as
    both databases do with their write-ahead logs (SQLite restarts its WAL file from
    the top after a checkpoint; PostgreSQL preallocates WAL segments); appending to a
    growing file would also journal its size on every sync and understate the rate.
    """
    handle, name = tempfile.mkstemp(prefix="fsync-probe-", dir=folder)
    try:
        os.write(handle, bytes(len(RECORD) * count))
        os.fsync(handle)
        with Stopwatch() as watch:
            for number in range(count):
                os.pwrite(handle, RECORD, number * len(RECORD))
                os.fdatasync(handle)
        return harness.rate(count, watch.seconds)
    finally:
        os.close(handle)
        os.unlink(name)


def pg_test_fsync(folder: Path, seconds: int) -> float | None:
    """``pg_test_fsync``'s fdatasync rate for one 8 kB write, or None if it is not installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_test_fsync"))
    if not found or seconds <= 0:
        return None
    with tempfile.TemporaryDirectory(prefix="pg-test-fsync-", dir=folder) as scratch:
        output = subprocess.run(
            [found[-1], "-f", f"{scratch}/probe", "-s", str(seconds)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    first = _PG_FDATASYNC.search(output)
    return float(first.group(1)) if first else None


def probe_count(args: argparse.Namespace) -> int:
    return harness.size(args.fsyncs, args.quick, 200, 1000)


def add_pg_test_fsync(
    report: Report, backend: Backend, folder: Path, args: argparse.Namespace
) -> None:
    """On PostgreSQL, add ``pg_test_fsync``'s figure (when it is installed and not skipped)."""
    if backend.name != "postgresql":
        return
    tested = pg_test_fsync(folder, harness.size(args.pg_test_fsync_seconds, args.quick, 1, 2))
    if tested is not None:
        report.add("pg_test_fsync fdatasync (one 8 kB write)", tested, "ops/s")


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--fsyncs", type=int, help="probe writes (default 1000; quick 200)")
    parser.add_argument(
        "--pg-test-fsync-seconds",
        type=int,
        help="seconds per pg_test_fsync test, 0 to skip it (default 2; quick 1)",
    )


def run(backend: Backend, args: argparse.Namespace) -> Report:
    report = Report("fsync", backend.name, {})
    with backend.fresh() as database:
        count = probe_count(args)
        report.parameters.update(fsyncs=count, folder=str(database.disk_folder))
        report.add(PROBE, probe_fsync(database.disk_folder, count), "ops/s")
        add_pg_test_fsync(report, backend, database.disk_folder, args)
    return report


def main(argv: Sequence[str] | None = None) -> list[Report]:
    return harness.main(__doc__ or "", add_options, run, argv)


if __name__ == "__main__":
    main()
