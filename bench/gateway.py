"""WebSocket fan-out: post→delivered latency, sustained rate, CPU per frame, memory, start-up.

The node runs as an operator runs it, ``hearth serve`` on SQLite in a process of
its own, pinned to core 0; this process is the load generator, pinned to core 1
(``bench/node_process.py``, ``bench/loadgen.py``). Everything goes through the
public API: accounts, a server and invites over REST, one WebSocket gateway
connection per subscriber, and posts into the server's #general over REST.

For each number of subscribers N of one channel:

1. at a fixed rate (200 msg/s, or 20,000 deliveries/s when N > 100: 20 msg/s for
   1,000), the latency of every delivery, from the moment the generator sent the
   post until the frame reached that subscriber (p50 and p99 over all deliveries),
   and the node's CPU time over the window divided by the frames delivered;
2. the rate stepped up from a tenth of that rate until p99 passes its bound
   (50 ms up to 100 subscribers, 250 ms above) or a delivery goes missing: the last
   rate that held is the sustained rate.

Apart from that: the node's resident memory with no connection and with N idle
ones (per connection), the idle node's memory, and the cold start (process spawn to
the first ``200`` from ``GET /healthz``, median of several fresh nodes).

Every window also reports the generator's own CPU use (its process CPU time over
wall time, on its one core) and what other processes took of the node's core
(``/proc/stat``): near 100% the generator, or a busy machine, would be what bounds
the figures, not the node, and the table says so beside them. The generator runs on
uvloop, the event loop uvicorn already brings, for the same reason: to spend as
little of its core per frame as it can. ``--profile threads`` shows where the
node's CPU goes, thread by thread (``bench/profiled_node.py``).

    python -m bench.gateway [--quick] [--profile threads|cprofile] [--no-compression]

Targets (issue 4): 100 subscribers p99 <= 50 ms at >= 200 msg/s; 1,000 subscribers
>= 20 msg/s with p99 <= 250 ms; <= 50 us of node CPU per delivered frame; <= 30 kB per
idle connection; idle node <= 100 MiB RSS and <= 1 s from start to first request.

Subscribers share a handful of accounts (``--accounts``). Several connections of one
user are allowed and each receives every frame; the hub routes a channel's frames to
connections, not users, and serialises each frame once whoever receives it, so a
delivery costs the node the same whichever account its connection belongs to. What
a distinct user per connection would add is presence: each user's first connection
is announced to every connection of the server, which happens while connections are
opened, before any window is measured. Registering 1,000 accounts would instead
cost 1,000 Argon2id hashes (tens of seconds) for no difference in what is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import pstats
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvloop

from bench import harness
from bench.harness import Backend, CheckedFigure, Report, Target
from bench.loadgen import PROBE_PREFIX, Community, Rest, Subscribers, set_up
from bench.node_process import NodeProcess, running_node
from bench.windows import (
    GENERATOR_CORE,
    MS,
    SERVER_CORE,
    US,
    Window,
    interference,
    measure_window,
    pinned,
)

FULL_SUBSCRIBERS = (1, 100, 1000)
QUICK_SUBSCRIBERS = (1, 10, 50)
# Rates tried when stepping up, as multiples of the fixed rate; a run stops at the
# first rate that does not hold.
RATE_STEPS = (0.1, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0)
WARM_UP_SECONDS = 1.0
SETTLE_SECONDS = 2.0
WARM_UP_CONNECTIONS = 10
KB, MIB = 1000, 1024 * 1024


def operating_point(subscribers: int) -> tuple[float, float]:
    """The fixed rate (msg/s) and p99 bound (s) for N subscribers, from the issue's targets.

    100 subscribers: 200 msg/s within 50 ms; 1,000: 20 msg/s (20,000 deliveries/s)
    within 250 ms. Other sizes use the same rules: 200 msg/s or 20,000 deliveries/s,
    whichever is lower, and the 50 ms bound up to 100 subscribers.
    """
    rate = min(200.0, 20_000 / subscribers)
    return rate, 0.050 if subscribers <= 100 else 0.250


@dataclass
class GatewayReport(Report):
    """The figures, with verdicts, and every measured window for who wants to look closer."""

    windows: list[dict[str, Any]] = field(default_factory=list)

    def check(
        self, metric: str, value: float, unit: str, target: Target | None = None, note: str = ""
    ) -> None:
        goal = target.describe(unit) if target else ""
        verdict = target.verdict(value, unit) if target else ""
        verdict = "; ".join(v for v in (verdict, note) if v)
        self.figures.append(CheckedFigure(metric, value, unit, goal, verdict))

    def render(self) -> str:
        width = max(len(f.metric) for f in self.figures)
        params = ", ".join(f"{key}={value}" for key, value in self.parameters.items())
        lines = [
            f"== {self.benchmark} on {self.backend} ({params})",
            f"{'metric':<{width}}  {'figure':>10}  {'unit':<8}  {'target':<16}  met?",
        ]
        for figure in self.figures:
            verdict = figure.verdict if isinstance(figure, CheckedFigure) else ""
            lines.append(
                f"{figure.metric:<{width}}  {harness._format_number(figure.value):>10}"
                f"  {figure.unit:<8}  {figure.goal:<16}  {verdict}"
            )
        return "\n".join(lines)


@dataclass
class Bench:
    """One node under test, its community, and the sequence numbers handed out so far."""

    node: NodeProcess
    rest: Rest
    community: Community
    compression: bool
    cores: tuple[int, int] | None
    """The node's and the generator's cores, when pinned."""
    sequence: int = 0

    async def window(self, subs: Subscribers, count: int, rate: float, posts: int) -> Window:
        """Post ``posts`` at ``rate`` and wait until every subscriber has every one."""

        async def send(sequence: int) -> None:
            channel = self.community.channel_id
            await self.rest.post(self.community.poster, channel, f"{PROBE_PREFIX}{sequence}")

        window = await measure_window(
            self.node, self.cores, subs.deliveries, send, count, rate, posts, self.sequence
        )
        self.sequence += posts
        return window


@dataclass
class Stage:
    """The windows measured with N subscribers: the fixed rate, then the rate steps."""

    subscribers: int
    rate: float
    bound: float
    fixed: Window
    steps: list[Window]

    @property
    def sustained(self) -> Window | None:
        """The fastest step that held (the steps stop at the first that did not)."""
        held = [w for w in self.steps if w.holds(self.bound)]
        return held[-1] if held else None

    @property
    def capped(self) -> bool:
        """Every step held: the sustained rate is at least the highest one tried."""
        return bool(self.steps) and all(w.holds(self.bound) for w in self.steps)


async def run_stage(bench: Bench, count: int, args: argparse.Namespace) -> Stage:
    """N subscribers: a warm-up window (not kept), the fixed rate, then the rate steps."""
    rate, bound = operating_point(count)
    if args.p99_bound_ms is not None:
        bound = args.p99_bound_ms / MS
    subs = Subscribers(bench.node.ws_url, bench.compression)
    await subs.open(bench.community.members, count)
    try:
        await bench.window(subs, count, rate, max(5, round(rate * WARM_UP_SECONDS)))
        fixed = await bench.window(subs, count, rate, max(5, round(rate * args.seconds)))
        print(fixed.line(bound, args.profile is not None, "  (fixed rate)"), flush=True)
        steps = []
        for factor in RATE_STEPS[: args.steps]:
            step_rate = rate * factor
            posts = max(5, round(step_rate * args.step_seconds))
            steps.append(await bench.window(subs, count, step_rate, posts))
            print(steps[-1].line(bound, args.profile is not None), flush=True)
            if not steps[-1].holds(bound):
                break
    finally:
        await subs.close()
    return Stage(count, rate, bound, fixed, steps)


async def idle_memory(bench: Bench, count: int) -> tuple[int, int]:
    """Node RSS with no connection and with ``count`` idle ones (bytes).

    A few connections are opened and closed first, so that what every connection
    shares once it exists (modules imported on first use, first-use caches) is in the
    baseline and not charged to the connections.
    """
    warm = Subscribers(bench.node.ws_url, bench.compression)
    await warm.open(bench.community.members, WARM_UP_CONNECTIONS)
    await warm.close()
    await asyncio.sleep(SETTLE_SECONDS)
    before = bench.node.rss_bytes()
    subs = Subscribers(bench.node.ws_url, bench.compression)
    await subs.open(bench.community.members, count)
    await asyncio.sleep(SETTLE_SECONDS)
    after = bench.node.rss_bytes()
    await subs.close()
    return before, after


# -- the run ------------------------------------------------------------------------------


@dataclass
class Starts:
    """Cold starts of fresh nodes: seconds to the first healthz, and idle RSS (bytes).

    ``first`` is the very first start, which compiles every module to bytecode; the
    others find it compiled, as an installed node's restart does.
    """

    first: float = 0.0
    seconds: list[float] = field(default_factory=list)
    idle_rss: list[int] = field(default_factory=list)


def cold_starts(times: int, core: int | None, bytecode: Path) -> Starts:
    """Start fresh nodes one after another; each idles ``SETTLE_SECONDS`` before its RSS."""
    starts = Starts()
    with running_node(core, bytecode) as node:
        starts.first = node.started_in
    for _ in range(times):
        with running_node(core, bytecode) as node:
            starts.seconds.append(node.started_in)
            time.sleep(SETTLE_SECONDS)
            starts.idle_rss.append(node.rss_bytes())
    return starts


async def measure_node(
    node: NodeProcess, args: argparse.Namespace, sizes: Sequence[int]
) -> tuple[list[Stage], tuple[int, int]]:
    """Set up, measure idle memory first (before traffic grows the heap), then each N."""
    rest = Rest(node.url)
    try:
        community = await set_up(rest, args.accounts)
        cores = (SERVER_CORE, GENERATOR_CORE) if args.pinned else None
        bench = Bench(node, rest, community, not args.no_compression, cores)
        memory = await idle_memory(bench, max(sizes))
        stages = [await run_stage(bench, count, args) for count in sizes]
    finally:
        await rest.close()
    return stages, memory


def add_figures(
    report: GatewayReport, stages: list[Stage], memory: tuple[int, int], starts: Starts
) -> None:
    """Each N's figures, then what concerns the node as a whole (memory, start-up)."""
    for stage in stages:
        add_stage_figures(report, stage)
    widest, alone = stages[-1], stages[0]
    # Below ~100 subscribers their share is within the noise of the post's own cost.
    if widest.subscribers >= 100 and alone.subscribers == 1:
        per_post = [s.fixed.node_cpu / max(1, s.fixed.posts) for s in (widest, alone)]
        report.check(
            f"fan-out share: node CPU per extra subscriber per message"
            f" ({widest.subscribers} vs 1 subscribers)",
            max(per_post[0] - per_post[1], 0.0) / (widest.subscribers - 1) * US,
            "us",
        )
    before, after = memory
    count = widest.subscribers
    report.check(f"node RSS with {count} idle connections", after / MIB, "MiB")
    report.check(
        "memory per idle connection", max(after - before, 0) / count / KB, "kB", Target(30)
    )
    report.check(
        f"idle node RSS (median of {len(starts.idle_rss)} fresh nodes)",
        statistics.median(starts.idle_rss) / MIB,
        "MiB",
        Target(100),
    )
    report.check(
        f"cold start: spawn to first /healthz (median of {len(starts.seconds)})",
        statistics.median(starts.seconds) * MS,
        "ms",
        Target(1000),
    )
    report.check("first start, compiling every module", starts.first * MS, "ms")
    report.windows = [w.summary() for s in stages for w in (s.fixed, *s.steps)]


def add_stage_figures(report: GatewayReport, stage: Stage) -> None:
    """Latency at the fixed rate, sustained rate, CPU per frame and both cores' use."""
    n, fixed, rate = stage.subscribers, stage.fixed, stage.rate
    targeted = n in (100, 1000)
    prefix = f"{n} subscriber{'s' if n > 1 else ''}"
    at = f"at {rate:g} msg/s"
    report.check(f"{prefix}: p50 post->delivered {at}", fixed.percentile(0.5) * MS, "ms")
    report.check(
        f"{prefix}: p99 post->delivered {at}",
        fixed.percentile(0.99) * MS,
        "ms",
        Target(stage.bound * MS) if targeted else None,
        interference([fixed]),
    )
    sustained = stage.sustained
    if stage.steps:
        if sustained is None:
            searched = f"no rate held, down to {stage.steps[0].rate:g} msg/s"
        else:
            searched = "every rate tried held" if stage.capped else ""
        report.check(
            f"{prefix}: sustained msg/s with p99 <= {stage.bound * MS:g} ms",
            sustained.rate if sustained else 0.0,
            "msg/s",
            Target(rate, at_most=False) if targeted else None,
            "; ".join(note for note in (searched, interference(stage.steps)) if note),
        )
    if sustained is not None:
        report.check(f"{prefix}: deliveries/s at the sustained rate", sustained.rate * n, "/s")
    report.check(
        f"{prefix}: node CPU per delivered frame {at}",
        fixed.cpu_per_frame * US,
        "us",
        Target(50) if n == 1000 else None,
    )
    report.check(f"{prefix}: node's use of its core {at}", fixed.node_busy * 100, "%")
    report.check(f"{prefix}: generator's use of its core {at}", fixed.generator_busy * 100, "%")


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true", help="N = 1, 10, 50 and short windows")
    parser.add_argument("--results-dir", type=Path, default=harness.RESULTS)
    parser.add_argument(
        "--subscribers", type=int, nargs="+", help="the Ns to measure (default 1 100 1000)"
    )
    parser.add_argument("--accounts", type=int, default=10, help="accounts subscribers share")
    parser.add_argument("--seconds", type=float, help="length of the fixed-rate window (10)")
    parser.add_argument("--step-seconds", type=float, help="length of each rate step (5)")
    parser.add_argument(
        "--steps", type=int, default=len(RATE_STEPS), help="at most this many rate steps"
    )
    parser.add_argument("--cold-starts", type=int, help="fresh nodes timed (5)")
    parser.add_argument(
        "--p99-bound-ms",
        type=float,
        help="the p99 a rate must keep to be sustained (default: 50 up to 100 subscribers,"
        " 250 above, as the targets say)",
    )
    parser.add_argument(
        "--profile",
        choices=["threads", "cprofile"],
        help="threads: name the node's threads and show each window's CPU by thread, at no"
        " cost to the node; cprofile: also trace every thread and print the hottest"
        " functions (a traced node is several times slower: figures not comparable)",
    )
    parser.add_argument("--profile-stats", type=Path, help="keep the cprofile statistics here")
    parser.add_argument(
        "--no-compression",
        action="store_true",
        help="clients do not offer permessage-deflate (default: they do, as browsers do);"
        " the JSON goes to gateway_uncompressed-sqlite.json",
    )


def main(argv: Sequence[str] | None = None) -> list[Report]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_options(parser)
    args = parser.parse_args(argv)
    sizes = args.subscribers or (QUICK_SUBSCRIBERS if args.quick else FULL_SUBSCRIBERS)
    args.seconds = args.seconds or (1.0 if args.quick else 10.0)
    args.step_seconds = args.step_seconds or (1.0 if args.quick else 5.0)
    starts_wanted = args.cold_starts or (2 if args.quick else 5)
    two_cores = len(os.sched_getaffinity(0)) >= 2
    args.pinned = two_cores
    node_core = SERVER_CORE if two_cores else None
    report = GatewayReport(
        "gateway_uncompressed" if args.no_compression else "gateway",
        "sqlite",
        {
            "subscribers": list(sizes),
            "accounts": args.accounts,
            "fixed_window_s": args.seconds,
            "step_s": args.step_seconds,
            "p99_bound_ms": args.p99_bound_ms or "per target",
            "compression": "none" if args.no_compression else "permessage-deflate",
            "profile": args.profile or "none",
            "pinned": f"node core {SERVER_CORE}, generator core {GENERATOR_CORE}"
            if two_cores
            else "no (one core)",
        },
    )
    with (
        pinned(GENERATOR_CORE if two_cores else None),
        tempfile.TemporaryDirectory(prefix="hearth-bench-") as scratch,
    ):
        bytecode, stats_file = Path(scratch) / "bytecode", Path(scratch) / "node.prof"
        starts = cold_starts(starts_wanted, node_core, bytecode)
        stats_file = args.profile_stats or stats_file
        profile = {
            None: (),
            "threads": ("threads",),
            "cprofile": ("cprofile", str(stats_file)),
        }[args.profile]
        with running_node(node_core, bytecode, profile) as node:
            stages, memory = uvloop.run(measure_node(node, args, sizes))
        if args.profile == "cprofile":
            print_profile(stats_file)
    add_figures(report, stages, memory, starts)
    report.machine = harness.machine_info(Backend("sqlite"))
    path = report.write(args.results_dir)
    print(f"{report.render()}\n(written to {path})\n", flush=True)
    return [report]


def print_profile(stats_file: Path, top: int = 40) -> None:
    """The node's hottest functions over the whole run, by own CPU time, then by cumulative."""
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(str(stats_file), stream=out).sort_stats(order).print_stats(top)
        print(f"-- node profile, all threads, CPU time (by {order})\n{out.getvalue()}")


if __name__ == "__main__":
    main()
