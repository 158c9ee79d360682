"""Money in each currency's minor units, and totals that refuse to mix currencies."""

from __future__ import annotations

from decimal import Decimal

import pytest

from backend.domain.money import CurrencyMismatch, Totals, parse, quantize


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("10.005", "USD", "10.00"),  # half-even: a ledger does not drift upward
        ("10.015", "USD", "10.02"),
        ("1234.5", "JPY", "1234"),
        ("5000.4", "IDR", "5000"),  # TikTok sends rupiah as whole units
        ("99.995", "MYR", "100.00"),
        ("1.5", "VND", "2"),
    ],
)
def test_amounts_are_rounded_to_the_currencys_minor_units(amount: str, currency: str, expected: str) -> None:
    assert str(quantize(Decimal(amount), currency)) == expected


def test_parse_reads_sheet_text_exactly_and_refuses_what_the_currency_cannot_hold() -> None:
    assert parse(" 1,299.90 ", "USD") == Decimal("1299.90")
    assert parse("5000", "IDR") == Decimal("5000")
    with pytest.raises(ValueError, match="more decimals than JPY allows"):
        parse("100.5", "JPY")
    with pytest.raises(ValueError, match="not an amount"):
        parse("ten", "USD")
    with pytest.raises(ValueError, match="not an amount"):
        parse("Infinity", "USD")


def test_totals_keep_each_currency_apart() -> None:
    totals = Totals([("USD", Decimal("1.10")), ("gbp", Decimal("2")), ("USD", Decimal("0.20"))])
    totals += Totals([("GBP", Decimal("0.50"))])

    assert dict(totals) == {"GBP": Decimal("2.50"), "USD": Decimal("1.30")}
    with pytest.raises(CurrencyMismatch, match="not only USD"):
        totals.only("USD")
    assert Totals([("JPY", Decimal(5))]).only("JPY") == Decimal(5)


def test_totals_refuse_a_bare_number() -> None:
    with pytest.raises(CurrencyMismatch):
        _ = Totals() + Decimal(1)
