"""The event-store benchmarks in one go: appends, projection catch-up, post latency.

Runs ``bench.appends`` (with the fsync baseline), ``bench.catchup`` and
``bench.post_latency`` on each backend, sharing one private PostgreSQL, and writes
each one's JSON as they would alone. Every option of the three is accepted.

    python -m bench.eventstore [--backend sqlite|postgresql|both] [--quick]
"""

from __future__ import annotations

from collections.abc import Sequence

from bench import appends, catchup, harness, post_latency
from bench.harness import Report

BENCHMARKS = (appends, catchup, post_latency)


def main(argv: Sequence[str] | None = None) -> list[Report]:
    parser = harness.parser(__doc__ or "")
    for benchmark in BENCHMARKS:
        benchmark.add_options(parser)
    args = parser.parse_args(argv)
    return harness.run_on_backends(args, [benchmark.run for benchmark in BENCHMARKS])


if __name__ == "__main__":
    main()
