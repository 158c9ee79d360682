"""Net profit per order: pools, COGS on the order date, missing costs flagged, never zero."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from backend.domain.fx import FxRate, RateBook
from backend.domain.profit import POOLS, Cogs, Component, CostBook, UnitCost, ledger_entry

BOOK = CostBook(
    [
        UnitCost("MUG", Decimal("2.00"), "USD", date(2026, 1, 1)),
        UnitCost("MUG", Decimal("2.50"), "USD", date(2026, 3, 1)),
        UnitCost("LID", Decimal("0.40"), "USD", date(2026, 1, 1)),
        UnitCost("TEA", Decimal("300"), "JPY", date(2026, 1, 1)),
    ]
)


def test_the_cost_on_the_order_date_applies() -> None:
    assert BOOK.cogs([Component("MUG", 2)], date(2026, 2, 28), "USD") == Cogs(Decimal("4.00"))
    assert BOOK.cogs([Component("MUG", 2)], date(2026, 3, 1), "USD") == Cogs(Decimal("5.00"))


def test_a_bundle_costs_its_components() -> None:
    assert BOOK.cogs([Component("MUG", 1), Component("LID", 3)], date(2026, 4, 1), "USD").amount == Decimal("3.70")


def test_a_cost_missing_before_its_first_date_or_without_a_rate_is_flagged() -> None:
    assert BOOK.cogs([Component("MUG", 1)], date(2025, 12, 31), "USD").missing_skus == ("MUG",)
    no_rate = BOOK.cogs([Component("TEA", 1), Component("LID", 1)], date(2026, 5, 1), "USD")
    assert no_rate.missing_skus == () and no_rate.missing_rates == ("JPY→USD",) and not no_rate.known


def test_a_cost_in_another_currency_converts_at_the_rate_of_the_paid_date() -> None:
    rates = RateBook([FxRate(date(2026, 4, 30), "JPY", "USD", Decimal("0.0065")),
                      FxRate(date(2026, 5, 4), "JPY", "USD", Decimal("0.0070"))])  # fmt: skip
    cogs = BOOK.cogs([Component("TEA", 2), Component("LID", 1)], date(2026, 5, 1), "USD", rates, date(2026, 5, 3))

    assert cogs.amount == Decimal("300") * 2 * Decimal("0.0065") + Decimal("0.40") == Decimal("4.3")
    assert [c.label for c in cogs.conversions] == ["JPY→USD 0.0065 on 2026-04-30"]


def test_entry_reconciles_and_has_every_pool() -> None:
    entry = ledger_entry(
        currency="USD",
        revenue=Decimal("90.00"),
        pooled={"platform": Decimal("5.40"), "payment": Decimal("2.61"), "logistics": Decimal("0.30")},
        cogs=Cogs(Decimal("30.00")),
        basis="settled",
        estimated_net_profit=Decimal("50.00"),
    )

    assert list(entry.pools) == list(POOLS)
    assert entry.fees_total == Decimal("8.31") == sum(entry.pools.values())
    assert entry.net_profit == Decimal("51.69") == entry.revenue - entry.fees_total - Decimal("30.00")
    assert entry.settlement_amount == Decimal("81.69")
    assert entry.margin == Decimal("0.5743")
    assert entry.estimate_change == Decimal("1.69")


def test_a_missing_cost_leaves_net_and_margin_empty_not_zero() -> None:
    entry = ledger_entry(
        currency="JPY", revenue=Decimal(1000), pooled={}, cogs=Cogs(Decimal(300), ("TEA", "TEA")), basis="estimated"
    )
    assert entry.cogs is None and entry.net_profit is None and entry.margin is None
    assert entry.missing_cost_skus == ("TEA",)
    assert entry.pools["other"] == Decimal(0)


def test_an_unknown_pool_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown fee pool"):
        ledger_entry(
            currency="USD", revenue=Decimal(1), pooled={"ads": Decimal(1)}, cogs=Cogs(Decimal(0)), basis="settled"
        )
