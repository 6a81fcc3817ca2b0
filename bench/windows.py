"""One measured window of probes from a sender to N receivers, and what it cost each side.

Shared by the benchmarks that drive a server from outside (``bench.gateway``,
``bench.compare``): a window sends probes at a fixed rate, waits until every
receiver has every probe (or a drain limit passes), and reads the CPU time of the
server, of this process (the generator) and of both pinned cores around it, so a
figure can say whether the server, the generator or another process bounded it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from bench import harness
from bench.loadgen import Deliveries, Send, send_at_rate
from bench.node_process import CLOCK_TICKS, NodeProcess, core_busy_seconds

SERVER_CORE, GENERATOR_CORE = 0, 1
DRAIN_SECONDS = 10.0
# Before a window: no probe for this long (waiting at most the limit) means the server is
# done with the previous one.
QUIET_SECONDS, SETTLE_LIMIT_SECONDS = 0.5, 60.0
# Generator CPU use at which it may be what limits a window, not the server.
GENERATOR_SATURATED = 0.85
# Share of the server's core taken by other processes above which a figure says so.
OTHERS_NOTICEABLE = 0.05
ENDED_THREADS = "(ended threads)"
MS, US = 1e3, 1e6


@dataclass(frozen=True)
class CpuClock:
    """CPU seconds so far: of the node, of the generator, and of each pinned core in all."""

    wall: float
    node: float
    generator: float
    node_core: float
    generator_core: float
    node_threads: dict[tuple[int, str], float]
    """The node's CPU by live thread (id, name); names are meaningful under ``--profile``."""

    @classmethod
    def read(cls, node: NodeProcess, cores: tuple[int, int] | None) -> CpuClock:
        usage = resource.getrusage(resource.RUSAGE_SELF)  # the generator: this process
        node_core, generator_core = (core_busy_seconds(c) for c in cores) if cores else (0, 0)
        return cls(
            wall=time.perf_counter(),
            node=node.cpu_seconds(),
            generator=usage.ru_utime + usage.ru_stime,
            node_core=node_core,
            generator_core=generator_core,
            node_threads=node.thread_cpu_seconds(),
        )


@dataclass
class Window:
    """Posts at one rate to N subscribers, and what it cost the node and the generator."""

    subscribers: int
    rate: float
    posts: int
    latencies: list[float]
    missing: int
    failed_posts: int
    dropped: int
    start: CpuClock
    end: CpuClock

    @property
    def complete(self) -> bool:
        return self.missing == 0 and self.failed_posts == 0 and self.dropped == 0

    def percentile(self, fraction: float) -> float:
        return harness.percentile(self.latencies, fraction) if self.latencies else float("inf")

    def holds(self, bound: float) -> bool:
        return self.complete and self.percentile(0.99) <= bound

    @property
    def seconds(self) -> float:
        return self.end.wall - self.start.wall

    @property
    def node_cpu(self) -> float:
        return self.end.node - self.start.node

    @property
    def node_busy(self) -> float:
        """Share of its core the node used."""
        return self.node_cpu / self.seconds

    @property
    def generator_busy(self) -> float:
        """Share of its core the generator used: near 1, it may be what limits the window."""
        return (self.end.generator - self.start.generator) / self.seconds

    @property
    def others_on_node_core(self) -> float:
        """Share of the node's core other processes took (0 without pinning)."""
        if self.end.node_core == 0:
            return 0.0
        return max(0.0, self.end.node_core - self.start.node_core - self.node_cpu) / self.seconds

    @property
    def cpu_per_frame(self) -> float:
        return self.node_cpu / max(1, len(self.latencies))

    def by_thread(self) -> dict[str, float]:
        """The node's CPU seconds in this window by thread name, largest first.

        Threads of one name (a pool's workers) are summed. A thread that ended within
        the window (the thread pool retires idle workers) is no longer listed by the
        kernel: what the live threads do not account for is ``(ended threads)``.
        """
        spent: dict[str, float] = {}
        for (tid, name), seconds in self.end.node_threads.items():
            used = seconds - self.start.node_threads.get((tid, name), 0.0)
            spent[name] = spent.get(name, 0.0) + used
        ended = self.node_cpu - sum(spent.values())
        if ended > 1 / CLOCK_TICKS:
            spent[ENDED_THREADS] = ended
        return dict(sorted(spent.items(), key=lambda item: -item[1]))

    def summary(self) -> dict[str, Any]:
        return {
            "subscribers": self.subscribers,
            "rate_msg_s": self.rate,
            "posts": self.posts,
            "deliveries": len(self.latencies),
            "missing": self.missing,
            "failed_posts": self.failed_posts,
            "dropped_connections": self.dropped,
            "p50_ms": self.percentile(0.5) * MS,
            "p99_ms": self.percentile(0.99) * MS,
            "max_ms": max(self.latencies, default=float("inf")) * MS,
            "node_cpu_per_frame_us": self.cpu_per_frame * US,
            "node_core_busy": self.node_busy,
            "generator_core_busy": self.generator_busy,
            "others_on_node_core": self.others_on_node_core,
            "seconds": self.seconds,
            "node_cpu_by_thread_s": self.by_thread(),
        }

    def line(self, bound: float, by_thread: bool, label: str = "") -> str:
        verdict = "holds" if self.holds(bound) else "does not hold"
        if not self.complete:
            verdict += (
                f" ({self.missing} deliveries missing, {self.failed_posts} posts failed,"
                f" {self.dropped} connections closed by the node)"
            )
        line = (
            f"  {self.subscribers:>5} subscribers {self.rate:>7.1f} msg/s:"
            f" p50 {self.percentile(0.5) * MS:7.1f} ms  p99 {self.percentile(0.99) * MS:7.1f} ms"
            f"  node CPU/frame {self.cpu_per_frame * US:6.1f} us  node core: node"
            f" {self.node_busy:4.0%} others {self.others_on_node_core:4.0%}"
            f"  generator core {self.generator_busy:4.0%}  {verdict}{label}"
        )
        if by_thread:
            posts = max(1, self.posts - self.failed_posts)
            line += "\n      node CPU by thread, ms per post: " + ", ".join(
                f"{name} {seconds / posts * MS:.2f}"
                for name, seconds in self.by_thread().items()
                if seconds * CLOCK_TICKS >= 1
            )
        return line


async def measure_window(
    node: NodeProcess,
    cores: tuple[int, int] | None,
    deliveries: Deliveries,
    send: Send,
    receivers: int,
    rate: float,
    posts: int,
    first: int,
) -> Window:
    """Send ``posts`` probes from sequence ``first`` at ``rate``; wait for every delivery.

    ``cores`` are the server's and the generator's, when pinned.
    """
    await deliveries.settle(QUIET_SECONDS, SETTLE_LIMIT_SECONDS)
    deliveries.arrivals.clear()
    deliveries.expect(receivers * posts)
    dropped_before = len(deliveries.dropped)
    start = CpuClock.read(node, cores)
    posting = await send_at_rate(send, rate, posts, first)
    expected = receivers * (posts - len(posting.failed))
    deliveries.expect(expected)  # fewer, when posts failed
    with contextlib.suppress(TimeoutError):  # missing deliveries are counted below
        async with asyncio.timeout(DRAIN_SECONDS):
            await deliveries.all_arrived()
    end = CpuClock.read(node, cores)
    latencies = [at - posting.sent[s] for s, at in deliveries.arrivals if s in posting.sent]
    return Window(
        subscribers=receivers,
        rate=rate,
        posts=posts,
        latencies=latencies,
        missing=max(0, expected - len(latencies)),
        failed_posts=len(posting.failed),
        dropped=len(deliveries.dropped) - dropped_before,
        start=start,
        end=end,
    )


@contextlib.contextmanager
def pinned(core: int | None) -> Iterator[None]:
    """Run this process on ``core`` only, restoring its affinity afterwards."""
    if core is None:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {core})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def interference(windows: Sequence[Window]) -> str:
    """A note when the generator or other processes, not the node, may bound these windows."""
    notes = []
    busiest = max(w.generator_busy for w in windows)
    if busiest >= GENERATOR_SATURATED:
        notes.append(f"generator near saturation ({busiest:.0%} of its core)")
    others = max(w.others_on_node_core for w in windows)
    if others >= OTHERS_NOTICEABLE:
        notes.append(f"other processes took {others:.0%} of the node's core")
    return "; ".join(notes)
