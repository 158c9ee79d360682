"""A 250,000-order backfill (a large seller's 90 days) in constant memory (issue 19).

One child process per database (SQLite, and PostgreSQL when a server is given) starts from a fresh
database holding one team, its shop and a bound customer-service tab, then runs the sync's own store
step (`sync.ahead` and `sync._store_page`: ingest, notes for the tab's next push, counters and watermark, one
transaction per page of 100) over 2,500 pages. The pages are made here, one at a time, by the TikTok
Shop sandbox's own order generator and renderer and mapped by the real TikTok mapping: the API's
pages without its HTTP, whose sandbox would have to hold 250,000 orders and scan them per page.

Figures: orders/s over the whole backfill; the child's peak resident memory (VmHWM) once 25,000
orders are stored and once all 250,000 are. Targets: peak under 300 MB, flat from 25,000 to 250,000
(what grows with the order count stays in the database).

    .venv/bin/python bench/bench_backfill.py [--quick | --orders 25000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as a plain script

from backend.db import Database
from backend.models import Order, SheetBinding, Spreadsheet, SyncRun, utcnow
from backend.platforms.base import OrderPageResult
from backend.platforms.tiktok.mapping import map_order_page
from backend.sandbox.tiktok.render import render_order
from backend.sandbox.tiktok.world import CANCEL_PLANS, DAY, Ids, make_order, new_shop
from backend.services import sync
from bench.bench_sync import fresh_database, peak_rss_mb, postgres_url
from bench.fixtures import in_child, team_with_shop

ORDERS, CHECKPOINT = 250_000, 25_000
QUICK_ORDERS, QUICK_CHECKPOINT = 2_500, 250
PAGE = 100
CHILD_TIMEOUT = 3 * 3600


class CountingIds(Ids):
    """Ids from a counter: the sandbox's own remember every id they handed out, which would grow here."""

    def __init__(self, rng: random.Random) -> None:
        super().__init__(rng)
        self._next = itertools.count(10**16)

    def new(self, prefix: str = "57") -> str:
        return prefix + str(next(self._next))


def pages(count: int, seed: int = 19) -> Iterator[OrderPageResult]:
    """`count` orders of one shop over the last 90 days, page by page, as TikTok's order search returns them.

    Each page's orders are dropped from the generator's shop once rendered, so the pages cost the same
    memory however many came before.
    """
    rng = random.Random(seed)
    ids = CountingIds(rng)
    shop = new_shop(rng, ids, "Backfill US", "US")
    now = int(time.time())
    for start in range(0, count, PAGE):
        rendered = []
        for _ in range(min(PAGE, count - start)):
            fate = rng.choices(("normal", *CANCEL_PLANS), weights=(88, 4, 4, 4))[0]
            order = make_order(rng, ids, shop, now - rng.randrange(60, 90 * DAY), fate=fate, split=rng.random() < 0.05)
            rendered.append(render_order(shop, order, now))
            for package_id in order.package_ids():
                shop.packages.pop(package_id, None)
            del shop.orders[order.order_id]
        yield map_order_page(rendered, f"page-{start // PAGE + 1}", count)


def _backfill(spec: dict[str, Any]) -> dict[str, float]:
    """The child's work: the store step over every page, the peak memory at the checkpoint and at the end."""
    count, checkpoint = int(spec["orders"]), int(spec["checkpoint"])
    db = Database(spec["database_url"])
    db.migrate()
    with db.session() as session:
        team, shop = team_with_shop(session, "Backfill", "7495000000000000001", name="Backfill US", region="US")
        spreadsheet = Spreadsheet(team_id=team.id, google_id="backfill-sheet", audience_role="support")
        session.add(spreadsheet)
        session.flush()
        session.add(SheetBinding(spreadsheet_id=spreadsheet.id, tab_title="Orders", profile_key="customer_service",
                                 created_by="bench@orderdeck.test"))  # fmt: skip
        run = SyncRun(shop_id=shop.id, kind="full", window_from=sync.EPOCH, window_to=utcnow())
        session.add(run)
        session.flush()
        report = sync.SyncReport(shop_id=shop.id, run_id=run.id)
        shop_id = shop.id
    gc.collect()
    start_rss = peak_rss_mb()
    figures: dict[str, float] = {}
    stored = 0
    started = time.perf_counter()
    for page, prepared in sync.ahead(pages(count), db.engine.dialect):  # the sync's own loop and per-page transaction
        sync._store_page(db, shop_id, report, page, prepared)
        stored += len(page.orders) + len(page.failures)
        if stored >= checkpoint and not figures:
            figures[f"peak_rss_at_{checkpoint}_mb"] = round(peak_rss_mb())
    seconds = time.perf_counter() - started
    with db.session() as session:
        rows = session.query(Order).filter(Order.shop_id == shop_id).count()
    if report.result.new + report.failed != count or rows != report.result.new:
        raise RuntimeError(f"the backfill stored {rows} of {count} orders ({report.failed} failed to map)")
    db.dispose()
    figures[f"peak_rss_at_{count}_mb"] = round(peak_rss_mb())
    figures["growth_after_checkpoint_mb"] = figures[f"peak_rss_at_{count}_mb"] - figures[f"peak_rss_at_{checkpoint}_mb"]
    figures["start_rss_mb"] = round(start_rss)
    figures["seconds"] = round(seconds, 1)
    figures["orders_per_s"] = round(count / seconds)
    return figures


def run(quick: bool = False, postgres: str | None = None, orders: int = 0) -> dict[str, object]:
    """Figures per database: {"sqlite": {...}, "postgresql": {...}}; `orders` other than the default's 250,000
    (the checkpoint at a tenth of them)."""
    servers: dict[str, str | None] = {"sqlite": None}
    if server := postgres_url(postgres):
        servers["postgresql"] = server
    count, checkpoint = (QUICK_ORDERS, QUICK_CHECKPOINT) if quick else (ORDERS, CHECKPOINT)
    if orders:
        count, checkpoint = orders, orders // 10
    results: dict[str, object] = {}
    for name, server in servers.items():
        with fresh_database(server) as url:
            spec = {"orders": count, "checkpoint": checkpoint, "database_url": url}
            results[name] = {"orders": count, **in_child(__file__, spec, CHILD_TIMEOUT)}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ORDERS} orders: a smoke check")
    parser.add_argument("--postgres", metavar="URL", help="also on this PostgreSQL server")
    parser.add_argument("--orders", type=int, default=0, help=f"orders instead of {ORDERS:,} (a multiple of 100)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_backfill(json.loads(args.child))))
        return
    print(json.dumps(run(quick=args.quick, postgres=args.postgres, orders=args.orders), indent=2))


if __name__ == "__main__":
    main()
