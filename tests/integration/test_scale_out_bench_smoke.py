"""The scale-out benchmark runs end to end at a tiny size and reports well-formed figures.

It starts the embedded node, then PostgreSQL, Kafka, relays and gateway processes of its
own. Only completion and the shape of the report are checked: every post reached every
subscriber, and the figures are finite, positive, printed and written as JSON. How fast
each set-up is, is what the benchmark reports, never a condition for the suite to pass.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from bench import scale_out


def test_scale_out_benchmark_reports_every_set_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    [report] = scale_out.main(["--quick", "--results-dir", str(tmp_path)])
    printed = capsys.readouterr().out
    figures = {figure.metric: figure.value for figure in report.figures}
    for name in (
        "embedded (sqlite)",
        "postgresql + kafka, 1 gateway",
        "postgresql + kafka, 2 gateways",
    ):
        assert figures[f"{name}: deliveries missing"] == 0
        for metric in ("messages/s (burst)", "post->delivered p50", "post->delivered p99"):
            value = figures[f"{name}: {metric}"]
            assert math.isfinite(value) and value > 0, (name, metric, value)
            assert f"{name}: {metric}" in printed
    written = json.loads((tmp_path / "scale_out-postgresql.json").read_text())
    assert [f["value"] for f in written["figures"]] == [f.value for f in report.figures]
