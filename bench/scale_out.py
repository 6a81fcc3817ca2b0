"""Scale-out: the embedded node against PostgreSQL + Kafka with one and two gateway processes.

Three set-ups, measured one after another in one run on the same machine:

- ``embedded``: one ``hearth serve`` on SQLite; the gateway is fed in-process by the chat
  projection (the default node);
- ``kafka, 1 gateway``: one ``hearth serve`` on PostgreSQL with ``HEARTH_EVENT_BUS=kafka``,
  and ``hearth relay`` publishing the log to Kafka; every subscriber on that process;
- ``kafka, 2 gateways``: two ``hearth serve`` processes on that PostgreSQL and Kafka, the
  subscribers split between them, posts sent to the first.

For each, through the public API only (``bench/loadgen.py``): ``--subscribers`` WebSocket
clients of one channel; posts at a fixed ``--rate`` for ``--posts`` messages, timing each
delivery from the moment the post was sent until the frame reached a subscriber (p50, p99
over every delivery); then a burst of ``--burst`` posts sent as fast as the client's 64
connections allow, whose messages/s is the posts divided by the time from the first send
until the last delivery. The machine is shared and noisy: compare the set-ups by their
ratios to ``embedded`` in the same run, not by absolute figures across runs.

    python -m bench.scale_out [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from bench import harness
from bench.harness import Backend, KafkaServer, Report, private_kafka, private_postgres
from bench.loadgen import PROBE_PREFIX, Community, Rest, Subscribers, send_at_rate, set_up
from bench.node_process import NodeProcess, running_node, running_relay

MS = 1000
KAFKA_VERSION = os.environ.get("KAFKA_VERSION", "4.4.0")
"""The version ``infra/services/kafka.sh`` starts (its default, or ``KAFKA_VERSION``)."""
ACCOUNTS = 4
DELIVERY_TIMEOUT_SECONDS = 120.0
BURST_RATE = 100_000.0
"""Open-loop rate of the burst: far above what a node takes, so the pool of connections
(``bench/loadgen.py``) is the only pacing."""


@dataclass
class Setup:
    name: str
    posts_to: NodeProcess
    gateways: list[NodeProcess]


@dataclass
class Result:
    name: str
    latencies: list[float]
    missing: int
    burst_posts: int
    burst_seconds: float

    @property
    def messages_per_second(self) -> float:
        return harness.rate(self.burst_posts, self.burst_seconds)

    def p(self, fraction: float) -> float:
        return harness.percentile(self.latencies, fraction) * MS if self.latencies else float("inf")


async def measure(setup: Setup, args: argparse.Namespace) -> Result:
    rest = Rest(setup.posts_to.url)
    groups = [Subscribers(gateway.ws_url) for gateway in setup.gateways]
    try:
        community = await set_up(rest, ACCOUNTS)
        share = max(1, args.subscribers // len(groups))
        for group in groups:
            await group.open(community.members, share)
        fixed = await _window(rest, community, groups, args.rate, args.posts, first=0)
        burst = await _window(rest, community, groups, BURST_RATE, args.burst, first=args.posts)
        return Result(
            setup.name,
            fixed.latencies,
            fixed.missing + burst.missing,
            args.burst,
            burst.last_arrival - burst.first_sent,
        )
    finally:
        for group in groups:
            await group.close()
        await rest.close()


@dataclass
class Window:
    latencies: list[float]
    """Seconds from each post's send to each subscriber's frame of it."""
    missing: int
    first_sent: float
    last_arrival: float


async def _window(
    rest: Rest, community: Community, groups: list[Subscribers], rate: float, posts: int, first: int
) -> Window:
    """Send ``posts`` at ``rate`` and wait until each reached every subscriber (or time out)."""
    for group in groups:
        group.deliveries.arrivals.clear()
        group.deliveries.expect(posts * len(group.clients))

    async def send(sequence: int) -> None:
        await rest.post(community.poster, community.channel_id, f"{PROBE_PREFIX}{sequence}")

    posting = await send_at_rate(send, rate, posts, first)
    with suppress(TimeoutError):
        await asyncio.wait_for(
            asyncio.gather(*(group.deliveries.all_arrived() for group in groups)),
            DELIVERY_TIMEOUT_SECONDS,
        )
    if posting.failed:
        raise RuntimeError(f"{len(posting.failed)} posts failed: {posting.failed[0]}")
    arrivals = [(seq, at) for group in groups for seq, at in group.deliveries.arrivals]
    expected = sum(posts * len(group.clients) for group in groups)
    return Window(
        [at - posting.sent[seq] for seq, at in arrivals],
        expected - len(arrivals),
        min(posting.sent.values()),
        max((at for _, at in arrivals), default=min(posting.sent.values())),
    )


@contextmanager
def kafka_setups(
    bytecode: Path, postgres: Backend, kafka: KafkaServer, gateways: int
) -> Iterator[Setup]:
    """``gateways`` ``hearth serve`` processes and a relay on a fresh database and topic."""
    with postgres.fresh() as database, ExitStack() as stack:
        env = {
            "HEARTH_DATABASE_URL": str(database.settings.database_url),
            "HEARTH_EVENT_BUS": "kafka",
            "HEARTH_KAFKA_BOOTSTRAP": kafka.bootstrap,
            "HEARTH_KAFKA_TOPIC": f"bench-{uuid.uuid4().hex[:12]}",
        }
        processes = [
            stack.enter_context(
                running_node(None, bytecode, extra={**env, "HEARTH_PROCESS_ID": str(i)})
            )
            for i in range(1, gateways + 1)
        ]
        stack.enter_context(running_relay(bytecode, env))
        word = "gateway" if gateways == 1 else "gateways"
        yield Setup(f"postgresql + kafka, {gateways} {word}", processes[0], processes)


def run(args: argparse.Namespace) -> tuple[list[Result], str]:
    """The results of every set-up, and the engines' versions."""
    results = []
    with tempfile.TemporaryDirectory(prefix="hearth-bench-") as scratch, ExitStack() as engines:
        bytecode = Path(scratch) / "bytecode"
        with running_node(None, bytecode) as node:
            results.append(asyncio.run(measure(Setup("embedded (sqlite)", node, [node]), args)))
            print(line(results[-1], results[0]), flush=True)
        postgres = engines.enter_context(private_postgres())
        kafka = engines.enter_context(private_kafka())
        for gateways in (1, 2):
            with kafka_setups(bytecode, postgres, kafka, gateways) as setup:
                results.append(asyncio.run(measure(setup, args)))
                print(line(results[-1], results[0]), flush=True)
        engines_used = f"sqlite {Backend('sqlite').version()}, postgresql {postgres.version()}"
    return results, f"{engines_used}, kafka {KAFKA_VERSION}"


def line(result: Result, baseline: Result) -> str:
    return (
        f"  {result.name:<34} {result.messages_per_second:8.1f} msg/s"
        f" ({result.messages_per_second / baseline.messages_per_second:4.2f}x)"
        f"  p50 {result.p(0.5):6.1f} ms  p99 {result.p(0.99):6.1f} ms"
        f" ({result.p(0.99) / baseline.p(0.99):4.2f}x)  missing {result.missing}"
    )


def report_of(results: Sequence[Result], args: argparse.Namespace) -> Report:
    report = Report(
        "scale_out",
        "postgresql",
        {
            "subscribers": args.subscribers,
            "rate_msg_s": args.rate,
            "posts": args.posts,
            "burst": args.burst,
        },
    )
    baseline = results[0]
    for result in results:
        report.add(f"{result.name}: messages/s (burst)", result.messages_per_second, "msg/s")
        report.add(f"{result.name}: post->delivered p50", result.p(0.5), "ms")
        report.add(f"{result.name}: post->delivered p99", result.p(0.99), "ms")
        report.add(f"{result.name}: deliveries missing", result.missing, "frames")
        if result is not baseline:
            report.add(
                f"{result.name}: messages/s vs embedded",
                result.messages_per_second / baseline.messages_per_second,
                "ratio",
            )
            report.add(
                f"{result.name}: p99 vs embedded", result.p(0.99) / baseline.p(0.99), "ratio"
            )
    return report


def main(argv: Sequence[str] | None = None) -> list[Report]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a small run (smoke test)")
    parser.add_argument("--subscribers", type=int, help="WebSocket clients in all (default 20)")
    parser.add_argument("--rate", type=float, help="posts/s of the latency window (default 20)")
    parser.add_argument("--posts", type=int, help="posts of the latency window (default 300)")
    parser.add_argument("--burst", type=int, help="posts of the throughput burst (default 1000)")
    parser.add_argument("--results-dir", type=Path, default=harness.RESULTS)
    args = parser.parse_args(argv)
    args.subscribers = args.subscribers or (2 if args.quick else 20)
    args.rate = args.rate or 20.0
    args.posts = args.posts or (10 if args.quick else 300)
    args.burst = args.burst or (20 if args.quick else 1000)
    results, engines = run(args)
    report = report_of(results, args)
    report.machine = {**harness.machine_info(Backend("sqlite")), "database": engines}
    path = report.write(args.results_dir)
    print(f"{report.render()}\n(written to {path})\n", flush=True)
    return [report]


if __name__ == "__main__":
    main()
