"""Landed-cost recompute for 10,000 purchase lines: all of them, and what one change touches.

Seeds a scratch SQLite database (or DATABASE_URL) with 2,500 supplier orders of 4 lines in CNY, grouped
into 100 consolidations of 100 lines with freight, duties and fees in USD (rates on the two payment days),
then times `recompute_landed` for every line, for one consolidation whose freight changed (its lines and
their supplier orders' siblings) and for one line whose received quantity changed. Target: under 1 s for
what a change touches.
"""

from __future__ import annotations

import random
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as a plain script

from sqlalchemy import insert, select, update

from backend.db import Database
from backend.models import Consolidation, FxRate, PurchaseLine, PurchaseOrder
from backend.services.purchases import recompute_landed
from bench.fixtures import scratch_database, team_with_shop, timed

LINES = 10_000
PER_ORDER = 4
PER_SHIPMENT = 100
FREIGHT_DAY, DUTY_DAY = date(2026, 3, 6), date(2026, 3, 10)


def _seed(db: Database, lines: int) -> int:
    rng = random.Random(21)
    with db.session() as session:
        team, _shop = team_with_shop(session, "Bench", "bench", region="US", currency="USD")
        session.add_all(
            FxRate(team_id=team.id, day=day, base="USD", quote="CNY", rate=Decimal(rate), source="bench")
            for day, rate in ((FREIGHT_DAY, "7.10"), (DUTY_DAY, "7.20"))
        )
        shipments = lines // PER_SHIPMENT
        session.execute(
            insert(Consolidation),
            [
                {"id": s, "team_id": team.id, "name": f"S-{s}", "status": "shipped", "currency": "USD",
                 "freight": Decimal(rng.randint(20_000, 90_000)) / 100, "duties": Decimal(rng.randint(50, 400)),
                 "fees": Decimal(rng.randint(10, 80)), "paid_on": FREIGHT_DAY, "duties_paid_on": DUTY_DAY,
                 "typed_fields": []}
                for s in range(1, shipments + 1)
            ],
        )  # fmt: skip
        orders = lines // PER_ORDER
        session.execute(
            insert(PurchaseOrder),
            [
                {"id": o, "team_id": team.id, "platform": "1688", "supplier_order_no": str(o), "currency": "CNY",
                 "domestic_shipping": Decimal(rng.randint(0, 30)), "adjustment": Decimal(0), "typed_fields": []}
                for o in range(1, orders + 1)
            ],
        )  # fmt: skip
        session.execute(
            insert(PurchaseLine),
            [
                {"id": n, "team_id": team.id, "order_id": (n - 1) // PER_ORDER + 1, "line_no": (n - 1) % PER_ORDER + 1,
                 "seller_sku": f"SKU-{n % 300:03d}", "quantity_ordered": (q := rng.randint(5, 200)),
                 "quantity_received": q - rng.randint(0, 2), "unit_price": Decimal(rng.randint(100, 9000)) / 100,
                 "status": "consolidated", "consolidation_id": rng.randint(1, shipments),
                 "weight_kg": Decimal(rng.randint(5, 300)) / 10, "typed_fields": []}
                for n in range(1, lines + 1)
            ],
        )  # fmt: skip
        return team.id


def run(quick: bool = False) -> dict[str, object]:
    """Figures for 10,000 purchase lines (1,000 with `quick`)."""
    lines = LINES // 10 if quick else LINES
    results: dict[str, object] = {"purchase_lines": lines}
    with scratch_database(results) as db:
        team_id = _seed(db, lines)
        with db.session() as session:
            changed = timed("all_lines", results, lambda: recompute_landed(session, team_id))
            results["costed"] = len(changed)
            shipment = select(PurchaseLine.id).where(PurchaseLine.consolidation_id == 1)
            carried = list(session.scalars(shipment))
            session.execute(update(Consolidation).where(Consolidation.id == 1).values(freight=Decimal("999.99")))
            moved = timed("one_consolidation", results, lambda: recompute_landed(session, team_id, carried))
            results["one_consolidation_lines_changed"] = len(moved)
            session.execute(update(PurchaseLine).where(PurchaseLine.id == 7).values(quantity_received=1))
            one = timed("one_line", results, lambda: recompute_landed(session, team_id, [7]))
            results["one_line_lines_changed"] = len(one)
    return results


def main() -> None:
    result = run(quick="--quick" in sys.argv)
    print(
        f"landed cost, {result['purchase_lines']} purchase lines on {result['database']}: "
        f"all {result['all_lines_s']} s "
        f"({result['costed']} costed); one consolidation's freight {result['one_consolidation_s']} s "
        f"({result['one_consolidation_lines_changed']} lines changed); one line {result['one_line_s']} s "
        f"({result['one_line_lines_changed']} lines changed)"
    )


if __name__ == "__main__":
    main()
