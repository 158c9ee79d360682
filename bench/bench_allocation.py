"""Allocation of stock to 20,000 open order lines: the pure pass, and a whole push-time pass from the database.

Seeds one team with 8,000 awaiting-shipment orders holding 20,000 units (unit lines, as TikTok sends
them) of 400 SKUs, counted so that about a tenth of the orders come up short. Times the domain's
`allocate` on the 20,000 lines alone, then `services.stock.prepare` (load the open orders, allocate,
raise a stock-out per short order and SKU, alert low stock, review 30 days of orders) twice: the first
raises every stock-out, the second is the steady state of every later push (nothing new to raise).
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as a plain script

from sqlalchemy import delete, func, insert, select

from backend.db import Database
from backend.domain.stock import allocate
from backend.models import ExceptionCase, Order, OrderLine, Shop, StockLevel, Team
from backend.services import stock
from bench.fixtures import team_with_shop, timed

ORDERS = 8_000
LINES = 20_000
SKUS = 400
NOW = datetime.now(UTC).replace(microsecond=0)


def _seed(db: Database, orders_count: int, lines_count: int) -> int:
    rng = random.Random(7)
    with db.session() as session:
        team, shop = team_with_shop(session, "Bench stock", "bench-stock", name="Bench shop")
        orders = []
        for n in range(orders_count):
            created = NOW - timedelta(hours=rng.uniform(1, 40))
            orders.append(
                {
                    "shop_id": shop.id,
                    "external_id": f"S{n:08d}",
                    "status": "AWAITING_SHIPMENT",
                    "platform_update_time": created,
                    "platform_create_time": created,
                    "paid_at": created,
                    "rts_sla_at": NOW + timedelta(minutes=rng.uniform(1, 48 * 60)),
                    "warehouse_id": "WH1",
                    "currency": "GBP",
                    "raw": {},
                }
            )
        session.execute(insert(Order), orders)
        ids = session.scalars(select(Order.id).where(Order.shop_id == shop.id).order_by(Order.id)).all()
        owners = list(ids) + [rng.choice(ids) for _ in range(lines_count - len(ids))]  # every order has a unit
        lines = []
        for n, order_id in enumerate(owners):
            sku = f"SKU-{int(rng.paretovariate(1.2)) % SKUS:04d}"
            lines.append(
                {
                    "order_id": order_id,
                    "external_id": f"L{n:08d}",
                    "sku_id": sku,
                    "seller_sku": sku,
                    "product_name": f"Product {sku}",
                    "currency": "GBP",
                    "display_status": "AWAITING_SHIPMENT",
                    "combined_listing_skus": [],
                }
            )
        session.execute(insert(OrderLine), lines)
        demand: dict[str, int] = {}
        for line in lines:
            demand[str(line["seller_sku"])] = demand.get(str(line["seller_sku"]), 0) + 1
        session.execute(
            insert(StockLevel),
            [
                {
                    "team_id": team.id,
                    "seller_sku": sku,
                    "warehouse_id": "WH1",
                    "product_name": f"Product {sku}",
                    "platform_available": int(units * 0.92),
                    "platform_committed": 0,
                    "reorder_point": 5,
                    "source": "platform",
                    "updated_at": NOW,
                }
                for sku, units in demand.items()
            ],
        )
        return team.id


def run(quick: bool = False) -> dict[str, object]:
    """Figures for 20,000 open lines (2,000 with `quick`, the smoke check's size)."""
    orders_count, lines_count = (ORDERS // 10, LINES // 10) if quick else (ORDERS, LINES)
    results: dict[str, object] = {
        "open_lines": lines_count,
        "orders": orders_count,
        "skus": SKUS,
        "database": "DATABASE_URL" if os.environ.get("DATABASE_URL") else "sqlite",
    }
    with tempfile.TemporaryDirectory() as scratch:
        db = Database(os.environ.get("DATABASE_URL") or f"sqlite:///{scratch}/bench.db")
        db.migrate()
        team_id = _seed(db, orders_count, lines_count)
        with db.session() as session:
            shop_ids = list(session.scalars(select(Shop.id).where(Shop.team_id == team_id)))
            demands, _units = timed(
                "load_open_orders",
                results,
                lambda: stock.demands_of(stock.pass_orders(session, shop_ids, NOW).open),
            )
            counts = stock.stock_counts(session, team_id)
        allocation = timed("allocate", results, lambda: allocate(demands, counts))
        results["demand_rows"] = len(demands)
        results["short_orders"] = len(allocation.shortfalls)
        results["pick_rows"] = len(allocation.picks)
        with db.session() as session:
            timed("first_push_pass", results, lambda: stock.prepare(session, team_id, NOW))
        with db.session() as session:
            cpu = time.process_time()
            timed("steady_push_pass", results, lambda: stock.prepare(session, team_id, NOW))
            results["steady_push_pass_cpu_s"] = round(time.process_time() - cpu, 3)
            results["stock_out_cases"] = session.scalar(select(func.count()).select_from(ExceptionCase))
            session.execute(delete(Team).where(Team.id == team_id))  # leave a given DATABASE_URL clean
        db.dispose()
    return results


def main() -> None:
    r = run()
    print(
        f"Allocation of {r['open_lines']} open order lines ({r['orders']} orders, {r['skus']} SKUs) on "
        f"{r['database']}: allocate {r['allocate_s']} s ({r['short_orders']} orders short, {r['pick_rows']} SKUs "
        f"to pick); push-time pass first {r['first_push_pass_s']} s ({r['stock_out_cases']} stock-outs raised), "
        f"steady {r['steady_push_pass_s']} s ({r['steady_push_pass_cpu_s']} s of CPU)"
    )


if __name__ == "__main__":
    main()
