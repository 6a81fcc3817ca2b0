"""What every benchmark shares: the command line, fresh databases per backend, and the report.

A benchmark is a function ``run(backend, args) -> Report``. This module parses the
common options, provides each backend (SQLite in a temporary folder; PostgreSQL from
a private cluster started through ``infra/services/postgres.sh``, or from a server
named by ``--database-url``), prints each report as a table and writes it as JSON to
``bench/results/<name>-<backend>.json``. Figures are printed, never asserted: a
benchmark that fails a goal still reports, so the reader sees by how much.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import io
import json
import math
import os
import platform
import pstats
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

import psycopg

from infra.bootstrap import Node, build_node
from infra.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
POSTGRES_SCRIPT = ROOT / "infra" / "services" / "postgres.sh"
KAFKA_SCRIPT = ROOT / "infra" / "services" / "kafka.sh"

BackendName = Literal["sqlite", "postgresql"]


@dataclass(frozen=True)
class Figure:
    """One printed number; ``goal`` is the issue's target for it, shown beside it."""

    metric: str
    value: float
    unit: str
    goal: str = ""


@dataclass(frozen=True)
class Target:
    """A figure's goal: at most (or at least) ``bound``, in the figure's unit."""

    bound: float
    at_most: bool = True

    def describe(self, unit: str) -> str:
        return f"{'<=' if self.at_most else '>='} {self.bound:g} {unit}"

    def verdict(self, value: float, unit: str) -> str:
        if (value <= self.bound) if self.at_most else (value >= self.bound):
            return "met"
        excess = abs(value - self.bound)
        return f"missed by {excess:.3g} {unit} ({excess / self.bound:.0%})"


@dataclass(frozen=True)
class CheckedFigure(Figure):
    """A figure with its verdict against its target (empty when it has none)."""

    verdict: str = ""


@dataclass
class Report:
    """The figures of one benchmark on one backend, with what is needed to compare runs."""

    benchmark: str
    backend: BackendName
    parameters: dict[str, Any]
    figures: list[Figure] = field(default_factory=list)
    machine: dict[str, Any] = field(default_factory=dict)

    def add(self, metric: str, value: float, unit: str, goal: str = "") -> float:
        self.figures.append(Figure(metric, value, unit, goal))
        return value

    def render(self) -> str:
        width = max([len(f.metric) for f in self.figures] + [len("metric")])
        params = ", ".join(f"{key}={value}" for key, value in self.parameters.items())
        lines = [
            f"== {self.benchmark} on {self.backend} ({params})",
            f"{'metric':<{width}}  {'value':>14}  {'unit':<10}  goal",
        ]
        for figure in self.figures:
            value = _format_number(figure.value)
            lines.append(f"{figure.metric:<{width}}  {value:>14}  {figure.unit:<10}  {figure.goal}")
        return "\n".join(lines)

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.benchmark}-{self.backend}.json"
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")
        return path


def _format_number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:,.2f}"
    return f"{value:.3f}"


def rate(count: int, seconds: float) -> float:
    """Per second; a zero-length interval (a clock too coarse for a tiny run) counts as 1 µs."""
    return count / max(seconds, 1e-6)


def percentile(samples: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest sample with ``fraction`` of all at or below it."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(len(ordered) * fraction))
    return ordered[rank - 1]


@dataclass
class Tally:
    """Work and time summed over interleaved rounds; its rate is all work over all time.

    Alternating short rounds of a measurement and of its baseline lets both see the
    same drift of a shared machine (a virtual disk's fsync rate wanders by 2x within
    minutes), which one long run of each would attribute to one side only.
    """

    count: int = 0
    seconds: float = 0.0

    def add(self, count: int, seconds: float) -> None:
        self.count += count
        self.seconds += seconds

    @property
    def rate(self) -> float:
        return rate(self.count, self.seconds)


class Stopwatch:
    """Wall-clock seconds of a ``with`` block (``time.perf_counter``)."""

    seconds: float = 0.0

    def __enter__(self) -> Stopwatch:
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._start


@contextmanager
def profiled(enabled: bool, title: str, top: int = 25) -> Iterator[None]:
    """Profile the block on this thread and print its hottest functions (when ``enabled``).

    The profiler slows the block down, so figures of a profiled run are not comparable
    with others; it is there to show where the time goes, not how much there is.
    """
    if not enabled:
        yield
        return
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
        print(f"-- profile of {title} (by own time)\n{out.getvalue()}")


# -- backends -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FreshDatabase:
    """An empty node database: the settings that open it, and a folder on the same disk."""

    settings: Settings
    disk_folder: Path


@dataclass(frozen=True)
class Backend:
    """SQLite, or a PostgreSQL server this process may create databases on."""

    name: BackendName
    admin_url: str | None = None
    data_folder: Path | None = None

    def version(self) -> str:
        if self.admin_url is None:
            return sqlite3.sqlite_version
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            row = admin.execute("SHOW server_version").fetchone()
            return str(row[0]) if row else "unknown"

    @contextmanager
    def fresh(self) -> Iterator[FreshDatabase]:
        """A new, empty database, removed afterwards, so every benchmark starts from zero."""
        scratch = Path(tempfile.mkdtemp(prefix="hearth-bench-"))
        env = {"HEARTH_DATA_DIR": str(scratch / "data"), "HEARTH_NODE_NAME": "bench"}
        try:
            if self.admin_url is None:
                (scratch / "data").mkdir()
                yield FreshDatabase(load_settings(env), scratch / "data")
                return
            with postgres_database(self.admin_url) as url:
                env["HEARTH_DATABASE_URL"] = url
                yield FreshDatabase(load_settings(env), self.data_folder or scratch)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


@contextmanager
def node_on(database: FreshDatabase, *, start: bool) -> Iterator[Node]:
    """A node on ``database``, closed afterwards; ``start=False`` leaves its threads idle."""
    node = build_node(database.settings, start=start)
    try:
        yield node
    finally:
        node.close()


@contextmanager
def postgres_database(admin_url: str, options: str = "") -> Iterator[str]:
    """A new database on the server of ``admin_url`` (its URL), dropped afterwards.

    ``options`` follow ``CREATE DATABASE name`` (an encoding, a collation, a template).
    """
    name = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}" {options}')
    try:
        yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def private_postgres() -> Iterator[Backend]:
    """A PostgreSQL cluster of our own, in a folder under the system's temporary folder."""
    folder = Path(tempfile.mkdtemp(prefix="hearth-bench-pg-"))
    try:
        started = subprocess.run(
            [str(POSTGRES_SCRIPT), "start", str(folder), str(_free_port())],
            check=False,
            capture_output=True,
            text=True,
        )
        if started.returncode != 0:
            raise RuntimeError(f"PostgreSQL did not start: {started.stderr.strip()}")
        yield Backend("postgresql", started.stdout.strip().splitlines()[-1], folder / "data")
    finally:
        stop = [str(POSTGRES_SCRIPT), "stop", str(folder)]
        subprocess.run(stop, check=False, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True)
class KafkaServer:
    """A single-node Kafka (KRaft) started by ``infra/services/kafka.sh``."""

    folder: Path
    port: int

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._script("stop", str(self.folder))

    def start(self) -> None:
        """Start it (again, after ``stop``) on the same data and port."""
        self._script("start", str(self.folder), str(self.port))

    def _script(self, *args: str) -> None:
        done = subprocess.run(
            [str(KAFKA_SCRIPT), *args], check=False, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise RuntimeError(f"kafka.sh {args[0]} failed: {done.stderr.strip()}")


def _free_port_pair() -> int:
    """A free port whose successor is free too (Kafka's controller listens on PORT+1)."""
    while True:
        port = _free_port()
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port


@contextmanager
def private_kafka() -> Iterator[KafkaServer]:
    """Apache Kafka of our own on loopback, stopped and removed afterwards (also on errors)."""
    server = KafkaServer(Path(tempfile.mkdtemp(prefix="hearth-kafka-")), _free_port_pair())
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.folder, ignore_errors=True)


def _server_data_folder(admin_url: str) -> Path | None:
    """The given server's data folder, when it is on this machine and we may write there."""
    try:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            row = admin.execute("SHOW data_directory").fetchone()
    except psycopg.Error:
        return None
    folder = Path(str(row[0])) if row else None
    return folder if folder and os.access(folder, os.W_OK | os.X_OK) else None


@contextmanager
def backends(choice: str, database_url: str | None) -> Iterator[list[Backend]]:
    with ExitStack() as stack:
        chosen: list[Backend] = []
        if choice in ("sqlite", "both"):
            chosen.append(Backend("sqlite"))
        if choice in ("postgresql", "both"):
            if database_url:
                folder = _server_data_folder(database_url)
                chosen.append(Backend("postgresql", database_url, folder))
            else:
                chosen.append(stack.enter_context(private_postgres()))
        yield chosen


# -- command line ---------------------------------------------------------------------------


def machine_info(backend: Backend) -> dict[str, Any]:
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "eventsourcing": metadata.version("eventsourcing"),
        "database": f"{backend.name} {backend.version()}",
        # Other processes competing for the cores slow every figure; say how busy it was.
        "load_average_1min": round(os.getloadavg()[0], 2),
    }


def parser(description: str) -> argparse.ArgumentParser:
    """The options every benchmark takes; each adds its own sizes."""
    parsed = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parsed.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parsed.add_argument("--quick", action="store_true", help="smaller sizes, for a first look")
    parsed.add_argument(
        "--database-url",
        help="an existing PostgreSQL server to create scratch databases on"
        " (default: start a private one through infra/services/postgres.sh)",
    )
    parsed.add_argument("--results-dir", type=Path, default=RESULTS, help="where the JSON goes")
    return parsed


Run = Callable[[Backend, argparse.Namespace], Report]


def run_on_backends(args: argparse.Namespace, runs: Sequence[Run]) -> list[Report]:
    """Run each benchmark on each chosen backend; print and write every report."""
    reports: list[Report] = []
    with backends(args.backend, args.database_url) as chosen:
        for backend in chosen:
            for run in runs:
                report = run(backend, args)
                report.machine = machine_info(backend)
                path = report.write(args.results_dir)
                print(f"{report.render()}\n(written to {path})\n", flush=True)
                reports.append(report)
    return reports


def main(
    description: str,
    add_options: Callable[[argparse.ArgumentParser], None],
    run: Run,
    argv: Sequence[str] | None = None,
) -> list[Report]:
    """The entry point of one benchmark module: parse, run on each backend, report."""
    parsed = parser(description)
    add_options(parsed)
    return run_on_backends(parsed.parse_args(argv), [run])


def size(value: int | None, quick: bool, quick_size: int, full_size: int) -> int:
    """An explicit ``--size`` wins; otherwise the quick or the full default."""
    if value is not None:
        return value
    return quick_size if quick else full_size
