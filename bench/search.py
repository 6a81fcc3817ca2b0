"""Message search: what indexing costs the log's followers, and what a query costs.

The log is filled with the benchmarks' chat traffic (``bench.workload.ChatTraffic``: public
channels, mostly messages, with edits and deletions). Then, on the node's own storage:

1. the chat view catches up from position zero (the baseline follower);
2. the search view catches up from position zero, into the configured embedded index
   (SQLite FTS5 or PostgreSQL full text);
3. searches for one and two words of the traffic's vocabulary, in one server, newest 25
   first, against the baseline of reading the newest 25 messages of a channel from the chat
   view.

Figures are ratios against the baselines measured in the same run.

    python -m bench.search [--backend sqlite|postgresql|both] [--quick] [--queries N]
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable, Sequence
from uuid import UUID

from bench import harness
from bench.catchup import Log, project, timed
from bench.harness import Backend, Report
from bench.workload import WORDS, ChatTraffic, append_in_batches
from infra.projections.runner import ProjectionRunner
from infra.projections.views import ViewTarget
from infra.readmodels.chat_view import CHAT_VIEW
from infra.search.wiring import build_search
from infra.sql import Database
from projections.search_models import SearchQuery, parse_query

FILL_BATCH = 500
PAGE = 25


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--events", type=int, help="events in the log (100000; quick 10000)")
    parser.add_argument("--queries", type=int, help="timed searches (500; quick 100)")


def latencies(call: Callable[[int], object], count: int) -> list[float]:
    """Seconds taken by ``call(i)`` for i in 0..count-1."""
    samples = []
    for i in range(count):
        started = time.perf_counter()
        call(i)
        samples.append(time.perf_counter() - started)
    return samples


def busiest_channel(db: Database) -> tuple[UUID, UUID]:
    """The (server, channel) holding the most indexed messages: the hardest one to search."""
    with db.read() as cursor:
        cursor.execute(
            "SELECT server_id, channel_id, COUNT(*) AS n FROM search_g1_messages"
            " GROUP BY server_id, channel_id ORDER BY n DESC LIMIT 1"
        )
        row = cursor.fetchone()
    return UUID(row["server_id"]), UUID(row["channel_id"])


def run(backend: Backend, args: argparse.Namespace) -> Report:
    wanted = harness.size(args.events, args.quick, 10_000, 100_000)
    queries = harness.size(args.queries, args.quick, 100, 500)
    report = Report("search", backend.name, {"events": wanted, "queries": queries})
    with backend.fresh() as database, harness.node_on(database, start=False) as node:
        store, storage = node.store, node.storage
        written = append_in_batches(store, ChatTraffic().changes(), wanted, FILL_BATCH)
        report.parameters["events"] = written
        log = Log(written, store.last_position())
        chat = ProjectionRunner(store, ViewTarget.open_live(storage.views, CHAT_VIEW))
        chat_seconds = timed(report, "catch-up: chat view", lambda: project(chat), log)
        search = build_search(node.settings, storage.search)
        indexer = ProjectionRunner(store, ViewTarget.open_live(storage.search, search.spec))
        search_seconds = timed(report, "catch-up: search view", lambda: project(indexer), log)
        report.add("ratio search / chat catch-up speed", chat_seconds / search_seconds, "x")

        server, channel = busiest_channel(storage.search)
        rng = random.Random(7)
        texts = [" ".join(rng.sample(WORDS, rng.choice((1, 2)))) for _ in range(queries)]
        page = latencies(lambda i: node.reader.messages(channel, None, None, PAGE), queries)
        found = latencies(
            lambda i: search.reader.search(
                SearchQuery(server_id=server, terms=parse_query(texts[i]), limit=PAGE)
            ),
            queries,
        )
    for name, samples in (("baseline: newest 25 of a channel", page), ("search", found)):
        report.add(f"{name}, median", harness.percentile(samples, 0.5) * 1e3, "ms")
        report.add(f"{name}, p95", harness.percentile(samples, 0.95) * 1e3, "ms")
    report.add(
        "ratio search / page read, median",
        harness.percentile(found, 0.5) / harness.percentile(page, 0.5),
        "x",
    )
    return report


def main(argv: Sequence[str] | None = None) -> list[Report]:
    return harness.main(__doc__ or "", add_options, run, argv)


if __name__ == "__main__":
    main()
