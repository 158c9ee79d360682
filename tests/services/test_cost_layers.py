"""FIFO in the ledger, from the database: an opening layer at go-live, a purchase arriving after an order
oversold, later orders costed from that purchase, and an unshipped order estimated from what is left until
nothing is: its cost is pending, never zero. Figures worked out by hand in the comments."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.models import OpeningStock, Order, Team
from backend.services import purchases
from backend.services.ledger import ledger_entries
from backend.services.stock import apply_stock_edit
from tests import factories

D = Decimal
BUYER = "buyer@seller.example"
GO_LIVE = (factories.NOW - timedelta(days=10)).date()


def noon(days_after_go_live: int) -> datetime:
    return datetime.combine(GO_LIVE + timedelta(days=days_after_go_live), time(12), UTC)


def test_orders_are_costed_first_in_first_out_with_an_opening_layer_and_an_oversold_unit(session: Session) -> None:
    team = factories.team(session, time_zone="UTC")
    factories.member(session, team, BUYER, "procurement")
    shop = factories.shop(session, team, currency="CNY", time_zone="UTC")
    factories.sku_cost(session, team, "MUG", D("10"), currency="CNY", effective_from=GO_LIVE - timedelta(days=30))

    def order(units: int, day: int, status: str) -> Order:
        at = noon(day)
        return factories.order(session, shop, skus=(("MUG", units, D("30")),), status=status, rts_at=at,
                               platform_create_time=at - timedelta(hours=2), platform_update_time=at)  # fmt: skip

    oversold = order(3, 1, "IN_TRANSIT")  # 2 on the shelf at go-live, 1 more than there was
    later = order(2, 5, "DELIVERED")
    waiting = order(6, 6, "AWAITING_SHIPMENT")
    apply_stock_edit(session, team, BUYER, {"stock_key": "MUG", "stock_on_hand": 2})
    bought = "platform,supplier_order_no,seller_sku,quantity_ordered,unit_price,currency\nother,P1,MUG,8,53.7,CNY\n"
    assert purchases.import_purchases(session, team, bought.encode(), file_name="p.csv", actor=BUYER).created == 1
    opening = session.scalars(select(OpeningStock)).one()
    assert (opening.seller_sku, opening.quantity) == ("MUG", 2)  # the count on the shelf when buying began
    opening.as_of = GO_LIVE  # as if the first purchase had been imported ten days ago
    arrived = {"po_status": "arrived", "po_arrived_on": (GO_LIVE + timedelta(days=3)).isoformat()}
    assert purchases.edit_line(session, session.get_one(Team, team.id), BUYER, "other:P1/1", arrived).refused is None
    session.flush()

    entries = ledger_entries(session, [oversold, later, waiting])

    # Oversold: 2 × 10 from the opening layer + 1 × 53.7 once the purchase arrived = 73.7
    assert entries[oversold.id].cogs == D("73.70")
    assert entries[oversold.id].cost_source == (
        f"MUG 2× opening stock {GO_LIVE.isoformat()}; MUG 1× other:P1/1, arrived after"
    )
    assert entries[later.id].cogs == D("107.40")  # 2 × 53.7
    # Not shipped: the 5 units left of the purchase (8 − 1 − 2) are estimated at 53.7; the 6th is pending.
    assert entries[waiting.id].cogs is None
    assert entries[waiting.id].missing_cost_skus == ("MUG (nothing in stock or on its way: cost pending)",)
    assert "MUG 5× est. other:P1/1" in entries[waiting.id].cost_source

    # Freight typed after the goods sold: the purchase travelled in S-1, whose freight of 16 CNY (8 units:
    # 2 more per unit) comes in later. Every order drawn from that layer is restated: 20 + 55.7, 2 × 55.7.
    team = session.get_one(Team, team.id)
    assert purchases.edit_line(session, team, BUYER, "other:P1/1", {"po_consolidation": "S-1"}).refused is None
    shipment = {"cons_weight": 3, "cons_freight": 16, "cons_currency": "CNY", "cons_paid_on": GO_LIVE.isoformat(),
                "cons_status": "arrived", "cons_arrived_on": (GO_LIVE + timedelta(days=3)).isoformat()}  # fmt: skip
    assert purchases.edit_consolidation(session, team, BUYER, "S-1", shipment).refused is None
    session.flush()
    restated = ledger_entries(session, [oversold, later])
    assert (restated[oversold.id].cogs, restated[later.id].cogs) == (D("75.70"), D("111.40"))
