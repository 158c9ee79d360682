"""What every channel's order-export importer shares: the result types and the rule for a bad file.

A seller downloads an export from the platform's seller centre (TikTok's CSV, Shopee's .xlsx); each
adapter reads its own layout into the PlatformOrder its API gives, and the import service feeds them
to the one idempotent ingest. A bad cell fails its order, never the file; the file fails only when it
cannot be read as an export at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import TypeVar
from zoneinfo import ZoneInfo

from backend.domain.status import OrderStatus
from backend.errors import InvalidInput
from backend.platforms.base import PlatformOrder

# The key under which an order's export rows are kept in its `raw` payload (whatever the platform).
RAW_KEY = "seller_center_csv"
# Units in one row beyond which a cell is surely a typo (each unit becomes one line item).
MAX_QUANTITY = 9_999
_AMOUNT = re.compile(r"(-?)\s*(?:[A-Z]{2,3}\s*|[$£€₫₱฿]\s*)?(-?)([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(\.[0-9]+)?")
Row = TypeVar("Row")


class ExportUnreadable(InvalidInput):
    """The file is not a readable order export; nothing in it was imported."""

    code = "export_unreadable"


@dataclass(frozen=True)
class RowError:
    """A row that was not imported; `line` is the row number a spreadsheet shows (header = 1)."""

    line: int
    message: str
    order_id: str = ""
    cells: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)


@dataclass
class ParsedExport:
    """The orders an export describes, the rows that were not imported, and how many data rows it had."""

    orders: list[PlatformOrder]
    errors: list[RowError]
    data_rows: int = 0


def split_evenly(total: Decimal, parts: int) -> list[Decimal]:
    """Share `total` over `parts` units at its own precision, the odd cents to the first units, so they add up.

    Exports give one row per SKU with a quantity; the API gives one line item per unit.
    """
    exponent = total.as_tuple().exponent
    assert isinstance(exponent, int)
    quantum = Decimal(1).scaleb(min(exponent, 0))
    units = int(total / quantum)
    base, extra = divmod(abs(units), parts)
    sign = -1 if units < 0 else 1
    return [sign * (base + (1 if i < extra else 0)) * quantum for i in range(parts)]


@dataclass(frozen=True)
class ExportRow:
    """One export row with its cells checked and converted (our column name → cell in `cells`)."""

    line: int
    cells: dict[str, str]
    raw: dict[str, str]
    order_id: str
    status: OrderStatus
    quantity: int
    money: dict[str, Decimal]
    times: dict[str, datetime | None]

    def text(self, name: str) -> str:
        return self.cells.get(name, "")


class CellError(ValueError):
    """A cell that cannot be read; its message names the column and the value."""


def check_lengths(
    cells: Mapping[str, str],
    kept_in: Mapping[str, str],
    max_lengths: Mapping[str, int],
    columns: Mapping[str, tuple[str, ...]],
) -> None:
    """Raise CellError for a cell longer than where it is kept (`kept_in`: our column → "table.column",
    `max_lengths`: "table.column" → characters), so that row fails by line and the rest imports."""
    for name, where in kept_in.items():
        limit = max_lengths.get(where)
        if limit is not None and len(text := cells.get(name, "").strip()) > limit:
            raise CellError(f"{columns[name][0]} has {len(text):,} characters; OrderDeck keeps at most {limit}")


def normal(header: str) -> str:
    return " ".join(header.replace("\ufeff", "").split()).casefold()


def column_index(header: Sequence[str], columns: Mapping[str, tuple[str, ...]]) -> dict[str, int]:
    """Our column name → its position, by any of its known spellings; the first spelling present wins."""
    positions = {normal(h): i for i, h in reversed(list(enumerate(header)))}
    index: dict[str, int] = {}
    for name, spellings in columns.items():
        found = next((positions[normal(s)] for s in spellings if normal(s) in positions), None)
        if found is not None:
            index[name] = found
    return index


def local_time(value: str, label: str, zone: ZoneInfo, formats: Sequence[str]) -> datetime | None:
    """A seller centre's local time (no zone in the file) → aware UTC; empty → None."""
    text = " ".join(value.split())
    if not text:
        return None
    for fmt in formats:
        try:
            local = datetime.strptime(text, fmt).replace(tzinfo=zone)
        except ValueError:
            continue
        return local.astimezone(UTC)
    raise CellError(f"{label} {value!r} is not a date and time")


def amount(value: str, label: str) -> Decimal:
    """An amount as exports write it: thousands separators, a currency code or sign; empty → 0."""
    text = value.strip()
    if not text:
        return Decimal(0)
    match = _AMOUNT.fullmatch(text)
    if match is None or (match[1] and match[2]):
        raise CellError(f"{label} {value!r} is not an amount")
    sign = "-" if match[1] or match[2] else ""
    return Decimal(sign + match[3].replace(",", "") + (match[4] or ""))


def quantity(value: str) -> int:
    text = value.strip()
    if not text.isascii() or not text.isdigit():
        raise CellError(f"Quantity {value.strip()!r} is not a whole number")
    if not 1 <= int(text) <= MAX_QUANTITY:
        raise CellError(f"Quantity {value.strip()!r} is not between 1 and {MAX_QUANTITY}")
    return int(text)


def group_orders(
    rows: Sequence[tuple[int, str, dict[str, str], dict[str, str]]],
    parse: Callable[[int, dict[str, str], dict[str, str]], Row],
    order_of: Callable[[Row], str],
    build: Callable[[list[Row]], PlatformOrder],
) -> tuple[list[PlatformOrder], list[RowError]]:
    """Rows (line, order id as far as it reads, the file's cells, ours) grouped by order in file order.

    One bad row keeps its whole order out, every row of it reported; a row whose order id cannot be
    read fails alone.
    """
    by_order: dict[str, list[Row]] = {}
    failed: dict[str, list[RowError]] = {}
    errors: list[RowError] = []
    lines: dict[int, tuple[int, dict[str, str]]] = {}
    for line, loose_id, raw, cells in rows:
        try:
            row = parse(line, cells, raw)
        except CellError as exc:
            error = RowError(line, str(exc), loose_id, raw)
            if loose_id:
                failed.setdefault(loose_id, []).append(error)
                by_order.setdefault(loose_id, [])
            else:
                errors.append(error)
            continue
        lines[id(row)] = (line, raw)
        by_order.setdefault(order_of(row), []).append(row)
    orders: list[PlatformOrder] = []
    for order_id, found in by_order.items():
        bad = failed.get(order_id)
        if not bad:
            orders.append(build(found))
            continue
        numbers = ", ".join(str(e.line) for e in bad)
        errors += bad
        for row in found:
            line, raw = lines[id(row)]
            errors.append(RowError(line, f"order {order_id} not imported: line {numbers} of it is bad", order_id, raw))
    errors.sort(key=lambda e: e.line)
    return orders, errors
