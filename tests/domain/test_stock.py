"""Allocation against a hand-computed fixture: who gets the stock, who is short, what to pick."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from backend.domain.stock import (
    Demand,
    PackUnit,
    StockCount,
    allocate,
    is_pickable_line,
    low_stock_message,
    pack_rows,
)

T = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def demand(order_id: int, sku: str, quantity: int, ship_by: datetime | None) -> Demand:
    return Demand(order_id, f"57{order_id:04d}", sku, quantity, ship_by, "WH1", f"Product {sku}")


# Ship-by order: o3 (08:30), o1 (09:00, id 1), o2 (09:00, id 2: the tie goes to the lower id), o5 (10:00), o4 (none).
DEMANDS = [
    demand(1, "A", 2, T + timedelta(hours=1)),
    demand(1, "B", 1, T + timedelta(hours=1)),
    demand(2, "A", 3, T + timedelta(hours=1)),
    demand(3, "B", 2, T + timedelta(minutes=30)),
    demand(3, "C", 4, T + timedelta(minutes=30)),
    demand(4, "A", 1, None),
    demand(5, "A", 1, T + timedelta(hours=2)),
]
COUNTS = [
    StockCount("A", "WH1", platform_quantity=9, sheet_quantity=5, reorder_point=3, location="R1-04"),
    StockCount("B", "WH1", platform_quantity=2, reorder_point=1, location="R2-01"),
]


def test_earliest_deadline_claims_first_whole_orders_only_and_the_sheet_count_wins() -> None:
    # By hand: A has 5 (the sheet's 5, not TikTok's 9), B has 2, C was never counted (not limited).
    # o3 takes B×2 and C×4 → B 0. o1 needs B×1: none left, so it claims nothing and is short 1 × B.
    # o2 takes A×3 → A 2; o5 takes A×1 → A 1; o4 (no deadline, last) takes A×1 → A 0.
    result = allocate(DEMANDS, COUNTS)

    assert {oid: [(s.seller_sku, s.units) for s in shorts] for oid, shorts in result.shortfalls.items()} == {
        1: [("B", 1)]
    }
    assert result.short_label(1) == "short: 1 × B"
    assert result.short_label(2) == ""
    assert result.filled == {2, 3, 4, 5}
    picks = {p.seller_sku: (p.quantity, p.orders, p.earliest_ship_by, p.location, p.short_units) for p in result.picks}
    assert picks == {
        "A": (5, 3, T + timedelta(hours=1), "R1-04", 0),
        "B": (2, 1, T + timedelta(minutes=30), "R2-01", 1),
        "C": (4, 1, T + timedelta(minutes=30), "", 0),
    }
    positions = {p.count.label: (p.allocated, p.remaining, p.short_units, p.state) for p in result.positions}
    assert positions == {
        "A @ WH1": (5, 0, 0, "low"),
        "B @ WH1": (2, 0, 1, "out"),
        "C @ WH1": (4, None, 0, "not counted"),
    }
    assert [p.count.seller_sku for p in result.low_stock] == ["A", "B"]


def test_the_result_does_not_depend_on_the_order_rows_arrive_in() -> None:
    expected = allocate(DEMANDS, COUNTS)
    for seed in range(5):
        shuffled = DEMANDS[:]
        random.Random(seed).shuffle(shuffled)
        assert allocate(shuffled, list(reversed(COUNTS))) == expected


def test_changing_a_count_reallocates() -> None:
    more_b = [COUNTS[0], StockCount("B", "WH1", platform_quantity=2, sheet_quantity=3, reorder_point=1)]
    # o1 now gets its B and takes A×2 before o2's A×3: A runs out for the two latest orders instead.
    result = allocate(DEMANDS, more_b)
    assert {oid: result.short_label(oid) for oid in result.shortfalls} == {4: "short: 1 × A", 5: "short: 1 × A"}
    cleared = [StockCount("A", "WH1", platform_quantity=9, reorder_point=3), COUNTS[1]]
    # Without the sheet's count TikTok's 9 applies: A is no longer low (9 − 5 = 4 ≥ 3).
    assert [p.count.seller_sku for p in allocate(DEMANDS, cleared).low_stock] == ["B"]


def test_an_order_without_a_warehouse_draws_from_the_skus_only_warehouse() -> None:
    orphan = Demand(9, "579", "A", 6, T, "", "")
    result = allocate([orphan], COUNTS)
    assert result.short_label(9) == "short: 1 × A"


def test_only_unshipped_units_of_orders_that_may_be_picked_are_pickable() -> None:
    assert is_pickable_line("AWAITING_SHIPMENT", False, "AWAITING_SHIPMENT", None)
    assert is_pickable_line("PARTIALLY_SHIPPING", False, "AWAITING_SHIPMENT", None)
    assert not is_pickable_line("PARTIALLY_SHIPPING", False, "AWAITING_COLLECTION", "RM123")
    assert not is_pickable_line("ON_HOLD", True, "AWAITING_SHIPMENT", None)
    assert not is_pickable_line("AWAITING_SHIPMENT", True, "AWAITING_SHIPMENT", None)
    assert not is_pickable_line("AWAITING_SHIPMENT", False, "CANCELLED", None)
    assert not is_pickable_line("CANCELLED", False, "CANCELLED", None)


def test_a_combined_package_is_one_row_with_both_orders_and_an_unpacked_order_its_own() -> None:
    units = [
        PackUnit("P1", 1, "5701", "A", 2, T + timedelta(hours=1), "USPS"),
        PackUnit("P1", 2, "5702", "B", 1, T + timedelta(minutes=30), ""),
        PackUnit("", 3, "5703", "A", 1, None, ""),
    ]
    result = allocate([Demand(3, "5703", "A", 1, None, "WH1")], [StockCount("A", "WH1", 0)])
    rows = {r.key: r for r in pack_rows(units, result)}
    assert rows["P1"].orders == ("5701", "5702")
    assert rows["P1"].lines == "A × 2, B × 1"
    assert rows["P1"].carrier == "USPS"
    assert rows["P1"].ship_by == T + timedelta(minutes=30)
    assert rows["order 5703"].short == "short: 1 × A"


def test_the_low_stock_message_names_each_sku_and_what_is_left() -> None:
    low = allocate(DEMANDS, COUNTS).low_stock
    body = low_stock_message("Acme", "2026-11-24", low)
    text = body["embeds"][0]["description"]
    assert "A @ WH1: 0 left after open orders (reorder at 3)" in text
    assert "B @ WH1: 0 left after open orders (reorder at 1), 1 short" in text
