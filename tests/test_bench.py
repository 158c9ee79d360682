"""Smoke check of bench/run_all.py at tiny sizes: the sync and webhook benchmarks run and report figures.

Figures are checked for presence and sign only; how fast is the benchmarks' job, never a test's.
On SQLite only (DATABASE_URL removed), to stay fast; `make bench` covers PostgreSQL.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SYNC_FIGURES = (
    "sync_s",
    "sync_orders_per_s",
    "ingest_s",
    "ingest_orders_per_s",
    "ingest_cpu_orders_per_s",
    "peak_rss_mb",
)
WEBHOOK_FIGURES = ("p50_ms", "p95_ms", "max_ms", "ack_p50_ms", "burst_webhooks_per_s", "burst_stored_orders_per_s")


def _table(stdout: str) -> dict[tuple[str, str], tuple[str, str, str]]:
    """(benchmark, figure) → (value, unit, target), read from the Markdown table run_all prints."""
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in stdout.splitlines() if line.startswith("|")]
    assert cells[0] == ["benchmark", "figure", "value", "unit", "target", "before", "peers"]
    return {(b, f): (v, u, t) for b, f, v, u, t, _before, _peers in cells[2:]}


def test_run_all_quick_reports_sync_and_webhook_figures_with_the_machine() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    done = subprocess.run(
        [sys.executable, "bench/run_all.py", "--quick", "--only", "sync,webhooks"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    table = _table(done.stdout)
    for figure in SYNC_FIGURES:
        value, unit, _target = table[("sync", f"sqlite / 200 orders / {figure}")]
        assert float(value) > 0, (figure, value)
        assert unit, figure
    assert table[("sync", "sqlite / 200 orders / peak_rss_mb")][2] == "< 300 MB, flat"  # the target beside it
    for figure in WEBHOOK_FIGURES:
        value, unit, _target = table[("webhooks", f"sqlite / {figure}")]
        assert float(value) > 0, (figure, value)
        assert unit, figure
    assert {b for b, _ in table} == {"sync", "webhooks"}  # --only ran nothing else
    for label in ("cpu:", "cores:", "ram:", "python:", "sqlite:", "postgresql:", "date:"):
        assert label in done.stdout
