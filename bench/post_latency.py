"""Post latency in a channel holding one message vs one holding a million.

A post is ``ChatCommands.post_message`` (load the channel and the author's membership,
decide, append durably) followed by the chat view's ``wait_until`` (read-your-writes:
the message is in the view the client reads next). Messages are aggregates of their
own, so nothing a post loads or locks grows with its channel; this benchmark checks
that the read model keeps that promise too.

The big channel is filled by inserting the events a post writes straight through
the recorder, thousands a commit; the node's projections then catch up, and posts
alternate between the two channels so that anything else the machine does falls on
both alike. The baseline is the small channel.

    python -m bench.post_latency [--backend sqlite|postgresql|both] [--quick]

Goal (issue 2): the ratio big channel / small channel near 1.
"""

from __future__ import annotations

import argparse
import itertools
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from bench import harness
from bench.harness import Backend, Report, Stopwatch
from bench.workload import TEXT_POOL, SeededServer, seed_server, sentence
from domain import aggregates as ag
from domain.channel import Channel, ChannelKind
from domain.events import Envelope
from domain.message import MessagePosted
from infra.bootstrap import Node
from infra.eventstore.sealing import new_key
from infra.eventstore.store import EventStore

FILL_BATCH = 2000
# PostgreSQL's chat view catches up slower than SQLite's (one round trip per row written):
# a million messages would take about 20 minutes to fill and catch up on a 2-core machine,
# so its full run holds a tenth of them; the report prints N.
FULL_MESSAGES = {"sqlite": 1_000_000, "postgresql": 100_000}
WARM_UP_POSTS = 10
CATCH_UP_TIMEOUT_SECONDS = 3600.0


def big_channel(node: Node, seeded: SeededServer) -> Channel:
    channel_id, _ = node.commands.create_channel(
        seeded.owner, seeded.server_id, "big", ChannelKind.PUBLIC, "a million messages"
    )
    state = node.store.load(ag.CHANNEL, channel_id).state
    if state is None:
        raise RuntimeError("the channel just created cannot be loaded")
    return state


def fill(store: EventStore, target: Channel, author: UUID, count: int, rng: random.Random) -> None:
    """Insert ``count`` posts into ``target`` straight through the recorder, a batch a commit.

    Each stored event is what ``EventStore.append`` writes for a post (an envelope with
    its id, version and HLC from the store's clock, encoded and sealed by the store's
    codec under the message's own new data key, inserted with that key), built without
    the command's per-message checks so that a million of them fit in minutes.
    """
    texts = [sentence(rng) for _ in range(TEXT_POOL)]
    for start in range(0, count, FILL_BATCH):
        envelopes = [
            Envelope(
                event_id=uuid.uuid4(),
                aggregate_id=uuid.uuid4(),
                version=1,
                hlc=store.clock.now(),
                event=MessagePosted(
                    channel_id=target.id, author_id=author, content=rng.choice(texts)
                ),
            )
            for _ in range(min(FILL_BATCH, count - start))
        ]
        keys = [(envelope.aggregate_id, new_key()) for envelope in envelopes]
        stored = [store.codec.encode(e, key) for e, (_, key) in zip(envelopes, keys, strict=True)]
        store.recorder.insert_events(stored, content_keys=keys)


def catch_up(node: Node) -> None:
    """Start the node's projections and sweeper; return once every projection is at the head."""
    for runner in node.runners():
        runner.start()
    node.sweeper.start()
    head = node.store.last_position()
    for runner in node.runners():
        if not runner.wait_until(head, CATCH_UP_TIMEOUT_SECONDS):
            raise RuntimeError(
                f"projection {runner.target.name} did not catch up: {runner.failure}"
            )


@dataclass(frozen=True)
class Timing:
    """Seconds until the post was durable (the command returned) and until it was visible."""

    durable: float
    visible: float


def post_and_see(node: Node, seeded: SeededServer, target: Channel, text: str) -> Timing:
    with Stopwatch() as visible:
        with Stopwatch() as durable:
            _, recorded = node.commands.post_message(seeded.owner, target.id, text)
        if not node.chat_runner.wait_until(recorded.position):
            raise RuntimeError(f"the chat view did not show the post: {node.chat_runner.failure}")
    return Timing(durable.seconds, visible.seconds)


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--messages",
        type=int,
        help="messages in the big channel (SQLite 1000000, PostgreSQL 100000; quick 10000)",
    )
    parser.add_argument("--posts", type=int, help="timed posts into each channel (200)")


def run(backend: Backend, args: argparse.Namespace) -> Report:
    full = FULL_MESSAGES[backend.name]
    wanted = harness.size(args.messages, args.quick, 10_000, full)
    posts = harness.size(args.posts, args.quick, 200, 200)
    report = Report("post_latency", backend.name, {"messages": wanted, "posts": posts})
    rng = random.Random(7)
    with backend.fresh() as database, harness.node_on(database, start=False) as node:
        seeded = seed_server(node.commands, node.store)
        small, big = seeded.general, big_channel(node, seeded)
        node.commands.post_message(seeded.owner, small.id, "the small channel's one message")
        with Stopwatch() as filling:
            fill(node.store, big, seeded.owner, wanted, rng)
        with Stopwatch() as caught_up:
            catch_up(node)
        for target in (small, big) * WARM_UP_POSTS:
            post_and_see(node, seeded, target, sentence(rng))
        samples: dict[str, list[Timing]] = {"small": [], "big": []}
        for _, (name, target) in itertools.product(range(posts), (("small", small), ("big", big))):
            samples[name].append(post_and_see(node, seeded, target, sentence(rng)))
    report.add(
        f"fill: codec + recorder, {FILL_BATCH} posts a commit",
        harness.rate(wanted, filling.seconds),
        "events/s",
    )
    report.add(
        "catch-up of the node's projections", harness.rate(wanted, caught_up.seconds), "events/s"
    )
    add_latencies(report, samples)
    return report


def add_latencies(report: Report, samples: dict[str, list[Timing]]) -> None:
    """p50 and p99 until visible in each channel, their ratios, and p50 until durable."""
    for label, fraction in (("p50", 0.5), ("p99", 0.99)):
        small_ms = harness.percentile([t.visible for t in samples["small"]], fraction) * 1000
        big_ms = harness.percentile([t.visible for t in samples["big"]], fraction) * 1000
        report.add(f"{label} post + visible, channel of 1", small_ms, "ms")
        report.add(f"{label} post + visible, big channel", big_ms, "ms")
        report.add(f"ratio {label} big / small", big_ms / small_ms, "x", "near 1")
    for name, label in (("small", "channel of 1"), ("big", "big channel")):
        durable_ms = harness.percentile([t.durable for t in samples[name]], 0.5) * 1000
        report.add(f"p50 post command alone, {label}", durable_ms, "ms")


def main(argv: Sequence[str] | None = None) -> list[Report]:
    return harness.main(__doc__ or "", add_options, run, argv)


if __name__ == "__main__":
    main()
