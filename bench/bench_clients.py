"""Client throughput against the TikTok Shop and Shopee sandboxes: orders/s and requests per 1,000 orders.

Runs each channel's real client over loopback HTTP, once clean and once with a 429/503 every 7th call
(backoff sleeps recorded, not slept, so the figure measures the client and the sandbox, not waiting).
TikTok pages 100 orders at a time with their detail; Shopee lists order numbers in 15-day windows, then
fetches detail and tracking numbers 50 at a time (get_order_detail, get_mass_tracking_number).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as a plain script

from backend.platforms.base import OrderPageResult
from backend.platforms.http import ClientStats, RetryPolicy
from backend.platforms.shopee.adapter import ShopeeShop
from backend.platforms.shopee.auth import ShopeeAuthClient, ShopRefresher
from backend.platforms.shopee.client import ShopeeClient
from backend.platforms.tiktok.client import TikTokClient
from backend.platforms.tiktok.oauth import TikTokAuthClient
from backend.platforms.tokens import RotatingTokens
from backend.sandbox.shopee import ShopeeSandbox
from backend.sandbox.tiktok.records import Faults
from backend.sandbox.tiktok_shop import TikTokShopSandbox

ORDERS = 5000
SINCE = datetime(2020, 1, 1, tzinfo=UTC)
RETRY = RetryPolicy(sleep=lambda _: None)
Walk = tuple[Iterator[OrderPageResult], ClientStats]


@contextmanager
def _tiktok(faults: Faults) -> Iterator[Walk]:
    """Every order of a 5,000-order TikTok shop, through the real client (consent exchange first)."""
    sandbox = TikTokShopSandbox(seed=42)
    shop = sandbox.add_shop("Bench US", "US", orders=ORDERS)
    running = sandbox.start()
    try:
        auth = TikTokAuthClient(sandbox.app_key, sandbox.app_secret, base_url=running.url, retry=RETRY)
        tokens = RotatingTokens(auth, auth.exchange_code(sandbox.issue_auth_code([shop.shop_id])))
        with TikTokClient(sandbox.app_key, sandbox.app_secret, tokens, base_url=running.url, retry=RETRY) as client:
            cipher = client.authorized_shops()[0].shop_ref
            sandbox.faults = faults
            yield client.iter_order_pages(cipher, updated_from=SINCE), client.stats
    finally:
        running.stop()


@contextmanager
def _shopee(faults: Faults) -> Iterator[Walk]:
    """Every order of a 5,000-order Shopee shop, through the real client (code exchange first)."""
    sandbox = ShopeeSandbox(seed=42)
    shop = sandbox.add_shop("Bench MY", "MY", orders=ORDERS)
    running = sandbox.start()
    try:
        auth = ShopeeAuthClient(sandbox.partner_id, sandbox.partner_key, base_url=running.url, retry=RETRY)
        grant = auth.exchange_code(sandbox.authorize_shop(shop.shop_id), shop_id=str(shop.shop_id))
        tokens = RotatingTokens(ShopRefresher(auth, str(shop.shop_id)), grant.tokens)
        client = ShopeeClient(sandbox.partner_id, sandbox.partner_key, tokens, shop_id=str(shop.shop_id),
                              base_url=running.url, retry=RETRY)  # fmt: skip
        with ShopeeShop(client, "MYR") as shopee:
            sandbox.faults = faults
            yield shopee.iter_order_pages(updated_from=SINCE), client.stats
    finally:
        running.stop()


def _scenario(channel: Callable[[Faults], AbstractContextManager[Walk]], fault_every: int) -> dict[str, object]:
    with channel(Faults(every=fault_every)) as (pages, stats):
        started = time.perf_counter()
        fetched = sum(len(page.orders) for page in pages)
        elapsed = time.perf_counter() - started
    return {
        "faults": f"every {fault_every}th" if fault_every else "none",
        "orders": fetched,
        "seconds": round(elapsed, 2),
        "orders_per_s": round(fetched / elapsed),
        "requests_per_1000": round(stats.requests * 1000 / fetched, 1),
        "retries": stats.retries,
    }


def run() -> dict[str, object]:
    """Both channels, clean and under faults, keyed by name, for bench/run_all.py."""
    return {
        name: {"clean": _scenario(channel, 0), "faults": _scenario(channel, 7)}
        for name, channel in (("tiktok", _tiktok), ("shopee", _shopee))
    }


def main() -> None:
    results = run()
    columns = ["faults", "orders", "seconds", "orders_per_s", "requests_per_1000", "retries"]
    for name, scenarios in results.items():
        assert isinstance(scenarios, dict)
        rows = [[str(result[c]) for c in columns] for result in scenarios.values()]
        widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(columns)]
        print(f"\n{name} client vs sandbox (loopback HTTP)")
        print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
        for row in rows:
            print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
