"""FIFO costing in the ledger: 6,000 shipped orders of a team that buys through OrderDeck.

Seeds a scratch SQLite database (or DATABASE_URL) with 200 SKUs, each with an opening layer and two purchase
lines that arrived, and 6,000 orders of 1–3 units shipped over three months (a push-sized ledger batch is
5,000 orders). Times, in CPU seconds (the machine is shared), the ledger over every order in a new session (as
each push does): the first time, again with nothing changed, and after one order shipped one more unit (one
SKU's layers touched); then the FIFO book alone, kept from before or built as by a new process.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as a plain script

from sqlalchemy import insert, select

from backend.db import Database
from backend.models import (
    OpeningStock,
    Order,
    OrderLine,
    PurchaseLine,
    PurchaseOrder,
    SkuCost,
    Team,
)
from backend.services.cost_layers import fifo_books, forget_kept
from backend.services.ledger import cost_books, ledger_entries
from bench.fixtures import scratch_database, team_with_shop

ORDERS = 6_000
BATCH = 5_000
SKUS = [f"SKU-{n:03d}" for n in range(200)]
GO_LIVE = date(2026, 1, 1)


def _seed(db: Database, orders: int) -> None:
    rng = random.Random(6)
    start = datetime(2026, 1, 2, tzinfo=UTC)
    with db.session() as session:
        team, shop = team_with_shop(session, "Bench", "bench", region="US", currency="USD")
        team.time_zone = "UTC"
        session.execute(
            insert(SkuCost),
            [{"team_id": team.id, "seller_sku": sku, "unit_cost": Decimal(rng.randint(100, 900)) / 100,
              "currency": "USD", "effective_from": date(2025, 12, 1)} for sku in SKUS],
        )  # fmt: skip
        session.execute(
            insert(OpeningStock),
            [{"team_id": team.id, "seller_sku": sku, "warehouse_id": "", "quantity": 10, "as_of": GO_LIVE}
             for sku in SKUS],
        )  # fmt: skip
        session.execute(
            insert(PurchaseOrder),
            [{"id": 1, "team_id": team.id, "platform": "1688", "supplier_order_no": "1", "currency": "USD",
              "domestic_shipping": Decimal(0), "adjustment": Decimal(0), "typed_fields": []}],
        )  # fmt: skip
        session.execute(
            insert(PurchaseLine),
            [{"team_id": team.id, "order_id": 1, "line_no": n + 1, "seller_sku": SKUS[n % len(SKUS)],
              "quantity_ordered": 40, "quantity_received": 40, "unit_price": Decimal(rng.randint(100, 900)) / 100,
              "landed_unit_cost": Decimal(rng.randint(100, 900)) / 100, "status": "arrived",
              "arrived_on": GO_LIVE + timedelta(days=20 + 30 * (n // len(SKUS))), "typed_fields": []}
             for n in range(2 * len(SKUS))],
        )  # fmt: skip
        rows, lines = [], []
        for n in range(1, orders + 1):
            shipped = start + timedelta(minutes=int(90 * 24 * 60 * n / orders))
            price, units, sku = Decimal(rng.randint(500, 5000)) / 100, rng.randint(1, 3), rng.choice(SKUS)
            rows.append({"id": n, "shop_id": shop.id, "external_id": str(n), "status": "DELIVERED",
                         "platform_update_time": shipped, "platform_create_time": shipped - timedelta(hours=5),
                         "paid_at": shipped - timedelta(hours=5), "rts_at": shipped, "currency": "USD",
                         "original_total_product_price": price * units, "seller_discount": Decimal(0),
                         "shipping_fee": Decimal(0), "raw": {}})  # fmt: skip
            lines += [{"order_id": n, "external_id": f"{n}-{u}", "sku_id": sku, "seller_sku": sku, "currency": "USD",
                       "sale_price": price, "combined_listing_skus": [], "tracking_number": f"T{n}"}
                      for u in range(units)]  # fmt: skip
        session.execute(insert(Order), rows)
        session.execute(insert(OrderLine), lines)


def _ledger(db: Database) -> Callable[[], float]:
    """The ledger over every order, batch by batch, in a new session (as a push computes it)."""

    def run() -> float:
        with db.session() as session:
            orders = list(session.scalars(select(Order).order_by(Order.id)))
            started = time.process_time()  # CPU time: other processes on the machine do not count
            for at in range(0, len(orders), BATCH):
                entries = ledger_entries(session, orders[at : at + BATCH])
                assert all(e.cost_source for e in entries.values())
            return time.process_time() - started

    return run


def _fifo(db: Database) -> float:
    """The FIFO book alone (CPU seconds), in a new session."""
    with db.session() as session:
        team_id = session.scalars(select(Team.id).where(Team.name == "Bench")).one()
        typed = cost_books(session, {team_id})
        started = time.process_time()
        fifo_books(session, {team_id}, typed)
        return time.process_time() - started


def run(quick: bool = False) -> dict[str, object]:
    """Figures for 6,000 orders (600 with `quick`)."""
    orders = ORDERS // 10 if quick else ORDERS
    results: dict[str, object] = {"orders": orders}
    with scratch_database(results) as db:
        _seed(db, orders)
        ledger = _ledger(db)
        results["first_s"] = round(ledger(), 2)
        results["unchanged_s"] = round(ledger(), 2)
        results["fifo_unchanged_s"] = round(_fifo(db), 2)
        with db.session() as session:
            line = session.scalars(select(OrderLine).where(OrderLine.order_id == orders // 2)).first()
            assert line is not None
            session.add(OrderLine(order_id=line.order_id, external_id="extra", sku_id=line.sku_id,
                                  seller_sku=line.seller_sku, currency="USD", sale_price=line.sale_price,
                                  combined_listing_skus=[], tracking_number="T-extra"))  # fmt: skip
        results["fifo_one_order_changed_s"] = round(_fifo(db), 2)
        results["one_order_changed_s"] = round(ledger(), 2)
        forget_kept()
        results["fifo_cold_s"] = round(_fifo(db), 2)
    return results


FIGURES = (
    ("first_s", "ledger first"),
    ("unchanged_s", "ledger, nothing changed"),
    ("one_order_changed_s", "ledger, one order changed"),
    ("fifo_cold_s", "FIFO book built anew"),
    ("fifo_unchanged_s", "FIFO book kept, nothing changed"),
    ("fifo_one_order_changed_s", "FIFO book kept, one order changed"),
)


def main() -> None:
    result = run(quick="--quick" in sys.argv)
    figures = "; ".join(f"{name} {result[key]} s" for key, name in FIGURES)
    print(f"FIFO, {result['orders']} shipped orders on {result['database']}, CPU seconds: {figures}")


if __name__ == "__main__":
    main()
