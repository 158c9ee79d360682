"""Tracking calls per in-transit order per day: the tracking service polls a TikTok sandbox shop whose parcels
move on the sandbox clock, every 10 minutes of simulated time for three days (one in quick mode).

Counts the tracking calls TikTok answered, per order, over the days each order was on its way (shipped,
not yet delivered), and reports the mean and the maximum. Target: at most 6 a day, fewer once quiet.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as a plain script

from backend.config import TEST_ENCRYPTION_KEY, config_for_tests
from backend.db import Database
from backend.platforms.base import ConsentReturn
from backend.platforms.fulfilment import Handover, HandoverMethod
from backend.platforms.tiktok.adapter import TikTokShop
from backend.platforms.tiktok.client import TikTokClient
from backend.platforms.tiktok.oauth import TikTokAuthClient
from backend.platforms.tokens import RotatingTokens
from backend.sandbox.tiktok.world import DAY
from backend.sandbox.tiktok_shop import TikTokShopSandbox
from backend.secrets import SecretBox
from backend.services import shops, sync, teams, tracking
from backend.services.shops import Platform

ORDERS = 60
STEP = 600  # the worker's sweep, every 10 minutes


def _ship_all(sandbox: TikTokShopSandbox, url: str, shop_id: str, cipher: str, count: int) -> None:
    auth = TikTokAuthClient(sandbox.app_key, sandbox.app_secret, base_url=url)
    tokens = RotatingTokens(auth, auth.exchange_code(sandbox.issue_auth_code([shop_id])))
    with TikTokClient(sandbox.app_key, sandbox.app_secret, tokens, base_url=url) as client:
        orders = sandbox.add_ready_orders(shop_id, count)
        TikTokShop(client, cipher).ship_packages(
            [(o.package_ids()[0], Handover(HandoverMethod.DROP_OFF)) for o in orders]
        )
    auth.close()


def run(quick: bool = False) -> dict[str, object]:
    logging.getLogger("backend").setLevel(logging.ERROR)
    days = 1 if quick else 3
    sandbox = TikTokShopSandbox(seed=3)
    shop = sandbox.add_shop("Bench US", "US", orders=0)
    server = sandbox.start()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            url = os.environ.get("DATABASE_URL") or f"sqlite:///{scratch}/bench.db"
            config = config_for_tests(
                url,
                TIKTOK_APP_KEY=sandbox.app_key,
                TIKTOK_APP_SECRET=sandbox.app_secret,
                TIKTOK_API_BASE=server.url,
                TIKTOK_AUTH_BASE=server.url,
            )
            db = Database(url)
            db.migrate()
            platform = Platform(config, SecretBox(TEST_ENCRYPTION_KEY))
            with db.session() as session:
                team_id = teams.create_team(session, "Bench", "bench@example.test").id
            _ship_all(sandbox, server.url, shop.shop_id, shop.cipher, ORDERS)
            [connected] = shops.connect(
                db, platform, team_id, ConsentReturn(sandbox.issue_auth_code([shop.shop_id])), name="tiktok"
            )
            sync.sync_shop(db, platform, connected.id)
            sandbox.log.clear()
            start = sandbox.now()
            on_way: Counter[str] = Counter()  # order id → seconds on its way within the window
            for _ in range(days * DAY // STEP):
                now = sandbox.now()
                for order in shop.orders.values():
                    if order.status_at(now) in ("AWAITING_COLLECTION", "IN_TRANSIT"):
                        on_way[order.order_id] += STEP
                tracking.poll_shop(db, platform, connected.id, datetime.fromtimestamp(now, UTC))
                sandbox.advance(STEP)
            answered = [r for r in sandbox.log if r.path.endswith("/tracking") and r.code == 0]
            db.dispose()
    finally:
        server.stop()
    # Calls per order and day of the window (the signed request's timestamp says when TikTok saw it).
    by_day = Counter((r.path.split("/")[4], (int(r.query["timestamp"]) - start) // DAY) for r in answered)
    transit_days = sum(on_way.values()) / DAY
    return {
        "orders": ORDERS,
        "days": days,
        "tracking_calls": len(answered),
        "calls_per_order_per_day_mean": round(len(answered) / transit_days, 2) if transit_days else 0,
        "calls_per_order_per_day_max": max(by_day.values(), default=0),
        "orders_delivered": sum(1 for o in shop.orders.values() if o.status_at(sandbox.now()) == "DELIVERED"),
    }


def main() -> None:
    r = run()
    print(
        f"Tracking {r['orders']} shipped orders for {r['days']} days: {r['tracking_calls']} calls; per in-transit "
        f"order per day: mean {r['calls_per_order_per_day_mean']}, max {r['calls_per_order_per_day_max']} "
        f"(target at most 6); {r['orders_delivered']} delivered, no longer polled"
    )


if __name__ == "__main__":
    main()
