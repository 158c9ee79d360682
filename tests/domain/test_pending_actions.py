"""The Pending-Action board's counts equal a hand count on a fixture of orders and cases in two shops."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backend.domain.pending_actions import (
    ABNORMAL,
    ACTIONS,
    AUTO_CANCEL_SOON,
    CANCEL_REQUESTED,
    RETURN_REQUESTED,
    SHIP_OVERDUE,
    SHIP_SOON,
    CaseFact,
    OrderFact,
    board,
)
from backend.domain.status import CaseType, SellerStep

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)


def order(shop: int, key: str, status: str, *, ship_by: float | None = None, cancel_in: float | None = None,
          on_hold: bool = False) -> OrderFact:  # fmt: skip
    return OrderFact(
        shop, key, status, on_hold,
        NOW + ship_by * H if ship_by is not None else None,
        NOW + cancel_in * H if cancel_in is not None else None,
    )  # fmt: skip


ORDERS = [
    order(1, "a1", "AWAITING_SHIPMENT", ship_by=3),  # ship within 24 h
    order(1, "a2", "AWAITING_SHIPMENT", ship_by=23.9),  # ship within 24 h
    order(1, "a3", "AWAITING_SHIPMENT", ship_by=30),  # not yet
    order(1, "a4", "PARTIALLY_SHIPPING", ship_by=-1),  # overdue
    order(1, "a5", "AWAITING_SHIPMENT", ship_by=-0.01),  # overdue
    order(1, "a6", "AWAITING_SHIPMENT", ship_by=2, on_hold=True),  # on hold: not to ship yet
    order(1, "a7", "UNPAID", cancel_in=5),  # auto-cancel within 24 h
    order(1, "a8", "UNPAID", cancel_in=48),  # not yet
    order(1, "a9", "AWAITING_COLLECTION", ship_by=-5),  # shipped: not overdue
    order(2, "b1", "AWAITING_SHIPMENT", ship_by=1, cancel_in=20),  # ship within 24 h, and auto-cancel within 24 h
    order(2, "b2", "CANCELLED", cancel_in=1),  # cancelled already
]
CASES = [
    CaseFact(1, "c1", CaseType.CANCEL, SellerStep.RESPOND),
    CaseFact(1, "c2", CaseType.CANCEL, None),  # decided
    CaseFact(1, "r1", CaseType.RETURN_AND_REFUND, SellerStep.RECEIVE_PACKAGE),
    CaseFact(1, "r2", CaseType.REFUND, SellerStep.RESPOND),
    CaseFact(2, "r3", CaseType.REPLACEMENT, SellerStep.RESPOND),
    CaseFact(2, "r4", CaseType.REFUND, None),
]
HAND_COUNT = {
    (1, SHIP_SOON): {"a1", "a2"},
    (1, AUTO_CANCEL_SOON): {"a7"},
    (1, SHIP_OVERDUE): {"a4", "a5"},
    (1, CANCEL_REQUESTED): {"c1"},
    (1, RETURN_REQUESTED): {"r1", "r2"},
    (1, ABNORMAL): set(),
    (2, SHIP_SOON): {"b1"},
    (2, AUTO_CANCEL_SOON): {"b1"},
    (2, SHIP_OVERDUE): set(),
    (2, CANCEL_REQUESTED): set(),
    (2, RETURN_REQUESTED): {"r3"},
    (2, ABNORMAL): {"pkg-9"},
}


def test_board_counts_equal_a_hand_count() -> None:
    counts = board({1: "Acme US", 2: "Acme UK"}, ORDERS, CASES, NOW, abnormal={2: ["pkg-9"]})

    assert {(c.shop_id, c.action): set(c.keys) for c in counts} == HAND_COUNT
    assert [c.action for c in counts[: len(ACTIONS)]] == list(ACTIONS)  # every action, in Seller Center's order
