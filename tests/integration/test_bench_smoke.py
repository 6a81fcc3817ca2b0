"""Every benchmark runs end to end at a tiny size and reports well-formed figures.

Only completion and the shape of the report are checked (positive, finite numbers,
printed and written as JSON): how fast the node is is what the benchmarks report,
never a condition for the test suite to pass.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from bench import appends, catchup, eventstore, fsync, post_latency
from bench.harness import Report

Main = Callable[[Sequence[str] | None], list[Report]]

FSYNC = ["--fsyncs", "5", "--pg-test-fsync-seconds", "0"]
APPENDS = [*FSYNC, "--appends", "5", "--concurrent-appends", "32"]
CATCHUP = ["--events", "300"]
POST_LATENCY = ["--messages", "300", "--posts", "5"]

BENCHMARKS: dict[str, tuple[Main, list[str], int]] = {
    "fsync": (fsync.main, FSYNC, 1),
    "appends": (appends.main, APPENDS, 1),
    "catchup": (catchup.main, CATCHUP, 1),
    "post_latency": (post_latency.main, POST_LATENCY, 1),
    "eventstore": (eventstore.main, [*APPENDS, *CATCHUP, *POST_LATENCY], 3),
}


def check_reports(reports: list[Report], expected: int, results: Path, printed: str) -> None:
    assert len(reports) == expected
    for report in reports:
        assert report.figures, f"{report.benchmark} reported nothing"
        for figure in report.figures:
            assert math.isfinite(figure.value) and figure.value > 0, figure
            assert figure.metric in printed
        written = json.loads((results / f"{report.benchmark}-{report.backend}.json").read_text())
        assert [f["metric"] for f in written["figures"]] == [f.metric for f in report.figures]
        assert [f["value"] for f in written["figures"]] == [f.value for f in report.figures]
        assert written["machine"]["cpus"] >= 1


@pytest.mark.parametrize("name", BENCHMARKS)
def test_benchmark_reports_on_sqlite(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main, options, expected = BENCHMARKS[name]
    reports = main(["--backend", "sqlite", "--results-dir", str(tmp_path), *options])
    check_reports(reports, expected, tmp_path, capsys.readouterr().out)
    assert {report.backend for report in reports} == {"sqlite"}


@pytest.mark.parametrize("name", BENCHMARKS)
def test_benchmark_reports_on_postgresql(
    name: str, postgres_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main, options, expected = BENCHMARKS[name]
    backend = ["--backend", "postgresql", "--database-url", postgres_url]
    reports = main([*backend, "--results-dir", str(tmp_path), *options])
    check_reports(reports, expected, tmp_path, capsys.readouterr().out)
    assert {report.backend for report in reports} == {"postgresql"}
