"""The gateway benchmark runs end to end at a tiny size and reports well-formed figures.

It starts real nodes (``hearth serve`` in processes of their own) and real WebSocket
clients, so it also shows that the benchmark still speaks the node's protocol. Only
completion and the shape of the report are checked: positive, finite numbers,
printed and written as JSON. How fast the node is is what the benchmark reports,
never a condition for the test suite to pass; the generous p99 bound only lets the
rate search find a rate to report on a busy machine.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from bench import gateway

TINY = [
    "--quick",
    "--subscribers",
    "1",
    "2",
    "20",
    "--seconds",
    "0.5",
    "--step-seconds",
    "0.5",
    "--steps",
    "2",
    "--cold-starts",
    "1",
    "--p99-bound-ms",
    "60000",
]


def test_gateway_benchmark_reports_positive_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    [report] = gateway.main([*TINY, "--results-dir", str(tmp_path)])
    printed = capsys.readouterr().out
    assert report.figures
    for figure in report.figures:
        assert math.isfinite(figure.value) and figure.value > 0, figure
        assert figure.metric in printed
    written = json.loads((tmp_path / "gateway-sqlite.json").read_text())
    assert [f["metric"] for f in written["figures"]] == [f.metric for f in report.figures]
    assert [f["value"] for f in written["figures"]] == [f.value for f in report.figures]
    assert written["windows"], "every measured window is kept in the JSON"
