"""The Pending-Action board per shop, modelled on Seller Center's order page ("Manage Orders", TikTok Shop
Seller University): what needs a person today, counted from the orders' and cases' own deadlines. Pure.

Each count keeps the row keys it counted, so a sheet or the sidebar can link to exactly those rows.
Abnormal packages (label or shipping failures) are counted from what fulfilment reports; until it
reports any, that row counts none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from backend.domain.status import CaseType, OrderStatus, SellerStep

SOON = timedelta(hours=24)
TO_SHIP = frozenset({OrderStatus.AWAITING_SHIPMENT, OrderStatus.PARTIALLY_SHIPPING})
FINANCE_PREFIX = "refund "  # the key of a refund waiting for finance starts so


@dataclass(frozen=True)
class BoardAction:
    key: str
    label: str
    rows: str  # what its keys name: orders, cases or packages


SHIP_SOON = BoardAction("ship_24h", "Ship within 24 h", "orders")
AUTO_CANCEL_SOON = BoardAction("auto_cancel_24h", "Auto-cancel within 24 h", "orders")
SHIP_OVERDUE = BoardAction("ship_overdue", "Shipping overdue", "orders")
CANCEL_REQUESTED = BoardAction("cancel_requested", "Cancellation requested", "cases")
RETURN_REQUESTED = BoardAction("return_requested", "Return/refund requested", "cases")
ABNORMAL = BoardAction("abnormal_packages", "Abnormal packages", "packages")
ACTIONS = (SHIP_SOON, AUTO_CANCEL_SOON, SHIP_OVERDUE, CANCEL_REQUESTED, RETURN_REQUESTED, ABNORMAL)


@dataclass(frozen=True)
class OrderFact:
    shop_id: int
    external_id: str
    status: str
    on_hold: bool
    ship_by: datetime | None
    auto_cancel_at: datetime | None  # the platform cancels the order by itself then (cancel_order_sla_time)


@dataclass(frozen=True)
class CaseFact:
    shop_id: int
    external_id: str
    type: CaseType
    step: SellerStep | None


@dataclass(frozen=True)
class Count:
    shop_id: int
    shop: str
    action: BoardAction
    keys: tuple[str, ...]


def _counted(action: BoardAction, order: OrderFact, now: datetime) -> bool:
    soon = now + SOON
    to_ship = order.status in TO_SHIP and not order.on_hold
    if action is SHIP_SOON:
        return to_ship and order.ship_by is not None and now < order.ship_by <= soon
    if action is SHIP_OVERDUE:
        return to_ship and order.ship_by is not None and order.ship_by <= now
    if action is AUTO_CANCEL_SOON:
        live = order.status not in (OrderStatus.CANCELLED, OrderStatus.COMPLETED, OrderStatus.DELIVERED)
        return live and order.auto_cancel_at is not None and now < order.auto_cancel_at <= soon
    return False


def _case_counted(action: BoardAction, case: CaseFact) -> bool:
    """A case waits for the seller: a cancellation counts as one, any other request as a return/refund."""
    return case.step is not None and (case.type is CaseType.CANCEL) == (action is CANCEL_REQUESTED)


def board(
    shops: Mapping[int, str],
    orders: Iterable[OrderFact],
    cases: Iterable[CaseFact],
    now: datetime,
    abnormal: Mapping[int, Sequence[str]] | None = None,
) -> list[Count]:
    """Every action for every shop (zero counts too, so the board keeps its shape), in ACTIONS order."""
    orders, cases = list(orders), list(cases)
    counts = []
    for shop_id, name in shops.items():
        mine_orders = [o for o in orders if o.shop_id == shop_id]
        mine_cases = [c for c in cases if c.shop_id == shop_id]
        for action in ACTIONS:
            if action.rows == "orders":
                keys = [o.external_id for o in mine_orders if _counted(action, o, now)]
            elif action.rows == "cases":
                keys = [c.external_id for c in mine_cases if _case_counted(action, c)]
            else:
                keys = list((abnormal or {}).get(shop_id, ()))
            counts.append(Count(shop_id, name, action, tuple(sorted(keys))))
    return counts


@dataclass(frozen=True)
class BoardRow:
    """One row of the pending_actions tab: a count (with a link to its rows) or a refund waiting for finance."""

    key: str
    shop: str
    action: str
    count: int | None = None
    link: str = ""
    case: str = ""
    order: str = ""
    refund: Decimal | None = None
    currency: str = ""
    limit: Decimal | None = None
    asked_by: str = ""
    deadline: datetime | None = None
    finance: str = ""  # what finance typed: approve | decline


def count_key(count: Count) -> str:
    return f"{count.shop} · {count.action.label}"
