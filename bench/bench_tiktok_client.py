"""Client throughput against the TikTok Shop sandbox: orders/s and requests per 1,000 orders.

Runs the real client over loopback HTTP, once clean and once with a 429/503 every 7th call
(backoff sleeps recorded, not slept, so the figure measures the client and the sandbox, not waiting).
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as a plain script

from backend.platforms.http import RetryPolicy
from backend.platforms.tiktok.client import TikTokClient
from backend.platforms.tiktok.oauth import TikTokAuthClient
from backend.platforms.tokens import RotatingTokens
from backend.sandbox.tiktok_shop import TikTokShopSandbox

ORDERS = 5000


def _scenario(fault_every: int) -> dict[str, object]:
    sandbox = TikTokShopSandbox(seed=42)
    shop = sandbox.add_shop("Bench US", "US", orders=ORDERS)
    running = sandbox.start()
    try:
        retry = RetryPolicy(sleep=lambda _: None)
        auth = TikTokAuthClient(sandbox.app_key, sandbox.app_secret, base_url=running.url, retry=retry)
        tokens = RotatingTokens(auth, auth.exchange_code(sandbox.issue_auth_code([shop.shop_id])))
        with TikTokClient(sandbox.app_key, sandbox.app_secret, tokens, base_url=running.url, retry=retry) as client:
            cipher = client.authorized_shops()[0].shop_ref
            sandbox.faults.every = fault_every
            started = time.perf_counter()
            pages = client.iter_order_pages(cipher, updated_from=datetime(2020, 1, 1, tzinfo=UTC))
            fetched = sum(len(page.orders) for page in pages)
            elapsed = time.perf_counter() - started
            stats = client.stats
        return {
            "faults": f"every {fault_every}th" if fault_every else "none",
            "orders": fetched,
            "seconds": round(elapsed, 2),
            "orders_per_s": round(fetched / elapsed),
            "requests_per_1000": round(stats.requests * 1000 / fetched, 1),
            "retries": stats.retries,
        }
    finally:
        running.stop()


def run() -> dict[str, object]:
    """Both scenarios, keyed by name, for bench/run_all.py."""
    return {"clean": _scenario(0), "faults": _scenario(7)}


def main() -> None:
    results = run()
    columns = ["faults", "orders", "seconds", "orders_per_s", "requests_per_1000", "retries"]
    rows = [[str(result[c]) for c in columns] for result in results.values() if isinstance(result, dict)]
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(columns)]
    print("TikTok client vs sandbox (page_size 100, loopback HTTP)")
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    for row in rows:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
