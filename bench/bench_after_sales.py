"""After-sales case sync of 10,000 cases on SQLite (and PostgreSQL when DATABASE_URL names one) (issue 17).

On a fresh database with the shop's orders already stored (as a case sync finds them):

  (a) the store step alone: the case pages are fetched first and kept, then only the sync's own per-page
      transaction (`store.ingest_cases` + the position + the commit) is timed: cases/s without API wait;
  (b) a full first case sync through the real client against the TikTok Shop sandbox (over loopback
      HTTP, both searches paged at 50, the reject reasons fetched for the cases still waiting): cases/s
      with API wait.

Target (issue 17): store step >= 1,000 cases/s. The store step's CPU time is printed beside its wall time:
SQLite runs in this process, so on a machine shared with other work the CPU figure is the steadier one.

    .venv/bin/python bench/bench_after_sales.py [--quick] [--postgres URL]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as a plain script

from sqlalchemy import delete, func, select, update

from backend.config import TEST_ENCRYPTION_KEY
from backend.db import Database
from backend.models import AfterSaleCase, Shop
from backend.sandbox.tiktok_shop import TikTokShopSandbox
from backend.secrets import SecretBox
from backend.services import shops, sync
from backend.services.after_sales import sync as case_sync
from bench.bench_sync import backend_config, connect_shop, fresh_database, postgres_url

CASES = 10_000
ORDERS = 14_000  # about three in four have shipped, so 10,000 of them can carry a refund or return request
QUICK = (300, 400)


def measure(
    database_url: str, sandbox: TikTokShopSandbox, tiktok_url: str, shop_id: str, cases: int
) -> dict[str, float]:
    db = Database(database_url)
    db.migrate()
    config = backend_config(database_url, tiktok_url, sandbox.app_key, sandbox.app_secret)
    platform = shops.Platform(config, SecretBox(TEST_ENCRYPTION_KEY))
    local = connect_shop(db, platform, sandbox.issue_auth_code([shop_id]), "Bench after-sales")
    sync.sync_shop(db, platform, local)  # the orders the cases belong to

    with db.session() as session:
        shop = session.get_one(Shop, local)
    with shops.client_for(db, platform, shop) as client:
        pages = list(client.iter_case_pages(updated_from=sync.EPOCH))
    report = case_sync.CaseSyncReport(local)
    started, cpu = time.perf_counter(), time.process_time()
    for page in pages:
        case_sync._store_page(db, local, report, page)  # the case sync's own per-page transaction
    store_s, store_cpu_s = time.perf_counter() - started, time.process_time() - cpu
    stored = count(db)
    if report.result.new != cases or stored != cases:
        raise RuntimeError(f"the store step stored {stored} cases ({report.result.new} new), expected {cases}")

    with db.session() as session:  # forget them: the full sync starts from nothing
        session.execute(delete(AfterSaleCase))
        session.execute(update(Shop).values(after_sales_watermark=None))
    started = time.perf_counter()
    full = case_sync.sync_cases(db, platform, local)
    sync_s = time.perf_counter() - started
    if full.result.new != cases:
        raise RuntimeError(f"the case sync stored {full.result.new} new cases, expected {cases}")
    db.dispose()
    return {
        "store_s": round(store_s, 2),
        "store_cases_per_s": round(cases / store_s),
        "store_cpu_s": round(store_cpu_s, 2),  # this process's CPU: what a busy machine's other work cannot add
        "store_cpu_cases_per_s": round(cases / store_cpu_s),
        "sync_s": round(sync_s, 2),
        "sync_cases_per_s": round(cases / sync_s),
        "reasons_fetched": full.reasons_fetched,
    }


def count(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(AfterSaleCase)) or 0)


def run(quick: bool = False, postgres: str | None = None) -> dict[str, object]:
    """Figures per database: {"sqlite": {"10000 cases": {...}}, "postgresql": {...}}."""
    cases, orders = QUICK if quick else (CASES, ORDERS)
    servers: dict[str, str | None] = {"sqlite": None}
    if server := postgres_url(postgres):
        servers["postgresql"] = server
    sandbox = TikTokShopSandbox(seed=17)
    shop = sandbox.add_shop("After-sales bench", "US", orders=orders)
    if sandbox.add_returns(shop.shop_id, cases) != cases:
        raise RuntimeError(f"the sandbox could not open {cases} requests on {orders} orders")
    tiktok = sandbox.start()
    results: dict[str, object] = {}
    try:
        for name, url_server in servers.items():
            with fresh_database(url_server) as url:
                results[name] = {f"{cases} cases": measure(url, sandbox, tiktok.url, shop.shop_id, cases)}
    finally:
        tiktok.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 cases only: a smoke check")
    parser.add_argument("--postgres", metavar="URL", help="also bench on this PostgreSQL server")
    args = parser.parse_args()
    for database, sizes in run(quick=args.quick, postgres=args.postgres).items():
        assert isinstance(sizes, dict)
        for size, figures in sizes.items():
            print(f"{database:<10} {size:>12}  " + "  ".join(f"{k} {v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
