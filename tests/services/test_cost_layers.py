"""FIFO in the ledger, from the database: an opening layer at go-live, a purchase arriving after an order
oversold, later orders costed from that purchase, and an unshipped order estimated from what is left until
nothing is: its cost is pending, never zero. Figures worked out by hand in the comments."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.domain.status import CaseStatus, CaseType
from backend.models import AfterSaleCase, CaseEvent, OpeningStock, Order, Team
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
    # A change to a line alone (its tracking number came: it shipped) is read by the next calculation.
    for line in waiting.lines:
        line.tracking_number = "TRACK-1"
    session.flush()
    shipped = ledger_entries(session, [waiting])[waiting.id].cost_source
    assert shipped == "MUG 5× other:P1/1; MUG 1× oversold: cost pending"

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


def returned(session: Session, order: Order, units: int, case_type: CaseType, day: int) -> None:
    """A granted after-sales case on `order` for `units` MUGs, granted at noon of `day`."""
    at = noon(day)
    case = AfterSaleCase(
        shop_id=order.shop_id, order_id=order.id, order_external_id=order.external_id, kind="return",
        external_id=f"R{order.id}", type=case_type, status=CaseStatus.COMPLETED,
        platform_status="RETURN_OR_REFUND_REQUEST_COMPLETE", platform_create_time=at - timedelta(days=2),
        platform_update_time=at + timedelta(days=1), raw={}, refund_total=D("30") * units,
        items=[{"line_id": f"L{n}", "seller_sku": "MUG", "refund": "30"} for n in range(units)],
    )  # fmt: skip
    case.events.append(CaseEvent(from_status=CaseStatus.BUYER_SHIPPED, to_status=CaseStatus.COMPLETED, occurred_at=at))
    session.add(case)


def test_a_return_back_on_the_shelf_is_a_layer_at_the_cost_it_left_with_a_refund_alone_is_not(
    session: Session,
) -> None:
    team = factories.team(session, time_zone="UTC")
    factories.member(session, team, BUYER, "procurement")
    shop = factories.shop(session, team, currency="CNY", time_zone="UTC")
    factories.sku_cost(session, team, "MUG", D("10"), currency="CNY", effective_from=GO_LIVE - timedelta(days=30))

    def order(units: int, day: int, status: str = "DELIVERED") -> Order:
        at = noon(day)
        return factories.order(session, shop, skus=(("MUG", units, D("30")),), status=status, rts_at=at,
                               platform_create_time=at - timedelta(hours=2), platform_update_time=at,
                               warehouse_id="WH-1")  # fmt: skip

    sent_back = order(2, 1)  # 2 × 10 from the opening layer of 3
    kept = order(1, 2)  # the last opening unit: 10
    emptied = order(4, 3)  # all 4 of the purchase, arrived on day 3: 4 × 20
    after = order(1, 5)  # the one unit back on the shelf: 10, the cost it left with (not 20, not pending)
    waiting = order(1, 6, "AWAITING_SHIPMENT")  # nothing left: the refund without a return put nothing back
    apply_stock_edit(session, team, BUYER, {"stock_key": "MUG", "stock_on_hand": 3})
    bought = "platform,supplier_order_no,seller_sku,quantity_ordered,unit_price,currency\nother,P1,MUG,4,20,CNY\n"
    assert purchases.import_purchases(session, team, bought.encode(), file_name="p.csv", actor=BUYER).created == 1
    opening = session.scalars(select(OpeningStock)).one()
    # The shelf is in WH-1; the purchase names no receiving warehouse, so it lands on that one shelf.
    opening.as_of, opening.warehouse_id = GO_LIVE, "WH-1"
    arrived = {"po_status": "arrived", "po_arrived_on": (GO_LIVE + timedelta(days=3)).isoformat()}
    assert purchases.edit_line(session, session.get_one(Team, team.id), BUYER, "other:P1/1", arrived).refused is None
    returned(session, sent_back, 1, CaseType.RETURN_AND_REFUND, day=4)  # the parcel came back on day 4
    returned(session, kept, 1, CaseType.REFUND, day=4)  # refund only: the buyer keeps the mug
    session.flush()

    entries = ledger_entries(session, [sent_back, kept, emptied, after, waiting])

    first = f"opening stock {GO_LIVE.isoformat()}"
    assert entries[sent_back.id].cogs == D("10.00")  # the unit it kept; the one back on the shelf costs it nothing
    assert entries[sent_back.id].cost_source == f"MUG 1× returned to stock; MUG 1× {first}"
    assert entries[kept.id].cogs == D("10.00")
    assert entries[emptied.id].cogs == D("80.00")
    assert entries[after.id].cogs == D("10.00")
    assert entries[after.id].cost_source == f"MUG 1× returned from order {sent_back.id} ({first})"
    assert entries[waiting.id].cogs is None
    assert entries[waiting.id].missing_cost_skus == ("MUG (nothing in stock or on its way: cost pending)",)
