"""Exchange rates as data: which rate converts one currency into another on a given day.

A rate says that 1 unit of `base` is worth `rate` units of `quote` on `day`. The rate for a day is
the newest one on or before it, so a weekend or a bank holiday takes the last working day's rate.
A pair may be answered by its own rate, by the inverse of the opposite pair, or crossed through a
pivot currency both sides have a rate against (EUR, as the ECB publishes them). A derived rate is
rounded half-even to RATE_DIGITS significant digits, and that rounded rate is the one used and
shown, so anyone can redo the sum from the sheet. No rate, no conversion: the caller flags it.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Context, Decimal

RATE_DIGITS = 10  # significant digits a derived (inverse or crossed) rate keeps
RATE_PLACES = 12  # decimal places a stored rate may have (the column keeps 12)
PIVOT = "EUR"
CURRENCY = re.compile(r"^[A-Z]{3}$")
_DERIVED = Context(prec=RATE_DIGITS, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class FxRate:
    day: date
    base: str
    quote: str
    rate: Decimal


@dataclass(frozen=True)
class Conversion:
    """The rate that turns `base` amounts into `quote` amounts, and where it came from."""

    base: str
    quote: str
    rate: Decimal
    day: date  # the date of the rate (of the older leg, when crossed)
    via: str = ""  # "inverse", or the pivot currency a crossed rate went through

    @property
    def pair(self) -> str:
        return pair_label(self.base, self.quote)

    @property
    def label(self) -> str:
        """How a ledger row shows it: "CNY→USD 0.1389 on 2026-03-06 (via EUR)"."""
        how = f" (via {self.via})" if self.via and self.via != "inverse" else " (inverse)" if self.via else ""
        return f"{self.pair} {self.rate.normalize():f} on {self.day.isoformat()}{how}"


def pair_label(base: str, quote: str) -> str:
    return f"{base}→{quote}"


def parse_pair(text: str) -> tuple[str, str]:
    """ "CNY→USD", "CNY/USD" or "cny-usd" as (base, quote); refuses anything else."""
    codes = [c for c in re.split(r"[^A-Za-z]+", text.strip().upper()) if c]
    if len(codes) != 2 or not all(CURRENCY.match(c) for c in codes) or codes[0] == codes[1]:
        raise ValueError(f"{text!r} is not a currency pair such as CNY→USD")
    return codes[0], codes[1]


class RateBook:
    """A team's rates by pair over time; answers `conversion(base, quote, on)` or None."""

    def __init__(self, rates: Iterable[FxRate] = ()) -> None:
        timeline: dict[tuple[str, str], list[FxRate]] = {}
        for rate in rates:
            timeline.setdefault((rate.base, rate.quote), []).append(rate)
        self._rates = {pair: sorted(found, key=lambda r: r.day) for pair, found in timeline.items()}
        self._days = {pair: [r.day for r in found] for pair, found in self._rates.items()}
        self._cache: dict[tuple[str, str, date], Conversion | None] = {}

    def latest(self, base: str, quote: str, on: date) -> FxRate | None:
        """This pair's own newest rate on or before `on`."""
        days = self._days.get((base, quote))
        if not days:
            return None
        index = bisect_right(days, on)
        return self._rates[(base, quote)][index - 1] if index else None

    def conversion(self, base: str, quote: str, on: date) -> Conversion | None:
        """The newest way to convert on `on`: the pair's rate, its inverse, or a cross through the pivot.

        Of candidates from different days the newest wins; on the same day a stored rate beats an
        inverse, which beats a cross.
        """
        if base == quote:
            return Conversion(base, quote, Decimal(1), on)
        if not self._rates:
            return None
        key = (base, quote, on)
        if key not in self._cache:
            self._cache[key] = self._find(base, quote, on)
        return self._cache[key]

    def _find(self, base: str, quote: str, on: date) -> Conversion | None:
        candidates: list[Conversion] = []
        direct = self.latest(base, quote, on)
        if direct:
            candidates.append(Conversion(base, quote, direct.rate, direct.day))
        opposite = self.latest(quote, base, on)
        if opposite:
            candidates.append(Conversion(base, quote, _DERIVED.divide(1, opposite.rate), opposite.day, "inverse"))
        if PIVOT not in (base, quote):
            legs = (self._leg(base, on), self._leg(quote, on))
            if legs[0] and legs[1]:
                (base_per_pivot, day_a), (quote_per_pivot, day_b) = legs[0], legs[1]
                crossed = _DERIVED.divide(quote_per_pivot, base_per_pivot)
                candidates.append(Conversion(base, quote, crossed, min(day_a, day_b), PIVOT))
        if not candidates:
            return None
        return max(enumerate(candidates), key=lambda c: (c[1].day, -c[0]))[1]

    def _leg(self, currency: str, on: date) -> tuple[Decimal, date] | None:
        """Units of `currency` per one pivot unit on `on`, from either direction of the pair."""
        forward, backward = self.latest(PIVOT, currency, on), self.latest(currency, PIVOT, on)
        if forward and (backward is None or forward.day >= backward.day):
            return forward.rate, forward.day
        if backward:
            return _DERIVED.divide(1, backward.rate), backward.day
        return None
