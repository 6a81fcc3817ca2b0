"""Hearth beside Matrix Synapse: one load generator, one machine, one run, the same load.

    python -m bench.compare [--backend sqlite|postgresql|both]      # ~1 h for both

Each peer (``bench/peers/``) runs in turn on a fresh database, as a process of its
own pinned to core 0 (with PostgreSQL's processes, on that backend); this process
is the load generator, pinned to core 1. For each peer and backend:

1. one sender and N receivers in one room or channel (N = 1, 100, 1,000; the room
   grows between stages, so it holds the sender and N receivers): the latency of
   every delivery, from the moment the generator sent a message until a receiver
   had it (Synapse's receivers long-poll ``/sync``, Hearth's listen on the
   gateway WebSocket), p50 and p99 at a light rate (1 msg/s);
2. the send rate stepped up from 0.5 msg/s until p99 passes 250 ms or a delivery
   is missing: the highest rate that held, or "not reached" with the p99 of the
   lowest rate; the p99 at the rate of the messaging targets (200 msg/s, 20 msg/s
   for 1,000 receivers) when the steps got there;
3. the server's resident memory just after start and at rest with the largest N
   of receivers connected;
4. the first start on the empty database, and restarts on the run's database (the
   median of three), each from spawning the process to the first ``200`` of its
   health check.

Before any of it, each peer is started once and stopped on a throwaway database,
unmeasured, so that both start with their modules compiled and in the page cache.
Every window also records the generator's CPU use on its core: a figure taken while
the generator was near saturation says so.

The table (Hearth, Synapse, their ratio, the targets) is printed and written to
``bench/results/compare-<backend>.json`` and ``.md``. docs/benchmarks.md explains it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import uvloop

from bench import harness
from bench.harness import Backend, Target
from bench.loadgen import Deliveries
from bench.node_process import NodeProcess
from bench.peers import Deployment, Peer
from bench.peers.hearth import HearthPeer
from bench.peers.synapse import SynapsePeer
from bench.windows import (
    GENERATOR_CORE,
    MS,
    SERVER_CORE,
    Window,
    interference,
    measure_window,
    pinned,
)

FULL_RECEIVERS = (1, 100, 1000)
RATES = (0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0)
LATENCY_RATE, LATENCY_POSTS = 1.0, 20
STEP_SECONDS, MIN_STEP_POSTS = 5.0, 10
P99_BOUND_MS = 250.0
SETTLE_SECONDS = 5.0
MIB = 1024 * 1024
# The messaging issue's targets, by number of receivers: a send rate and the p99 to keep.
TARGETS = {1: (200.0, 50.0), 100: (200.0, 50.0), 1000: (20.0, 250.0)}
IDLE_RSS_TARGET_MIB, COLD_START_TARGET_MS = 100.0, 1000.0

Better = Literal["lower", "higher"]


@dataclass
class Stage:
    """N receivers: the light-rate window, then the rate steps (stopped at the first miss)."""

    receivers: int
    latency: Window
    steps: list[Window]
    bound: float

    @property
    def sustained(self) -> Window | None:
        held = [w for w in self.steps if w.holds(self.bound)]
        return held[-1] if held else None

    def at_rate(self, rate: float) -> Window | None:
        return next((w for w in self.steps if w.rate == rate), None)


@dataclass
class PeerRun:
    """What one peer did on one backend."""

    peer: str
    version: str
    first_start: float = 0.0
    restarts: list[float] = field(default_factory=list)
    idle_rss: int = 0
    connected_rss: int = 0
    stages: list[Stage] = field(default_factory=list)


@dataclass
class Row:
    """One figure for every peer, its target, and which way is better."""

    metric: str
    unit: str
    better: Better
    target: Target | None = None
    values: dict[str, float | None] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    def ratio(self, peer: str, baseline: str) -> float | None:
        """``peer``'s figure over ``baseline``'s, when both are there and the latter is not 0."""
        mine, theirs = self.values.get(peer), self.values.get(baseline)
        if mine is None or theirs is None or theirs == 0:
            return None
        return mine / theirs


@dataclass
class Comparison:
    """The table of one backend, with every measured window for whoever looks closer."""

    backend: str
    parameters: dict[str, Any]
    peers: list[str]
    rows: list[Row] = field(default_factory=list)
    windows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    machine: dict[str, Any] = field(default_factory=dict)

    def row(self, metric: str, unit: str, better: Better, target: Target | None = None) -> Row:
        for row in self.rows:
            if row.metric == metric:
                return row
        self.rows.append(Row(metric, unit, better, target))
        return self.rows[-1]

    def markdown(self) -> str:
        """The table: each peer's figure, the ratio to the last peer, and the target."""
        *mine, baseline = self.peers
        head = [
            "figure",
            *(f"{p} {self.versions.get(p, '')}".strip() for p in self.peers),
            *(f"{p} / {baseline}" for p in mine),
            "target",
            *(f"{p} meets it?" for p in mine),
        ]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for row in self.rows:
            cells = [f"{row.metric} ({row.unit})"]
            for peer in self.peers:
                value = row.values.get(peer)
                shown = "—" if value is None else harness._format_number(value)
                note = row.notes.get(peer, "")
                cells.append(f"{shown} ({note})" if note else shown)
            for peer in mine:
                ratio = row.ratio(peer, baseline)
                cells.append("—" if ratio is None else f"{ratio:.3g}x ({row.better} is better)")
            cells.append(row.target.describe(row.unit) if row.target else "")
            for peer in mine:
                value = row.values.get(peer)
                if row.target is None:
                    cells.append("")
                else:
                    cells.append(
                        "no figure" if value is None else row.target.verdict(value, row.unit)
                    )
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def write(self, folder: Path) -> tuple[Path, Path]:
        folder.mkdir(parents=True, exist_ok=True)
        data = asdict(self)
        for row, saved in zip(self.rows, data["rows"], strict=True):
            saved["target"] = row.target.describe(row.unit) if row.target else ""
        as_json = folder / f"compare-{self.backend}.json"
        as_json.write_text(json.dumps(data, indent=2) + "\n")
        as_markdown = folder / f"compare-{self.backend}.md"
        as_markdown.write_text(f"{self.title()}\n\n{self.markdown()}\n")
        return as_json, as_markdown

    def title(self) -> str:
        params = ", ".join(f"{key}={value}" for key, value in self.parameters.items())
        date = self.machine.get("date", "")
        return f"## {' vs '.join(self.peers)} on {self.backend}, {date}\n\n({params})"


# -- driving one peer --------------------------------------------------------------------------


async def measure_stages(
    deployment: Deployment, node: NodeProcess, args: argparse.Namespace, run: PeerRun
) -> None:
    """Register the users, grow one room stage by stage, and measure each N."""
    cores = (SERVER_CORE, GENERATOR_CORE) if args.pinned else None
    client = deployment.client(node)
    try:
        most = max(args.receivers)
        sender, *users = await client.register(
            ["bench-sender", *(f"bench-receiver-{i}" for i in range(most))]
        )
        room = await client.create_room(sender)
        joined, sequence = 0, 0

        async def send(number: int) -> None:
            await client.send(sender, room, number)

        for count in args.receivers:
            await client.join(room, users[joined:count])
            joined = max(joined, count)
            deliveries = Deliveries()
            receivers = await client.open_receivers(room, users[:count], deliveries)
            try:
                if count == most:
                    await asyncio.sleep(SETTLE_SECONDS)
                    run.connected_rss = node.rss_bytes()
                latency = await measure_window(
                    node, cores, deliveries, send, count, args.latency_rate,
                    args.latency_posts, sequence,
                )  # fmt: skip
                sequence += args.latency_posts
                print(f"{run.peer}: {latency.line(args.bound, False, '  (light rate)')}")
                steps: list[Window] = []
                for rate in args.rates:
                    posts = max(args.min_step_posts, round(rate * args.step_seconds))
                    window = await measure_window(
                        node, cores, deliveries, send, count, rate, posts, sequence
                    )
                    sequence += posts
                    steps.append(window)
                    print(f"{run.peer}: {window.line(args.bound, False)}", flush=True)
                    if not window.holds(args.bound):
                        break
            finally:
                await receivers.close()
            run.stages.append(Stage(count, latency, steps, args.bound))
    finally:
        await client.close()


def run_peer(peer: Peer, backend: Backend, args: argparse.Namespace) -> PeerRun:
    """A fresh deployment: first start, idle memory, the stages, then timed restarts."""
    core = SERVER_CORE if args.pinned else None
    run = PeerRun(peer.name, peer.version())
    with peer.deployment(backend) as deployment:
        with deployment.serve(core) as node:
            run.first_start = node.started_in
            print(f"{peer.name} on {backend.name}: up in {node.started_in:.2f} s", flush=True)
            time.sleep(SETTLE_SECONDS)
            run.idle_rss = node.rss_bytes()
            uvloop.run(measure_stages(deployment, node, args, run))
        for _ in range(args.restarts):
            with deployment.serve(core) as node:
                run.restarts.append(node.started_in)
    return run


def warm_up(peer: Peer, core: int | None) -> None:
    """Start and stop once on a throwaway database: compiled modules, files in the page cache."""
    with peer.deployment(Backend("sqlite")) as deployment, deployment.serve(core):
        pass


def pin_postgres(backend: Backend, core: int) -> None:
    """Put the PostgreSQL server's processes on ``core``; the backends it forks inherit it."""
    if backend.data_folder is None:
        return
    pid_file = backend.data_folder / "postmaster.pid"
    if not pid_file.exists():
        return  # a server that is not ours (``--database-url``) stays where it is
    postmaster = int(pid_file.read_text().split()[0])
    for task in Path("/proc").iterdir():
        if not task.name.isdigit():
            continue
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue
        parent = int(stat[stat.rindex(")") + 2 :].split()[1])
        if int(task.name) == postmaster or parent == postmaster:
            os.sched_setaffinity(int(task.name), {core})


# -- the table ---------------------------------------------------------------------------------


def add_stage_rows(table: Comparison, peer: str, stage: Stage, args: argparse.Namespace) -> None:
    n = stage.receivers
    prefix = f"{n} receiver{'s' if n > 1 else ''}"
    light = f"at {args.latency_rate:g} msg/s"
    for name, fraction in (("p50", 0.5), ("p99", 0.99)):
        row = table.row(f"{prefix}: {name} send→receive {light}", "ms", "lower")
        row.values[peer] = stage.latency.percentile(fraction) * MS
        row.notes[peer] = _window_note(stage.latency, stage.bound)
    target = TARGETS.get(n)
    if target is not None and target[0] in args.rates:
        rate, bound_ms = target
        row = table.row(f"{prefix}: p99 at {rate:g} msg/s", "ms", "lower", Target(bound_ms))
        at_target = stage.at_rate(rate)
        if at_target is None:
            last = stage.steps[-1].rate if stage.steps else args.latency_rate
            row.values[peer] = None
            row.notes[peer] = f"not reached: steps stopped at {last:g} msg/s"
        else:
            row.values[peer] = at_target.percentile(0.99) * MS
            row.notes[peer] = _window_note(at_target, stage.bound)
    rate_target = Target(target[0], at_most=False) if target else None
    row = table.row(
        f"{prefix}: highest rate with p99 ≤ {stage.bound * MS:g} ms", "msg/s", "higher", rate_target
    )
    sustained = stage.sustained
    if sustained is None:
        row.values[peer] = None
        first = stage.steps[0] if stage.steps else stage.latency
        p99 = first.percentile(0.99) * MS
        row.notes[peer] = (
            f"not reached: p99 {harness._format_number(p99)} ms at {first.rate:g} msg/s"
        )
    else:
        row.values[peer] = sustained.rate
        notes = []
        if len(stage.steps) == len(args.rates) and stage.steps[-1].holds(stage.bound):
            notes.append("every rate tried held")
        if noted := interference(stage.steps):
            notes.append(noted)
        row.notes[peer] = "; ".join(notes)
    busiest = max(w.generator_busy for w in (stage.latency, *stage.steps))
    row = table.row(f"{prefix}: generator's use of its core, busiest window", "%", "lower")
    row.values[peer] = busiest * 100


def _window_note(window: Window, bound: float) -> str:
    notes = []
    if not window.complete:
        notes.append(f"{window.missing} missing, {window.failed_posts} failed")
    if noted := interference([window]):
        notes.append(noted)
    return "; ".join(notes)


def add_rows(table: Comparison, run: PeerRun, args: argparse.Namespace) -> None:
    for stage in run.stages:
        add_stage_rows(table, run.peer, stage, args)
    most = max(args.receivers)
    rows: list[tuple[str, str, Better, Target | None, float]] = [
        ("RSS at rest, just started", "MiB", "lower", Target(IDLE_RSS_TARGET_MIB),
         run.idle_rss / MIB),
        (f"RSS at rest, {most} receivers connected", "MiB", "lower", None,
         run.connected_rss / MIB),
        ("cold start: restart to first served request", "ms", "lower",
         Target(COLD_START_TARGET_MS), statistics.median(run.restarts) * MS),
        ("first start, empty database, to first served request", "ms", "lower", None,
         run.first_start * MS),
    ]  # fmt: skip
    for metric, unit, better, target, value in rows:
        table.row(metric, unit, better, target).values[run.peer] = value
    table.windows[run.peer] = [
        {"stage": stage.receivers, **window.summary()}
        for stage in run.stages
        for window in (stage.latency, *stage.steps)
    ]
    table.versions[run.peer] = run.version


# -- command line ------------------------------------------------------------------------------


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--database-url", help="an existing PostgreSQL server to use instead")
    parser.add_argument("--results-dir", type=Path, default=harness.RESULTS)
    parser.add_argument(
        "--receivers", type=int, nargs="+", default=list(FULL_RECEIVERS), help="the Ns"
    )
    parser.add_argument(
        "--rates", type=float, nargs="+", default=list(RATES), help="rate steps, msg/s"
    )
    parser.add_argument("--latency-rate", type=float, default=LATENCY_RATE)
    parser.add_argument("--latency-posts", type=int, default=LATENCY_POSTS)
    parser.add_argument("--step-seconds", type=float, default=STEP_SECONDS)
    parser.add_argument("--min-step-posts", type=int, default=MIN_STEP_POSTS)
    parser.add_argument(
        "--p99-bound-ms", type=float, default=P99_BOUND_MS, help="the p99 a rate must keep"
    )
    parser.add_argument(
        "--restarts", type=int, default=3, help="timed restarts; the median is reported"
    )
    parser.add_argument(
        "--peers", nargs="+", choices=["hearth", "synapse"], default=["hearth", "synapse"]
    )


def raise_file_limit() -> None:
    """Thousands of connections need as many descriptors as the hard limit allows."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def main(argv: Sequence[str] | None = None) -> list[Comparison]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_options(parser)
    args = parser.parse_args(argv)
    args.bound = args.p99_bound_ms / MS
    args.receivers = sorted(set(args.receivers))
    args.rates = sorted(set(args.rates))
    args.pinned = len(os.sched_getaffinity(0)) >= 2
    raise_file_limit()
    tables = []
    with (
        tempfile.TemporaryDirectory(prefix="hearth-bench-compare-") as scratch,
        pinned(GENERATOR_CORE if args.pinned else None),
        harness.backends(args.backend, args.database_url) as chosen,
    ):
        known: dict[str, Peer] = {
            "hearth": HearthPeer(Path(scratch) / "bytecode"),
            "synapse": SynapsePeer(),
        }
        peers = [known[name] for name in args.peers]
        for peer in peers:
            warm_up(peer, SERVER_CORE if args.pinned else None)
        for backend in chosen:
            if args.pinned:
                pin_postgres(backend, SERVER_CORE)
            table = Comparison(backend.name, parameters(args), [p.name for p in peers])
            for peer in peers:
                add_rows(table, run_peer(peer, backend, args), args)
            table.machine = harness.machine_info(backend)
            paths = table.write(args.results_dir)
            print(f"\n{table.title()}\n\n{table.markdown()}\n(written to {paths[0]}, {paths[1]})")
            tables.append(table)
    return tables


def parameters(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "receivers": args.receivers,
        "rates": args.rates,
        "light_rate": f"{args.latency_rate:g} msg/s x {args.latency_posts}",
        "step": f"{args.step_seconds:g} s, >= {args.min_step_posts} messages",
        "p99_bound_ms": args.p99_bound_ms,
        "restarts": args.restarts,
        "pinned": f"server core {SERVER_CORE}, generator core {GENERATOR_CORE}"
        if args.pinned
        else "no (one core)",
    }


if __name__ == "__main__":
    main()
