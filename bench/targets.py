"""What each figure should reach, and what it was before issue 19, for run_all.py to print beside it.

A row matches the first pattern (fnmatch over "benchmark: figure") that fits it. "Before" is the last
full run before issue 19 (README, 2026-11-23, and the issue's own measurements), on the same 2-core
machine; "—" where nothing was measured or no target was set. The peers of the Sheets push (one request
per changed row, a full rewrite) are not "before" figures: they run in the same run, beside OrderDeck's.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

NONE = "—"

# (pattern, target, before)
TARGETS: tuple[tuple[str, str, str], ...] = (
    # bench_sheets: a push's own compute, without Google's round trips
    ("sheets: 5000 orders / 20 changed / compute_s", "< 0.3 s", "3.2 s, the push as a whole (7.1 s in the issue)"),
    ("sheets: 500 orders / 20 changed / compute_s", NONE, "1.4 s (the issue's measurement)"),
    ("sheets: 5000 orders / 20 changed / cpu_s", "< 0.3 s", NONE),
    ("sheets: compute ratio *", "≤ 1.5", "5.1 (7.1 s / 1.4 s)"),
    ("sheets: cpu ratio *", "≤ 1.5", NONE),
    ("sheets: * orders / 20 changed / reads", "1", "3 (grid, key column, Drive permissions)"),
    ("sheets: * orders / 20 changed / writes", "1", "1"),
    ("sheets: * orders / 20 changed / requests", "2", "4"),
    ("sheets: * orders / 20 changed / bytes", NONE, "4,105"),
    ("sheets: * orders / nothing changed / writes", "0", "0"),
    ("sheets: * orders / nothing changed / requests", "1", "3"),
    ("sheets: * orders / first push / requests", NONE, "4"),
    ("sheets: * orders / first push / writes", NONE, "2 (split only by the 2 MB guidance)"),
    ("sheets: * orders / 20 new, placed in order / rows_moved_or_added", "20, in the ship-by order", "appended"),
    ("sheets: * orders / per-row first fill / requests", NONE, "1 (peer: one values.update)"),
    ("sheets: * orders / per-row 20 changed / requests", NONE, "21 (peer)"),
    ("sheets: * orders / rewrite * / requests", NONE, "2 (peer)"),
    # bench_load: 200 webhooks/s, three spreadsheets on one identity, 300 ms per Sheets call
    ("load: held_webhooks_per_s", "≥ 200", "198"),
    ("load: to_database_p95_ms", NONE, "540 ms"),
    ("load: to_sheet_p95_ms", "≤ 5,000 ms", "8,600 ms (two spreadsheets, no call latency)"),
    ("load: quota_refusals", "0", NONE),
    ("load: push_tasks", NONE, "175 (6c850b4, 2026-12-07; 14 pushes)"),
    ("load: push_tasks_idle", NONE, "163 (6c850b4: the file's push running, or its budget spent)"),
    ("load: writes_left_per_minute", "≥ 15 (a quarter of 60)", NONE),
    ("load: busiest_minute_reads", "≤ 60", NONE),
    ("load: gentle / to_sheet_p50_ms", NONE, "7,900 ms"),
    ("load: gentle / to_sheet_p95_ms", "≤ 5,000 ms", "8,300 ms"),
    ("load: lost", "0", "0"),
    ("load: duplicated", "0", "0"),
    ("load: non_2xx", "0", "0"),
    # bench_sync: the store step and a full sync's memory
    ("sync: postgresql / * / ingest_orders_per_s", "≥ 3,000 orders/s", "about 2,100 (1,954 / 2,238 / 2,072)"),
    ("sync: sqlite / 5000 orders / ingest_orders_per_s", "≥ 4,421 (today's)", "4,421"),
    ("sync: sqlite / 10000 orders / ingest_orders_per_s", "≥ 4,359 (today's)", "4,359"),
    ("sync: sqlite / 20000 orders / ingest_orders_per_s", "≥ 3,658 (today's)", "3,658"),
    ("sync: * / ingest_cpu_orders_per_s", "printed", "5,000 TikTok: SQLite ~1,300-1,800, PostgreSQL ~1,400-1,700"),
    ("sync: sqlite / * / peak_rss_mb", "< 300 MB, flat", "120 / 120 / 122 MB"),
    ("sync: postgresql / * / peak_rss_mb", "< 300 MB, flat", "127 / 128 / 130 MB"),
    # bench_backfill: 250,000 orders
    ("backfill: * / peak_rss_at_*_mb", "< 300 MB", "flat shown up to 20,000 orders only"),
    ("backfill: * / growth_after_checkpoint_mb", "flat (a few MB)", NONE),
    ("backfill: * / orders_per_s", "printed", NONE),
    # bench_demo
    ("demo: peak_rss_mb", "< 400 MB over ten minutes", "420 MB"),
    # the others, unchanged by issue 19
    ("webhooks: sqlite / p50_ms", NONE, "14 ms"),
    ("webhooks: sqlite / p95_ms", NONE, "19 ms"),
    ("webhooks: postgresql / p50_ms", NONE, "20 ms"),
    ("webhooks: postgresql / p95_ms", NONE, "28 ms"),
    ("clients: tiktok / clean / orders_per_s", NONE, "2,579"),
    ("clients: tiktok / clean / requests_per_1000", NONE, "10.2"),
    ("clients: tiktok / faults / requests_per_1000", NONE, "11.8"),
    ("ledger: orders_per_s", NONE, "8,833"),
    ("notify: first_sweep_s", NONE, "3.5 s"),
    ("notify: repeat_sweep_s", NONE, "0.7 s"),
    ("allocation: allocate_s", NONE, "0.04 s"),
    ("allocation: steady_push_pass_s", NONE, "2.2 s"),
)


# A Sheets push's peers, run on the larger shop in the same run: OrderDeck's case → each peer's case.
PEER_CASES: dict[str, tuple[tuple[str, str], ...]] = {
    "first push": (("per-row", "per-row first fill"), ("rewrite", "rewrite first push")),
    "20 changed": (("per-row", "per-row 20 changed"), ("rewrite", "rewrite 20 changed")),
    "nothing changed": (("per-row", "per-row nothing changed"), ("rewrite", "rewrite nothing changed")),
}


def peer_figures(benchmark: str, figure: str) -> list[tuple[str, str]]:
    """(peer, its figure) for an OrderDeck Sheets figure `<size> / <case> / <what>`; empty for the others."""
    parts = figure.split(" / ")
    if benchmark != "sheets" or len(parts) != 3 or parts[1] not in PEER_CASES:
        return []
    size, case, what = parts
    return [(label, f"{size} / {peer} / {what}") for label, peer in PEER_CASES[case]]


def target_and_before(benchmark: str, figure: str) -> tuple[str, str]:
    """The first matching entry's target and before, or "—" for both."""
    name = f"{benchmark}: {figure}"
    for pattern, target, before in TARGETS:
        if fnmatchcase(name, pattern):
            return target, before
    return NONE, NONE
