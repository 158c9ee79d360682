"""Procurement on hand-computed fixtures: landed unit costs of two supplier orders (one short-delivered) in
one consolidation with duty, FIFO layers with an opening layer, an oversold unit and a return, the ledger's
COGS from those layers, arriving stock on a short order and a reorder suggestion.

Every expected figure was worked out by hand (the arithmetic is in the comments), not read back."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from backend.domain.fx import FxRate, RateBook
from backend.domain.layers import PENDING, Costed, Draw, FifoBook, Layer, Portion, replay
from backend.domain.profit import Component, CostBook, UnitCost
from backend.domain.purchasing import LineFacts, OrderFacts, ShipmentFacts, landed_costs
from backend.domain.stock import Arrival, Demand, StockCount, allocate, low_stock_message, with_outlook

D = Decimal
DUE_LATER = date(2026, 12, 20)
FREIGHT_DAY, DUTY_DAY = date(2026, 3, 6), date(2026, 3, 10)
RATES = RateBook([FxRate(FREIGHT_DAY, "USD", "CNY", D("7.0")), FxRate(DUTY_DAY, "USD", "CNY", D("7.2"))])

# Supplier order A (CNY, domestic shipping 22): L1 10 mugs ordered at 15, only 8 arrived; L2 20 lids at 5.
# Supplier order B (CNY, domestic shipping 10): L3 5 kettles at 40.
# Consolidation S (USD): freight 60 and fees 6.60 paid 6 Mar (7.0), duties 42 paid 10 Mar (7.2);
# chargeable weights L1 max(8, 10) = 10 kg, L2 max(6, 4) = 6 kg, L3 5 kg (21 kg).
ORDERS = {1: OrderFacts(1, "CNY", D("22")), 2: OrderFacts(2, "CNY", D("10"))}
SHIPMENT = ShipmentFacts(9, "S-1", "USD", D("60"), D("42"), D("6.60"), FREIGHT_DAY, DUTY_DAY)
LINES = [
    LineFacts(1, 1, 10, 8, D("15"), 9, D("8"), D("10")),
    LineFacts(2, 1, 20, 20, D("5"), 9, D("6"), D("4")),
    LineFacts(3, 2, 5, None, D("40"), 9, D("5"), None),
]


def test_landed_unit_costs_match_the_hand_computation() -> None:
    found = landed_costs(LINES, ORDERS, {9: SHIPMENT}, RATES)

    # Values (received units × price): L1 8 × 15 = 120, L2 100, L3 200 (customs value 420).
    # L1: 15 + 22 × 120/220 / 8 = 1.5 + 420 CNY freight × 10/21 / 8 = 25 + 302.4 CNY duty × 120/420 / 8 = 10.8
    #     + 46.2 CNY fees / 33 units = 1.4  → 53.7 (the 2 units never delivered spread no price)
    # L2: 5 + 22 × 100/220 / 20 = 0.5 + 420 × 6/21 / 20 = 6 + 302.4 × 100/420 / 20 = 3.6 + 1.4 → 16.5
    # L3: 40 + 10 / 5 = 2 + 420 × 5/21 / 5 = 20 + 302.4 × 200/420 / 5 = 28.8 + 1.4 → 92.2
    assert {i: (f.unit_cost, f.currency) for i, f in found.items()} == {
        1: (D("53.7000"), "CNY"),
        2: (D("16.5000"), "CNY"),
        3: (D("92.2000"), "CNY"),
    }
    assert found[1].parts["duties"] == D("10.8")


def test_freight_is_shared_by_value_until_every_line_is_weighed_and_a_missing_charge_says_why() -> None:
    unweighed = [LINES[0], LINES[1], LineFacts(3, 2, 5, None, D("40"), 9)]
    by_value = landed_costs(unweighed, ORDERS, {9: SHIPMENT}, RATES)
    assert by_value[1].parts["freight"] == D("420") * 120 / 420 / 8  # 15 per unit

    waiting = landed_costs(LINES, ORDERS, {9: ShipmentFacts(9, "S-1", "USD", None)}, RATES)
    assert waiting[1].unit_cost is None
    assert waiting[1].problem == "waiting for the freight of S-1"
    no_rate = landed_costs(LINES, ORDERS, {9: SHIPMENT}, RateBook([]))
    assert no_rate[3].problem == "no CNY→USD rate on or before 2026-03-06"  # customs value in USD first


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


POOL = ("MUG", "WH1")
OPENING = Layer(POOL, at(1, 0), 2, D("10"), "CNY", "opening stock 2026-02-28")
BOUGHT = Layer(POOL, at(12, 0), 8, D("53.7"), "CNY", "1688:A/1")
COMING = Layer(POOL, at(20, 0), 10, D("20"), "CNY", "1688:C/1")


def test_fifo_draws_the_opening_layer_first_then_serves_an_oversold_unit_when_stock_arrives() -> None:
    draws = [
        Draw(101, POOL, 3, at(5), (at(4), 101)),  # 2 from the opening layer, 1 oversold until the 12th
        Draw(102, POOL, 4, at(14), (at(13), 102), returned_at=at(16)),  # 4 from the purchase, all returned
        Draw(103, POOL, 5, at(17), (at(15), 103)),  # 3 left of the purchase + 2 of the return
        Draw(104, POOL, 6, None, (at(18), 104)),  # not shipped: 2 returned left, then 4 from what is coming
        Draw(105, POOL, 9, None, (at(19), 105)),  # 6 more on their way, then 3 with nothing left: pending
    ]

    found = replay([OPENING, BOUGHT], draws, [COMING])

    assert found[0] == (
        Portion(2, D("10"), "CNY", "opening stock 2026-02-28"),
        Portion(1, D("53.7"), "CNY", "1688:A/1, arrived after"),
    )
    assert [(p.units, p.unit_cost) for p in found[2]] == [(3, D("53.7")), (2, D("53.7"))]
    assert found[2][1].source.startswith("returned from order 102")
    assert [(p.units, p.unit_cost, p.estimated) for p in found[3]] == [(2, D("53.7"), True), (4, D("20"), True)]
    assert [(p.units, p.unit_cost) for p in found[4]] == [(6, D("20")), (3, None)]
    assert found[4][1].source == f"nothing in stock or on its way: {PENDING}"


def test_the_ledger_costs_shipped_units_from_their_layers_in_the_orders_currency() -> None:
    drawn = replay([OPENING, BOUGHT], [Draw(101, POOL, 3, at(13), (at(13), 101))])
    book = FifoBook({101: Costed({"MUG": drawn[0]})}, {"MUG": (date(2026, 3, 1), date(2026, 3, 12))})
    rates = RateBook([FxRate(date(2026, 3, 13), "CNY", "USD", D("0.14"))])
    typed = CostBook([UnitCost("MUG", D("4"), "USD", date(2026, 1, 1))])

    cogs = book.cogs(101, [Component("MUG", 3)], on=date(2026, 3, 13), currency="USD", typed=typed, rates=rates)

    # (2 × 10 + 1 × 53.7) CNY = 73.7 CNY × 0.14 = 10.318 USD; the typed 4 USD (older than the arrivals) is not used
    assert cogs.amount == D("10.318")
    assert cogs.sources == ("MUG 2× opening stock 2026-02-28", "MUG 1× 1688:A/1")
    oversold = replay([OPENING], [Draw(101, POOL, 3, at(13), (at(13), 101))])
    pending = FifoBook({101: Costed({"MUG": oversold[0]})}, {}).cogs(
        101, [Component("MUG", 3)], on=date(2026, 3, 13), currency="CNY", typed=CostBook(())
    )
    assert pending.amount == D("20")  # the 2 opening units; the oversold one is pending, never zero
    assert pending.missing_skus == (f"MUG (oversold: {PENDING})",)

    retyped = CostBook([UnitCost("MUG", D("5"), "USD", date(2026, 3, 13))])  # typed after the last arrival
    override = book.cogs(101, [Component("MUG", 3)], on=date(2026, 3, 13), currency="USD", typed=retyped, rates=rates)
    assert (override.amount, override.sources) == (D("15"), ("MUG 3× typed 2026-03-13",))


def test_a_short_order_says_when_stock_arrives_and_the_reorder_suggestion_matches_the_hand_computation() -> None:
    demands = [Demand(1, "A1", "MUG", 5, None, "WH1"), Demand(2, "A2", "MUG", 4, None, "WH1")]
    counts = [StockCount("MUG", "WH1", platform_quantity=6, reorder_point=10, lead_time_days=12)]
    allocation = allocate(demands, counts)
    assert allocation.short_label(2) == "short: 3 × MUG"

    arriving = [Arrival("MUG", "WH1", 12, date(2026, 12, 14)), Arrival("MUG", "WH1", 5, date(2026, 12, 20))]
    outlook = with_outlook(allocation, arriving, sold={("MUG", "WH1"): (14, 30)})

    assert outlook.short_label(2) == "short now: 3 × MUG, 12 arriving 14 Dec"
    assert outlook.restock_date(2, "MUG") == date(2026, 12, 14)
    (position,) = outlook.positions
    assert (position.arriving, position.next_arrival_label) == (17, "12 on 14 Dec")
    # per day = max(14 / 7, 30 / 30) = 2; left after orders 6 − 5 = 1 (order 2 is short), + 17 arriving = 18;
    # cover 18 / 2 = 9.0 days; suggested = 2 × 12 days + reorder point 10 − 18 = 16
    plan = position.reorder
    assert plan is not None
    assert (plan.per_day, plan.cover_days, plan.suggested) == (D("2.00"), D("9.0"), 16)
    # The suggestion replaces the reorder point's alert: the SKU is low because 16 should be ordered, and says so.
    assert outlook.low_stock == (position,)
    alert = str(low_stock_message("Acme", "2026-12-07", outlook.low_stock))
    assert "order 16 (sells 2.00/day, 9.0 days of cover, lead time 12 days)" in alert
    calm = with_outlook(allocation, [Arrival("MUG", "WH1", 40, DUE_LATER)], sold={("MUG", "WH1"): (14, 30)})
    assert calm.low_stock == ()  # 1 left + 40 arriving covers 12 days at 2 a day and the reorder point of 10
