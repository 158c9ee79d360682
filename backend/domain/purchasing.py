"""Buying stock from Taobao and 1688: the statuses a purchase line goes through, and its landed cost.

Landed cost per received unit, in the line's purchase currency (README, "The ledger's rules"):

    unit price
    + the supplier order's domestic shipping and price adjustment, shared by value among its lines
    + the consolidation's freight, shared by chargeable weight (the larger of actual and volumetric) when
      every line of it was weighed, else by value
    + its duties and clearance, shared by customs value (the lines' purchase value)
    + its forwarder fees, shared by units
    ÷ the units received (the units ordered until they are counted)

Reclaimable import VAT is recorded but never added. Each charge is converted into the purchase currency
at the rate of the day it was paid; the sum is rounded half-even to 4 decimal places once. A unit that
did not arrive is assumed refunded (its price is not spread), while shipping, freight, duty and fees
spread over the units that did. What cannot be computed yet says why, and is never counted as zero.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from typing import TypeVar

from backend.domain.fx import RateBook, pair_label
from backend.domain.phrases import Phrase, listed

PLATFORMS = ("taobao", "1688", "other")
UNIT_PLACES = Decimal("0.0001")  # what a landed unit cost keeps (the Money column's places)
COMPONENTS = ("price", "domestic", "freight", "duties", "fees")


class LineStatus(StrEnum):
    ORDERED = "ordered"
    SHIPPED = "shipped"  # by the supplier, inside China
    AT_FORWARDER = "at_forwarder"
    CONSOLIDATED = "consolidated"
    ARRIVED = "arrived"
    CANCELLED = "cancelled"


class ShipmentStatus(StrEnum):
    PACKING = "packing"  # at the forwarder, being consolidated
    SHIPPED = "shipped"
    ARRIVED = "arrived"


# How the purchase tab shows a line's status (and what it accepts typed back, besides the codes).
LINE_LABELS: Mapping[LineStatus, str] = {
    LineStatus.ORDERED: "ordered",
    LineStatus.SHIPPED: "shipped by supplier",
    LineStatus.AT_FORWARDER: "at forwarder",
    LineStatus.CONSOLIDATED: "in consolidated shipment",
    LineStatus.ARRIVED: "arrived",
    LineStatus.CANCELLED: "cancelled",
}
ON_THE_WAY = frozenset({LineStatus.ORDERED, LineStatus.SHIPPED, LineStatus.AT_FORWARDER, LineStatus.CONSOLIDATED})


def line_status(own: str, shipment: str | None) -> LineStatus:
    """A line's status: a consolidation's status drives the lines it carries; otherwise the line's own."""
    if shipment is None or own == LineStatus.CANCELLED:
        return LineStatus(own)
    return LineStatus.ARRIVED if shipment == ShipmentStatus.ARRIVED else LineStatus.CONSOLIDATED


E = TypeVar("E", bound=StrEnum)


def parse_status(text: str, choices: Iterable[E], labels: Mapping[E, str] | None = None) -> str:
    """A status as typed: its code or its label, any case; refuses anything else, listing the choices."""
    wanted = " ".join(text.strip().lower().replace("_", " ").split())
    for choice in choices:
        if wanted in (choice.value.replace("_", " "), (labels or {}).get(choice, "")):
            return choice.value
    shown = listed([Phrase((labels or {}).get(c, c.value)) for c in choices])  # in the sheet's language
    raise ValueError(Phrase("status {status!r} is not one of: {shown}", status=text, shown=shown))


@dataclass(frozen=True)
class OrderFacts:
    """A supplier order as landed cost needs it; charges are in `currency`, paid on `paid_on`."""

    id: int
    currency: str | None
    domestic_shipping: Decimal = Decimal(0)
    adjustment: Decimal = Decimal(0)


@dataclass(frozen=True)
class LineFacts:
    id: int
    order_id: int
    ordered: int
    received: int | None
    unit_price: Decimal | None
    shipment_id: int | None = None
    weight_kg: Decimal | None = None
    volumetric_kg: Decimal | None = None
    cancelled: bool = False

    @property
    def units(self) -> int:
        """The units the line's costs spread over: as received, or as ordered until counted."""
        return self.received if self.received is not None else self.ordered

    @property
    def value(self) -> Decimal:
        return (self.unit_price or Decimal(0)) * self.units

    @property
    def chargeable_kg(self) -> Decimal | None:
        return chargeable(self.weight_kg, self.volumetric_kg)


@dataclass(frozen=True)
class ShipmentFacts:
    """A consolidation's charges, in `currency`: freight and fees paid on `paid_on`, duties on `duties_paid_on`."""

    id: int
    name: str
    currency: str | None
    freight: Decimal | None
    duties: Decimal | None = None
    fees: Decimal | None = None
    paid_on: date | None = None
    duties_paid_on: date | None = None


@dataclass(frozen=True)
class Landed:
    """One line's landed cost per received unit in `currency`, with its exact parts; or why not yet."""

    unit_cost: Decimal | None
    currency: str
    parts: Mapping[str, Decimal] = field(default_factory=dict)
    problem: str = ""


class _NotYet(Exception):
    pass


def _share(part: Decimal, whole: Decimal, fallback: Decimal, fallback_whole: Decimal) -> Decimal:
    """`part` of `whole`; when the whole is nothing (all free), the fallback basis shares instead."""
    return part / whole if whole else fallback / fallback_whole


def landed_costs(
    lines: Iterable[LineFacts],
    orders: Mapping[int, OrderFacts],
    shipments: Mapping[int, ShipmentFacts],
    rates: RateBook,
    only: Collection[int] | None = None,
) -> dict[int, Landed]:
    """Landed unit costs of `only` (default every line); `lines` must hold every line of their supplier orders
    and consolidations, since each charge is shared among all of them."""
    live = [line for line in lines if not line.cancelled]
    by_order: dict[int, list[LineFacts]] = defaultdict(list)
    by_shipment: dict[int, list[LineFacts]] = defaultdict(list)
    for line in live:
        by_order[line.order_id].append(line)
        if line.shipment_id is not None:
            by_shipment[line.shipment_id].append(line)
    found = {}
    shares: dict[int, _Shares] = {}
    for line in live:
        if only is not None and line.id not in only:
            continue
        order = orders[line.order_id]
        shipment = shipments.get(line.shipment_id) if line.shipment_id is not None else None
        try:
            parts = _parts(line, order, by_order[order.id])
            if shipment is not None:
                if shipment.id not in shares:
                    shares[shipment.id] = _shares(shipment, by_shipment[shipment.id], orders, rates)
                parts |= _shipment_parts(line, order, shipment, shares[shipment.id], rates)
        except _NotYet as why:
            found[line.id] = Landed(None, order.currency or "", problem=str(why))
            continue
        total = sum(parts.values(), Decimal(0)).quantize(UNIT_PLACES, rounding=ROUND_HALF_EVEN)
        found[line.id] = Landed(total, order.currency or "", parts)
    return found


def _parts(line: LineFacts, order: OrderFacts, siblings: list[LineFacts]) -> dict[str, Decimal]:
    """The price and the line's share of its supplier order's domestic shipping and adjustment, per unit."""
    if not order.currency:
        raise _NotYet("the supplier order has no currency")
    if line.unit_price is None:
        raise _NotYet("no unit price")
    if line.units <= 0:
        raise _NotYet("nothing was received")
    units = Decimal(line.units)
    all_units = Decimal(sum(s.units for s in siblings))
    share = _share(line.value, sum((s.value for s in siblings), Decimal(0)), units, all_units)
    return {"price": line.unit_price, "domestic": (order.domestic_shipping + order.adjustment) * share / units}


@dataclass(frozen=True)
class _Shares:
    """A consolidation's lines, weighed once: customs values in its currency, units and chargeable weights."""

    values: Mapping[int, Decimal]
    total_value: Decimal
    total_units: Decimal
    total_kg: Decimal | None  # None: some line not weighed (freight then goes by value)


def _shares(
    shipment: ShipmentFacts, members: list[LineFacts], orders: Mapping[int, OrderFacts], rates: RateBook
) -> _Shares:
    if shipment.freight is None:
        raise _NotYet(f"waiting for the freight of {shipment.name}")
    if not shipment.currency:
        raise _NotYet(f"{shipment.name} has no currency")
    if shipment.paid_on is None:
        raise _NotYet(f"type the date {shipment.name}'s freight was paid")
    # Customs value: each line's purchase value in the consolidation's currency, at the freight's date.
    into: dict[str, Decimal] = {}
    for currency in {orders[m.order_id].currency or "" for m in members}:
        into[currency] = _rate(rates, currency, shipment.currency, shipment.paid_on)
    values = {m.id: m.value * into[orders[m.order_id].currency or ""] for m in members}
    weights = [m.chargeable_kg for m in members]
    weighed = all(w is not None and w > 0 for w in weights)
    return _Shares(
        values,
        sum(values.values(), Decimal(0)),
        Decimal(sum(m.units for m in members)),
        sum((w for w in weights if w is not None), Decimal(0)) if weighed else None,
    )


def _shipment_parts(
    line: LineFacts, order: OrderFacts, shipment: ShipmentFacts, shares: _Shares, rates: RateBook
) -> dict[str, Decimal]:
    """The line's share of its consolidation's freight, duties and fees, per unit, in the purchase currency."""
    currency, paid = shipment.currency or "", shipment.paid_on or date.min
    units = Decimal(line.units)
    by_value = _share(shares.values[line.id], shares.total_value, units, shares.total_units)
    by_weight = (line.chargeable_kg or Decimal(0)) / shares.total_kg if shares.total_kg else by_value
    into = order.currency or ""
    at_paid = _rate(rates, currency, into, paid)
    at_duty = _rate(rates, currency, into, shipment.duties_paid_on or paid)
    return {
        "freight": (shipment.freight or Decimal(0)) * by_weight * at_paid / units,
        "duties": (shipment.duties or Decimal(0)) * by_value * at_duty / units,
        "fees": (shipment.fees or Decimal(0)) * at_paid / shares.total_units,
    }


def _rate(rates: RateBook, base: str, quote: str, on: date) -> Decimal:
    conversion = rates.conversion(base, quote, on)
    if conversion is None:
        raise _NotYet(f"no {pair_label(base, quote)} rate on or before {on.isoformat()}")
    return conversion.rate


def chargeable(weight_kg: Decimal | None, volumetric_kg: Decimal | None) -> Decimal | None:
    """What a forwarder charges by: the larger of the actual and the volumetric weight."""
    weighed = [w for w in (weight_kg, volumetric_kg) if w is not None]
    return max(weighed) if weighed else None


# -- typed values: a sheet cell (JSON), an .xlsx cell (openpyxl) or CSV text, checked the same way ---------
SHEETS_EPOCH = date(1899, 12, 30)
CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")
MAX_AMOUNT = Decimal(10) ** 12


def blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text_of(value: object) -> str:
    """A cell as text; a number typed into a text cell (an order number) keeps no '.0'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def as_whole(value: object, label: str, *, minimum: int) -> int | None:
    """A whole number of units at least `minimum`; blank is None."""
    if blank(value):
        return None
    text = text_of(value)
    if isinstance(value, bool) or not text.lstrip("-").isdigit() or int(text) < minimum:
        least = Phrase("above 0") if minimum == 1 else Phrase("{minimum} or more", minimum=minimum)
        raise ValueError(Phrase("{label} must be a whole number {least} (got {value!r})", label=Phrase(label),
                                least=least, value=text))  # fmt: skip
    return int(text)


def as_amount(value: object, label: str) -> Decimal | None:
    """Money or a weight as typed: 0 or more, at most 4 decimals; blank is None."""
    if blank(value):
        return None
    text = repr(value) if isinstance(value, float) else text_of(value).replace(",", "")
    try:
        amount = Decimal(text)
    except ArithmeticError:
        amount = Decimal("NaN")
    if isinstance(value, bool) or not amount.is_finite() or not 0 <= amount < MAX_AMOUNT:
        raise ValueError(Phrase("{label} must be a number, 0 or more (got {value!r})", label=Phrase(label),
                                value=text_of(value)))  # fmt: skip
    if -amount.as_tuple().exponent > 4:  # type: ignore[operator]
        raise ValueError(Phrase("{label} has at most 4 decimals (got {value})", label=Phrase(label), value=text))
    return amount.normalize() if amount == amount.to_integral() else amount


def as_currency(value: object) -> str | None:
    if blank(value):
        return None
    code = text_of(value).upper()
    if not CURRENCY_CODE.match(code):
        raise ValueError(Phrase("currency {code!r} must be a 3-letter code such as CNY", code=text_of(value)))
    return code


DAY = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T]|$)")


def as_day(value: object, label: str) -> date | None:
    """A date: ISO text (a time after it is dropped), a date or datetime, or a spreadsheet serial number."""
    if blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return SHEETS_EPOCH + timedelta(days=int(value))
    # Excel saving a CSV in a Chinese locale writes "2026/3/1 10:12": unpadded, slashes, a time after it.
    found = DAY.match(text_of(value))
    day = None
    if found:
        with suppress(ValueError):  # 2026-02-30
            day = date(int(found[1]), int(found[2]), int(found[3]))
    if day is None:
        raise ValueError(Phrase("{label} must be a date as YYYY-MM-DD (got {value!r})", label=Phrase(label),
                                value=text_of(value)))  # fmt: skip
    return day
