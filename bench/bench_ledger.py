"""Time to recompute the profit ledger for 50,000 orders (the work behind a full finance-sheet push).

Builds a scratch SQLite database (or DATABASE_URL) with 50,000 orders of 1–3 lines, half of them
settled with five fee lines each and the rest estimated from fee rules, and a cost history per SKU;
then times `ledger_entries` over all of them in push-sized batches of 5,000.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as a plain script

from sqlalchemy import delete, insert, select

from backend.db import Database
from backend.models import FeeLine, Order, OrderLine, Shop, SkuCost, Team
from backend.services.ledger import ledger_entries
from bench.fixtures import team_with_shop

ORDERS = 50_000
BATCH = 5_000
SKUS = [f"SKU-{n:03d}" for n in range(200)]
SETTLED_LINES = (
    ("subtotal_before_discount_amount", "revenue", "revenue"),
    ("platform_commission_amount", "fee", "platform"),
    ("transaction_fee_amount", "fee", "payment"),
    ("affiliate_commission_amount", "fee", "marketing"),
    ("actual_shipping_fee_amount", "shipping", "logistics"),
)


def _seed(db: Database) -> None:
    rng = random.Random(7)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with db.session() as session:
        team, shop = team_with_shop(session, "Bench", "bench", region="US", currency="USD")
        session.execute(
            insert(SkuCost),
            [
                {
                    "team_id": team.id,
                    "seller_sku": sku,
                    "unit_cost": Decimal(rng.randint(100, 900)) / 100,
                    "currency": "USD",
                    "effective_from": date(2025, 12, 1) + timedelta(days=30 * k),
                }
                for sku in SKUS
                for k in range(3)
            ],
        )
        orders, lines, fees = [], [], []
        for n in range(1, ORDERS + 1):
            created = start + timedelta(minutes=4 * n)
            price = Decimal(rng.randint(500, 5000)) / 100
            units = rng.randint(1, 3)
            orders.append(
                {
                    "id": n,
                    "shop_id": shop.id,
                    "external_id": str(n),
                    "status": "COMPLETED",
                    "platform_update_time": created,
                    "platform_create_time": created,
                    "currency": "USD",
                    "original_total_product_price": price * units,
                    "seller_discount": Decimal(0),
                    "shipping_fee": Decimal(0),
                    "raw": {},
                }
            )
            sku = rng.choice(SKUS)
            lines += [
                {
                    "order_id": n,
                    "external_id": f"{n}-{u}",
                    "sku_id": sku,
                    "seller_sku": sku,
                    "currency": "USD",
                    "sale_price": price,
                    "combined_listing_skus": [],
                }
                for u in range(units)
            ]
            if n % 2:
                for kind, category, pool in SETTLED_LINES:
                    amount = (
                        price * units
                        if pool == "revenue"
                        else (price * units * Decimal("0.05")).quantize(Decimal("0.01"))
                    )
                    fees.append(
                        {
                            "order_id": n,
                            "kind": kind,
                            "category": category,
                            "pool": pool,
                            "amount": amount,
                            "currency": "USD",
                            "basis": "settled",
                            "statement_id": "S",
                            "settled_at": created,
                        }
                    )
        session.execute(insert(Order), orders)
        session.execute(insert(OrderLine), lines)
        session.execute(insert(FeeLine), fees)


def run() -> dict[str, object]:
    with tempfile.TemporaryDirectory() as scratch:
        db = Database(os.environ.get("DATABASE_URL") or f"sqlite:///{scratch}/bench.db")
        db.migrate()
        _seed(db)
        with db.session() as session:
            orders = list(session.scalars(select(Order).order_by(Order.id)))
            started = time.perf_counter()
            entries = {}
            for at in range(0, len(orders), BATCH):
                entries.update(ledger_entries(session, orders[at : at + BATCH]))
            elapsed = time.perf_counter() - started
            bench_shops = select(Shop.id).where(Shop.external_id == "bench")
            session.execute(delete(Order).where(Order.shop_id.in_(bench_shops)))  # leave a given DATABASE_URL clean
            session.execute(delete(Team).where(Team.name == "Bench"))
        db.dispose()
    settled = sum(e.basis == "settled" for e in entries.values())
    return {
        "orders": len(entries),
        "settled": settled,
        "seconds": round(elapsed, 2),
        "orders_per_s": round(len(entries) / elapsed),
        "database": "DATABASE_URL" if os.environ.get("DATABASE_URL") else "sqlite",
    }


def main() -> None:
    result = run()
    print(
        f"ledger recompute: {result['orders']} orders ({result['settled']} settled) in {result['seconds']} s "
        f"= {result['orders_per_s']} orders/s on {result['database']}"
    )


if __name__ == "__main__":
    main()
