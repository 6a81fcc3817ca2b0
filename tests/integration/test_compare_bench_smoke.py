"""The Hearth-vs-Synapse comparison runs end to end at a tiny size and fills its table.

It installs Synapse from PyPI into its cache virtualenv on first use, starts both
servers as the real benchmark does (processes of their own, fresh SQLite
databases), registers users through each one's API, and drives both with the one
load generator. Only the table is checked: a figure from each peer in every row
that always has one, written to JSON and Markdown and printed. How fast either
server is, is what the benchmark reports, never a condition for the suite; the
generous p99 bound only lets the rate steps run on a busy machine.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from bench import compare

TINY = [
    "--backend",
    "sqlite",
    "--receivers",
    "1",
    "2",
    "--rates",
    "5",
    "20",
    "--latency-rate",
    "10",
    "--latency-posts",
    "3",
    "--step-seconds",
    "0.5",
    "--min-step-posts",
    "3",
    "--p99-bound-ms",
    "60000",
]
ALWAYS_MEASURED = (
    "p50 send→receive",
    "p99 send→receive",
    "highest rate",
    "RSS at rest",
    "restart to first served request",
    "first start",
)


@pytest.mark.timeout(900)  # the first run installs Synapse into its cache virtualenv
def test_comparison_reports_both_peers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    [table] = compare.main([*TINY, "--results-dir", str(tmp_path)])
    printed = capsys.readouterr().out
    assert table.peers == ["Hearth", "Synapse"]
    measured = [row for row in table.rows if any(key in row.metric for key in ALWAYS_MEASURED)]
    assert len(measured) == 2 * 3 + 2 + 2, [row.metric for row in table.rows]
    for row in measured:
        for peer in table.peers:
            value = row.values[peer]
            assert value is not None and math.isfinite(value) and value > 0, (row, peer)
        ratio = row.ratio("Hearth", "Synapse")
        assert ratio is not None and ratio > 0
        assert row.metric in printed
    written = json.loads((tmp_path / "compare-sqlite.json").read_text())
    assert [row["metric"] for row in written["rows"]] == [row.metric for row in table.rows]
    assert set(written["windows"]) == {"Hearth", "Synapse"}
    assert table.markdown() in (tmp_path / "compare-sqlite.md").read_text()
