"""Order sync at 5,000, 10,000 and 20,000 orders on SQLite and PostgreSQL, TikTok Shop and Shopee (issues 4, 15).

For each size, channel and database, one child process (so its peak RSS is that size's alone; the
TikTok Shop and Shopee sandboxes stay in this process and are reached over loopback HTTP) does, on a
fresh database:

  (a) a full first sync of a shop through the real client: wall time and orders/s, API wait included;
  (b) the store step alone for a second shop of the same size: its pages are fetched first and kept,
      then only the sync's store loop is timed (`sync.ahead` preparing each next page's values in a
      thread while `sync._store_page` stores this one: `ingest_orders` + the page's commit, exactly
      what the sync runs): ingest orders/s excluding API wait, and per second of this process's CPU
      (the figure that holds on a machine others load; the database server's own work is not in it);
  (c) the child's peak RSS once the sync is done (before the kept pages of (b) exist), and how much
      of it the sync added to the interpreter and libraries.

Targets (issue 4): ingest >= 1,000 orders/s, peak RSS < 300 MB, flat as the order count grows. The
store step is the same code whichever channel the orders came from; the channels differ in the API
walk (TikTok: 100-order pages with detail; Shopee: 15-day windows of order numbers, then detail and
tracking numbers 50 at a time).
PostgreSQL runs when DATABASE_URL (or --postgres URL) names a server; each run gets its own new
database, dropped afterwards.

    .venv/bin/python bench/bench_sync.py [--quick | --sizes 5000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import count
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as a plain script

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from backend.config import TEST_ENCRYPTION_KEY, Config, config_for_tests
from backend.db import Database
from backend.models import Order, Shop, SyncRun, utcnow
from backend.platforms.base import ConsentReturn
from backend.sandbox.shopee import ShopeeSandbox
from backend.sandbox.tiktok_shop import TikTokShopSandbox
from backend.secrets import SecretBox
from backend.services import shops, sync, teams
from bench.fixtures import in_child

SIZES = (5_000, 10_000, 20_000)
QUICK_SIZES = (200,)
CHILD_TIMEOUT = 1800  # seconds; 20,000 orders take well under a minute when healthy
_databases = count(1)


def postgres_url(explicit: str | None = None) -> str | None:
    """The PostgreSQL server to bench on: --postgres, else DATABASE_URL when it is PostgreSQL."""
    url = explicit or os.environ.get("DATABASE_URL")
    return url if url and make_url(url).get_backend_name() == "postgresql" else None


@contextmanager
def fresh_database(server: str | None) -> Iterator[str]:
    """The URL of a new, empty database: a temp SQLite file, or a new database on `server`, dropped after."""
    if server is None:
        with tempfile.TemporaryDirectory(prefix="orderdeck-bench-") as scratch:
            yield f"sqlite:///{scratch}/bench.db"
        return
    parsed = make_url(server)
    name = f"orderdeck_bench_{os.getpid()}_{next(_databases)}"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def backend_config(database_url: str, tiktok_url: str, app_key: str, app_secret: str, **overrides: Any) -> Config:
    """Backend settings pointing at a running TikTok Shop sandbox (the test encryption key)."""
    return config_for_tests(
        database_url,
        TIKTOK_APP_KEY=app_key,
        TIKTOK_APP_SECRET=app_secret,
        TIKTOK_API_BASE=tiktok_url,
        TIKTOK_AUTH_BASE=tiktok_url,
        **overrides,
    )


def connect_shop(
    db: Database, platform: shops.Platform, code: str, team: str, *, name: str = "tiktok", shop_id: str = ""
) -> int:
    """A new team with the shop the auth code authorizes connected to it (webhooks subscribed)."""
    with db.session() as session:
        team_id = teams.create_team(session, team, "bench@orderdeck.test").id
    [shop] = shops.connect(db, platform, team_id, ConsentReturn(code, shop_id), name=name)
    return shop.id


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM).

    Not getrusage's ru_maxrss: Linux carries the parent's high-water mark across fork and exec, so a
    child started by a process holding a 20,000-order sandbox would report the sandbox's size.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")


def _measure(spec: dict[str, Any]) -> dict[str, float]:
    """The child's work: (a) sync one shop, (c) read the peak RSS, (b) time the store step for another."""
    size = int(spec["orders"])
    db = Database(spec["database_url"])
    db.migrate()
    config = backend_config(
        spec["database_url"], spec["tiktok_url"], spec["app_key"], spec["app_secret"], **spec["shopee"]
    )
    platform = shops.Platform(config, SecretBox(TEST_ENCRYPTION_KEY))
    channel = spec["platform"]
    synced_shop = connect_shop(db, platform, spec["sync_code"], "Bench sync", name=channel, shop_id=spec["sync_shop"])
    before = peak_rss_mb()
    started = time.perf_counter()
    sync.sync_shop(db, platform, synced_shop)
    sync_s = time.perf_counter() - started
    peak = peak_rss_mb()
    # Shopee reads bounded windows: an order the sandbox's clock moved on during the sync waits for the
    # next one (from the watermark less its overlap), as in production. That next sync must finish it.
    first = _stored(db, synced_shop)
    if first < size:
        sync.sync_shop(db, platform, synced_shop)
    if _stored(db, synced_shop) != size:
        raise RuntimeError(f"the syncs stored {_stored(db, synced_shop)} orders, expected {size}")

    stored_shop = connect_shop(
        db, platform, spec["ingest_code"], "Bench ingest", name=channel, shop_id=spec["ingest_shop"]
    )
    with db.session() as session:
        shop = session.get(Shop, stored_shop)
        assert shop is not None
        run = SyncRun(shop_id=shop.id, kind="full", window_from=sync.EPOCH, window_to=utcnow())
        session.add(run)
        session.flush()
        ingest = sync.SyncReport(shop_id=shop.id, run_id=run.id)
    with shops.client_for(db, platform, shop) as client:
        pages = list(client.iter_order_pages(updated_from=sync.EPOCH))
    fetched = sum(len(page.orders) for page in pages)
    # Shopee lists by window: an order the sandbox's clock moves on mid-listing comes twice (stored once).
    distinct = len({o.order_id for page in pages for o in page.orders})
    gc.freeze()  # the kept pages are the bench's, not the sync's: keep them out of the cyclic GC's walks
    started, cpu_started = time.perf_counter(), time.process_time()
    # The sync's own loop (the next page prepared meanwhile) and its per-page transaction.
    for page, prepared in sync.ahead(iter(pages), db.engine.dialect):
        sync._store_page(db, stored_shop, ingest, page, prepared)
    ingest_s, ingest_cpu_s = time.perf_counter() - started, time.process_time() - cpu_started
    if ingest.result.new != distinct or _stored(db, stored_shop) != distinct or distinct < size * 0.99:
        raise RuntimeError(
            f"the store step stored {_stored(db, stored_shop)} of {distinct} fetched orders ({size} placed)"
        )
    db.dispose()
    return {
        "sync_s": round(sync_s, 2),
        "sync_orders_per_s": round(first / sync_s),
        "ingest_s": round(ingest_s, 2),
        "ingest_orders_per_s": round(fetched / ingest_s),
        "ingest_cpu_orders_per_s": round(fetched / ingest_cpu_s),
        "peak_rss_mb": round(peak),
        "sync_rss_growth_mb": round(peak - before),
    }


def _stored(db: Database, shop_id: int) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(Order).where(Order.shop_id == shop_id)) or 0)


def run(quick: bool = False, postgres: str | None = None, sizes: Sequence[int] = ()) -> dict[str, object]:
    """Figures per database, size and channel: {"sqlite": {"5000 orders": {...}, "5000 orders on Shopee": {...}}}."""
    servers: dict[str, str | None] = {"sqlite": None}
    if server := postgres_url(postgres):
        servers["postgresql"] = server
    sandbox, shopee = TikTokShopSandbox(seed=4), ShopeeSandbox(seed=4)
    tiktok, shopee_server = sandbox.start(), shopee.start()
    shopee_settings = {
        "SHOPEE_PARTNER_ID": shopee.partner_id,
        "SHOPEE_PARTNER_KEY": shopee.partner_key,
        "SHOPEE_API_BASE": shopee_server.url,
    }
    results: dict[str, dict[str, object]] = {name: {} for name in servers}
    try:
        for size in sizes or (QUICK_SIZES if quick else SIZES):
            synced = sandbox.add_shop(f"Sync {size}", "US", orders=size)
            stored = sandbox.add_shop(f"Ingest {size}", "US", orders=size)
            shopee_synced = shopee.add_shop(f"Sync {size}", "MY", orders=size)
            shopee_stored = shopee.add_shop(f"Ingest {size}", "MY", orders=size)
            for name, server in servers.items():
                base = {"orders": size, "tiktok_url": tiktok.url, "app_key": sandbox.app_key,
                        "app_secret": sandbox.app_secret, "shopee": shopee_settings}  # fmt: skip
                with fresh_database(server) as url:
                    results[name][f"{size} orders"] = in_child(__file__, {
                        **base, "database_url": url, "platform": "tiktok",
                        "sync_code": sandbox.issue_auth_code([synced.shop_id]), "sync_shop": "",
                        "ingest_code": sandbox.issue_auth_code([stored.shop_id]), "ingest_shop": "",
                    }, CHILD_TIMEOUT)  # fmt: skip
                with fresh_database(server) as url:
                    results[name][f"{size} orders on Shopee"] = in_child(__file__, {
                        **base, "database_url": url, "platform": "shopee",
                        "sync_code": shopee.authorize_shop(shopee_synced.shop_id),
                        "sync_shop": str(shopee_synced.shop_id),
                        "ingest_code": shopee.authorize_shop(shopee_stored.shop_id),
                        "ingest_shop": str(shopee_stored.shop_id),
                    }, CHILD_TIMEOUT)  # fmt: skip
    finally:
        tiktok.stop()
        shopee_server.stop()
    return dict(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 orders only: a smoke check")
    parser.add_argument("--postgres", metavar="URL", help="also bench on this PostgreSQL server")
    parser.add_argument("--sizes", help=f"orders per run instead of {SIZES}, e.g. 5000")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_measure(json.loads(args.child))))
        return
    chosen = [int(n) for n in args.sizes.split(",")] if args.sizes else ()
    for database, sizes in run(quick=args.quick, postgres=args.postgres, sizes=chosen).items():
        assert isinstance(sizes, dict)
        for size, figures in sizes.items():
            print(f"{database:<10} {size:>13}  " + "  ".join(f"{k} {v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
