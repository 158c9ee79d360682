"""Webhook-to-database latency: from a TikTok order webhook leaving the sandbox to the order row existing.

The backend runs as its own process (`flask --app backend run`: werkzeug's threaded development
server and the in-process task executor, as `make demo` runs it) on a fresh database, connected to
a TikTok Shop sandbox that lives in this process. Then:

  steady: N new orders (300; --quick 20) are placed one at a time at a steady rate (20/s); each
          announcing webhook is POSTed and its send instant recorded. Latency per order is the
          order row's `ingested_at` (set by the backend when it stores the order it re-fetched)
          minus that instant: p50, p95, max. `ack_p50_ms` is the POST's own round trip.
  burst:  M new orders (300; --quick 20) announced at once, POSTed back to back: acknowledged
          webhooks/s, and orders/s stored end to end (first POST to last row).

The events are the sandbox's own (signed, every 4th sent twice, as TikTok redelivers); this script
POSTs them over one kept-alive connection so the send instant is exact (the sandbox's
`deliver_webhooks` opens a new client per call, ~30 ms of setup that is not webhook latency).

    .venv/bin/python bench/bench_webhooks.py [--quick] [--postgres URL]
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as a plain script

import httpx
from sqlalchemy import select

from backend.config import TEST_ENCRYPTION_KEY, Config
from backend.db import Database
from backend.models import Order
from backend.platforms.tiktok.webhooks import signature
from backend.sandbox.tiktok.records import Delivery
from backend.sandbox.tiktok_shop import TikTokShopSandbox
from backend.secrets import SecretBox
from backend.services.shops import Platform
from bench.bench_sync import backend_config, connect_shop, fresh_database, postgres_url
from bench.serving import start_backend

ROOT = Path(__file__).resolve().parent.parent
STEADY, BURST, RATE = 300, 300, 20.0
QUICK_STEADY, QUICK_BURST = 20, 20
WAIT_SECONDS = 120  # for the last order of a phase to be stored


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_backend(config: Config, port: int, log: Path) -> subprocess.Popen[bytes]:
    """`flask --app backend run` with `config` as its environment; returns once /healthz answers."""
    command = [sys.executable, "-m", "flask", "--app", "backend", "run", "--port", str(port), "--no-reload"]
    return start_backend(command, config, port, log, FLASK_DEBUG="0")


class Announcer:
    """Sends the sandbox's queued webhooks itself, recording when each order's first POST left."""

    def __init__(self, sandbox: TikTokShopSandbox) -> None:
        self.sandbox = sandbox
        self.http = httpx.Client(timeout=10)
        self.sent_at: dict[str, float] = {}
        self.acks: list[float] = []
        self.posts = 0

    def place_and_announce(self, shop_id: str, count: int) -> list[str]:
        orders = [o.order_id for o in self.sandbox.add_orders(shop_id, count)]
        with self.sandbox.lock:
            batch, self.sandbox.outbox = self.sandbox.outbox, []
        for delivery, order_id in zip(batch, _order_ids(batch), strict=True):
            headers = {
                "Authorization": signature(self.sandbox.app_key, self.sandbox.app_secret, delivery.body),
                "Content-Type": "application/json",
            }
            started = time.time()
            response = self.http.post(delivery.address, content=delivery.body, headers=headers)
            self.acks.append(time.time() - started)
            response.raise_for_status()
            self.sent_at.setdefault(order_id, started)
            self.posts += 1
        return orders


def _order_ids(batch: list[Delivery]) -> list[str]:
    return [str(json.loads(d.body)["data"]["order_id"]) for d in batch]


def _stored(db: Database, order_ids: list[str]) -> dict[str, datetime]:
    """When each order was stored, once all of them are (waits up to WAIT_SECONDS)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        with db.session() as session:
            query = select(Order.external_id, Order.ingested_at).where(Order.external_id.in_(order_ids))
            rows = {external_id: at for external_id, at in session.execute(query)}
        if len(rows) == len(order_ids):
            return rows
        if time.monotonic() > deadline:
            raise RuntimeError(f"{len(order_ids) - len(rows)} of {len(order_ids)} orders never reached the database")
        time.sleep(0.05)


def _percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def _scenario(database_url: str, steady: int, burst: int) -> dict[str, object]:
    sandbox = TikTokShopSandbox(seed=5)
    tiktok = sandbox.start()
    port = _free_port()
    config = backend_config(
        database_url, tiktok.url, sandbox.app_key, sandbox.app_secret, PUBLIC_BASE_URL=f"http://127.0.0.1:{port}"
    )
    db = Database(database_url)
    db.migrate()
    with tempfile.TemporaryDirectory(prefix="orderdeck-bench-") as scratch:
        backend = _start_backend(config, port, Path(scratch) / "backend.log")
        try:
            shop = sandbox.add_shop("Webhook bench", "US")
            connect_shop(
                db, Platform(config, SecretBox(TEST_ENCRYPTION_KEY)), sandbox.issue_auth_code([shop.shop_id]), "Bench"
            )
            announcer = Announcer(sandbox)
            steady_ids: list[str] = []
            started = time.monotonic()
            for n in range(steady):
                time.sleep(max(0.0, started + n / RATE - time.monotonic()))
                steady_ids += announcer.place_and_announce(shop.shop_id, 1)
            stored = _stored(db, steady_ids)
            latencies = [
                (stored[i] - datetime.fromtimestamp(announcer.sent_at[i], UTC)).total_seconds() * 1000
                for i in steady_ids
            ]
            acks = sorted(announcer.acks)

            posts_before, burst_started = announcer.posts, time.time()
            burst_ids = announcer.place_and_announce(shop.shop_id, burst)
            acked = time.time()
            last = max(_stored(db, burst_ids).values()).timestamp()
            return {
                "steady_orders": steady,
                "steady_webhooks_per_s": RATE,
                "p50_ms": round(_percentile(latencies, 0.5), 1),
                "p95_ms": round(_percentile(latencies, 0.95), 1),
                "max_ms": round(max(latencies), 1),
                "ack_p50_ms": round(acks[len(acks) // 2] * 1000, 1),
                "burst_orders": burst,
                "burst_webhooks_per_s": round((announcer.posts - posts_before) / (acked - burst_started)),
                "burst_stored_orders_per_s": round(burst / (last - burst_started)),
            }
        finally:
            backend.terminate()
            backend.wait(timeout=30)
            tiktok.stop()
            db.dispose()


def run(quick: bool = False, postgres: str | None = None) -> dict[str, object]:
    """Figures per database: {"sqlite": {...}, "postgresql": {...}} (PostgreSQL when one is given)."""
    steady, burst = (QUICK_STEADY, QUICK_BURST) if quick else (STEADY, BURST)
    servers: dict[str, str | None] = {"sqlite": None}
    if server := postgres_url(postgres):
        servers["postgresql"] = server
    results: dict[str, object] = {}
    for name, server in servers.items():
        with fresh_database(server) as url:
            results[name] = _scenario(url, steady, burst)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_STEADY} + {QUICK_BURST} orders: a smoke check")
    parser.add_argument("--postgres", metavar="URL", help="also bench on this PostgreSQL server")
    args = parser.parse_args()
    for database, figures in run(quick=args.quick, postgres=args.postgres).items():
        assert isinstance(figures, dict)
        print(f"{database:<10}  " + "  ".join(f"{k} {v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
