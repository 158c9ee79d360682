"""Money as Decimal in each currency's minor units, and totals that never mix currencies.

TikTok sends amounts as decimal strings in major units; IDR arrives as whole rupiah even though
ISO 4217 gives it two decimals, so the table below records what the platform uses, not ISO.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache

# Currency → decimal places TikTok Shop amounts carry. Unknown currencies fall back to 2.
MINOR_UNITS: Mapping[str, int] = {
    "USD": 2,
    "GBP": 2,
    "EUR": 2,
    "MYR": 2,
    "SGD": 2,
    "THB": 2,
    "PHP": 2,
    "MXN": 2,
    "BRL": 2,
    "CAD": 2,
    "AUD": 2,
    "CNY": 2,
    "HKD": 2,
    "JPY": 0,
    "KRW": 0,
    "IDR": 0,
    "VND": 0,
}
DEFAULT_MINOR_UNITS = 2


class CurrencyMismatch(ValueError):
    """Amounts in different currencies were about to be added; there is no exchange rate here."""


def minor_units(currency: str) -> int:
    return MINOR_UNITS.get(currency.upper(), DEFAULT_MINOR_UNITS)


@cache
def exponent(currency: str) -> Decimal:
    """The quantum for `currency`: Decimal('0.01') for USD, Decimal('1') for JPY."""
    return Decimal(1).scaleb(-minor_units(currency))


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round half-even (banker's rounding, as ledgers do) to the currency's minor units."""
    return amount.quantize(exponent(currency), rounding=ROUND_HALF_EVEN)


def parse(text: str, currency: str) -> Decimal:
    """A decimal string from a payload or a sheet cell, exact, in minor units; refuses non-finite input."""
    try:
        value = Decimal(text.strip().replace(",", ""))
    except ArithmeticError:
        raise ValueError(f"{text!r} is not an amount") from None
    if not value.is_finite():
        raise ValueError(f"{text!r} is not an amount")
    if value != quantize(value, currency):
        raise ValueError(f"{text!r} has more decimals than {currency} allows ({minor_units(currency)})")
    return quantize(value, currency)


class Totals(Mapping[str, Decimal]):
    """Amounts per currency. Adding two currencies together is refused; adding totals merges per currency."""

    __slots__ = ("_amounts",)

    def __init__(self, amounts: Iterable[tuple[str, Decimal]] = ()) -> None:
        self._amounts: dict[str, Decimal] = {}
        for currency, amount in amounts:
            self.add(currency, amount)

    def add(self, currency: str, amount: Decimal) -> None:
        currency = currency.upper()
        self._amounts[currency] = self._amounts.get(currency, Decimal(0)) + amount

    def only(self, currency: str) -> Decimal:
        """The total in `currency`; refuses when another currency is present, so it cannot hide a mix."""
        others = set(self._amounts) - {currency.upper()}
        if others:
            raise CurrencyMismatch(f"totals hold {sorted(self._amounts)}, not only {currency}")
        return self._amounts.get(currency.upper(), Decimal(0))

    def __add__(self, other: object) -> Totals:
        if not isinstance(other, Totals):
            raise CurrencyMismatch(f"cannot add {type(other).__name__} to per-currency totals")
        return Totals([*self.items(), *other.items()])

    def __getitem__(self, currency: str) -> Decimal:
        return self._amounts[currency.upper()]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._amounts))

    def __len__(self) -> int:
        return len(self._amounts)

    def __repr__(self) -> str:
        return f"Totals({dict(self.items())!r})"
