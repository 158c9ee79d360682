"""Stock allocation: which open orders the stock on hand can fill, earliest dispatch deadline first.

Pure and deterministic: orders claim stock in (ship-by, order id) order, whole orders at a time, so
a warehouse never starts an order it cannot finish and a later order is not starved by an earlier
one that is short anyway. What an order could not get is its shortfall ("short: 2 × SKU"); the
stock left after every claim, compared with the reorder point, says which SKUs run low.

A SKU nobody counted (no TikTok count, no sheet count) is not limited: OrderDeck cannot know it is
short, so it never claims it is.

The outlook (`with_outlook`) adds what is on its way from suppliers: a short order whose units an arrival
will cover says so ("short now: 2 × MUG, 12 arriving 14 Dec"), and each SKU's reorder suggestion weighs
its sales of the last 7 and 30 days, the stock left after open orders, what is arriving, the supplier's
lead time and the reorder point (kept as the stock to have left when the order arrives).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from backend.domain import alerts
from backend.domain.fulfilment import ShipState
from backend.domain.status import OrderStatus

PICKABLE_STATUSES = frozenset({OrderStatus.AWAITING_SHIPMENT, OrderStatus.PARTIALLY_SHIPPING})
# Line statuses of a unit still in the warehouse; a shipped unit says AWAITING_COLLECTION or later.
UNSHIPPED_LINE_STATUSES = frozenset({"", OrderStatus.AWAITING_SHIPMENT})
ANY_WAREHOUSE = ""
NO_DEADLINE = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Demand:
    """The pickable units of one SKU in one open order."""

    order_id: int
    order_external_id: str
    seller_sku: str
    quantity: int
    ship_by: datetime | None
    warehouse_id: str = ANY_WAREHOUSE
    product_name: str = ""
    shop_id: int = 0


@dataclass(frozen=True)
class StockCount:
    """What is on the shelf for one SKU in one warehouse; the sheet's count wins over TikTok's."""

    seller_sku: str
    warehouse_id: str
    platform_quantity: int | None = None
    sheet_quantity: int | None = None
    reorder_point: int | None = None
    location: str = ""
    supplier_note: str = ""
    product_name: str = ""
    lead_time_days: int | None = None  # typed by procurement
    opening: int | None = None  # the opening stock at go-live, when purchases are tracked

    @property
    def on_hand(self) -> int | None:
        return self.sheet_quantity if self.sheet_quantity is not None else self.platform_quantity

    @property
    def key(self) -> tuple[str, str]:
        return (self.seller_sku, self.warehouse_id)

    @property
    def label(self) -> str:
        """The stock tab's row key: "SKU @ warehouse" (just the SKU when counted for any warehouse)."""
        return f"{self.seller_sku} @ {self.warehouse_id}" if self.warehouse_id else self.seller_sku


@dataclass(frozen=True)
class Shortfall:
    seller_sku: str
    units: int
    warehouse_id: str = ANY_WAREHOUSE
    arriving: int = 0  # units arriving by `due`, when an arrival covers this shortfall
    due: date | None = None

    def label(self) -> str:
        short = f"{self.units} × {self.seller_sku}"
        if not self.arriving:
            return short
        return f"{short}, {self.arriving} arriving {day_label(self.due)}"


def day_label(day: date | None) -> str:
    """ "14 Dec", as the stock tab and the warehouse lists say when stock is due."""
    return f"{day.day} {day:%b}" if day else "(date not known)"


@dataclass(frozen=True)
class Arrival:
    """Units of a SKU on their way to a warehouse from a supplier, expected on a day (None: not known)."""

    seller_sku: str
    warehouse_id: str
    quantity: int
    expected_on: date | None = None


@dataclass(frozen=True)
class Reorder:
    """How fast a SKU sells, how long its stock lasts, and how many to order now."""

    sold_7: int
    sold_30: int
    per_day: Decimal
    cover_days: Decimal | None
    lead_time_days: int | None
    suggested: int


@dataclass(frozen=True)
class PickRow:
    """One SKU to pick now: units of the orders stock can fill, and what the unfilled ones lack."""

    seller_sku: str
    product_name: str
    quantity: int
    orders: int
    earliest_ship_by: datetime | None
    location: str
    short_units: int = 0


@dataclass(frozen=True)
class StockPosition:
    """One SKU × warehouse after allocation (a row of the procurement tab)."""

    count: StockCount
    allocated: int
    short_units: int
    remaining: int | None
    arriving: int = 0
    next_arrival: Arrival | None = None
    reorder: Reorder | None = None

    @property
    def is_low(self) -> bool:
        if self.reorder is not None and self.remaining is not None:
            return self.reorder.suggested > 0
        point = self.count.reorder_point
        return point is not None and self.remaining is not None and self.remaining < point

    @property
    def next_arrival_label(self) -> str:
        found = self.next_arrival
        return f"{found.quantity} on {day_label(found.expected_on)}" if found else ""

    @property
    def state(self) -> str:
        if self.count.on_hand is None:
            return "not counted"
        if self.short_units:
            return "out"
        return "low" if self.is_low else "ok"


@dataclass(frozen=True)
class Allocation:
    shortfalls: Mapping[int, tuple[Shortfall, ...]]
    picks: tuple[PickRow, ...]
    positions: tuple[StockPosition, ...]
    filled: frozenset[int] = field(default_factory=frozenset)

    @property
    def low_stock(self) -> tuple[StockPosition, ...]:
        return tuple(p for p in self.positions if p.is_low)

    def short_label(self, order_id: int) -> str:
        found = self.shortfalls.get(order_id)
        if not found:
            return ""
        if any(s.arriving for s in found):
            return "short now: " + "; ".join(s.label() for s in found)
        return "short: " + ", ".join(s.label() for s in found)

    def restock_date(self, order_id: int, seller_sku: str) -> date | None:
        """When the arrival covering this order's shortfall of `seller_sku` is due (None: none covers it)."""
        return next((s.due for s in self.shortfalls.get(order_id, ()) if s.seller_sku == seller_sku), None)


def is_pickable_line(order_status: str, on_hold: bool, line_status: str | None, tracking_number: str | None) -> bool:
    """A unit the warehouse may pick now: never ON_HOLD, never cancelled, never already shipped."""
    if on_hold or order_status not in PICKABLE_STATUSES:
        return False
    return (line_status or "") in UNSHIPPED_LINE_STATUSES and not tracking_number


def _pool(demand: Demand, counts: Mapping[tuple[str, str], StockCount], by_sku: Mapping[str, list[str]]) -> str | None:
    """The warehouse a demand draws from: its own, else a warehouse-less count, else the SKU's only one."""
    return pool_of(demand.seller_sku, demand.warehouse_id, counts, by_sku)


def pool_of(
    sku: str, warehouse_id: str, counts: Mapping[tuple[str, str], Any], by_sku: Mapping[str, Sequence[str]]
) -> str | None:
    """The warehouse whose shelf serves `sku` in `warehouse_id`: that one, else a warehouse-less one, else the
    SKU's only one (allocation, arrivals, sales and FIFO layers all find their shelf this way)."""
    for warehouse in (warehouse_id, ANY_WAREHOUSE):
        if (sku, warehouse) in counts:
            return warehouse
    if warehouse_id == ANY_WAREHOUSE and len(by_sku.get(sku, ())) == 1:
        return by_sku[sku][0]
    return None


def allocate(demands: Iterable[Demand], counts: Iterable[StockCount]) -> Allocation:
    """Fill orders in (ship-by, order id) order, each wholly or not at all."""
    stock = {c.key: c for c in counts}
    by_sku: dict[str, list[str]] = defaultdict(list)
    for sku, warehouse in sorted(stock):
        by_sku[sku].append(warehouse)
    left: dict[tuple[str, str], int] = {k: c.on_hand for k, c in stock.items() if c.on_hand is not None}
    orders: dict[int, list[Demand]] = defaultdict(list)
    for demand in demands:
        if demand.quantity > 0:
            orders[demand.order_id].append(demand)
    queue = sorted(orders, key=lambda oid: (min(d.ship_by or NO_DEADLINE for d in orders[oid]), oid))
    allocated: dict[tuple[str, str], int] = defaultdict(int)
    short_by_pool: dict[tuple[str, str], int] = defaultdict(int)
    shortfalls: dict[int, tuple[Shortfall, ...]] = {}
    picked: dict[str, list[Demand]] = defaultdict(list)
    filled: set[int] = set()
    for order_id in queue:
        need: dict[tuple[str, str], int] = defaultdict(int)
        for demand in orders[order_id]:
            pool = _pool(demand, stock, by_sku)
            need[(demand.seller_sku, demand.warehouse_id if pool is None else pool)] += demand.quantity
        missing = {k: n - left[k] for k, n in need.items() if k in left and left[k] < n}
        if missing:
            shortfalls[order_id] = tuple(Shortfall(sku, units, wh) for (sku, wh), units in sorted(missing.items()))
            for key, units in missing.items():
                short_by_pool[key] += units
            continue
        filled.add(order_id)
        for key, units in need.items():
            allocated[key] += units
            if key in left:
                left[key] -= units
        for demand in orders[order_id]:
            picked[demand.seller_sku].append(demand)
    uncounted = {
        (d.seller_sku, d.warehouse_id): StockCount(d.seller_sku, d.warehouse_id, product_name=d.product_name)
        for ds in orders.values()
        for d in ds
        if _pool(d, stock, by_sku) is None
    }
    positions = tuple(
        StockPosition(count, allocated.get(key, 0), short_by_pool.get(key, 0), left.get(key))
        for key, count in sorted({**uncounted, **stock}.items())
    )
    return Allocation(shortfalls, _pick_rows(picked, short_by_pool, stock), positions, frozenset(filled))


def picks_for(allocation: Allocation, demands: Iterable[Demand], counts: Iterable[StockCount]) -> tuple[PickRow, ...]:
    """The pick list of some orders only (a tab bound to some shops): the units of theirs the team-wide
    allocation filled, and what theirs lack, so one shop's list names no other shop's SKU."""
    picked: dict[str, list[Demand]] = defaultdict(list)
    short: dict[tuple[str, str], int] = defaultdict(int)
    orders: set[int] = set()
    for demand in demands:
        orders.add(demand.order_id)
        if demand.quantity > 0 and demand.order_id in allocation.filled:
            picked[demand.seller_sku].append(demand)
    for order_id in orders:
        for shortfall in allocation.shortfalls.get(order_id, ()):
            short[(shortfall.seller_sku, ANY_WAREHOUSE)] += shortfall.units
    return _pick_rows(picked, short, {c.key: c for c in counts})


def _pick_rows(
    picked: Mapping[str, list[Demand]],
    short_by_pool: Mapping[tuple[str, str], int],
    stock: Mapping[tuple[str, str], StockCount],
) -> tuple[PickRow, ...]:
    short_by_sku: dict[str, int] = defaultdict(int)
    for (sku, _), units in short_by_pool.items():
        short_by_sku[sku] += units
    rows = []
    for sku in sorted(set(picked) | set(short_by_sku)):
        demands = picked.get(sku, [])
        counts = [c for (s, _), c in sorted(stock.items()) if s == sku]
        deadlines = [d.ship_by for d in demands if d.ship_by is not None]
        name = next((d.product_name for d in demands if d.product_name), "") or next(
            (c.product_name for c in counts if c.product_name), ""
        )
        rows.append(
            PickRow(
                seller_sku=sku,
                product_name=name,
                quantity=sum(d.quantity for d in demands),
                orders=len({d.order_id for d in demands}),
                earliest_ship_by=min(deadlines) if deadlines else None,
                location=", ".join(dict.fromkeys(c.location for c in counts if c.location)),
                short_units=short_by_sku.get(sku, 0),
            )
        )
    return tuple(rows)


def with_outlook(
    allocation: Allocation,
    arrivals: Iterable[Arrival] = (),
    sold: Mapping[tuple[str, str], tuple[int, int]] | None = None,
    lead_times: Mapping[str, int] | None = None,
) -> Allocation:
    """The allocation with what is arriving, each short order's due date and each SKU's reorder suggestion.

    `sold` is units sold per (SKU, warehouse) in the last 7 and 30 days; `lead_times` the lead time per SKU
    its arrived purchases show, used where procurement typed none. Shortfalls are covered in queue order
    (the order `allocate` filled them in), each by the earliest arrival that reaches its units.
    """
    counts = {p.count.key: p.count for p in allocation.positions}
    by_sku: dict[str, list[str]] = defaultdict(list)
    for sku, warehouse in sorted(counts):
        by_sku[sku].append(warehouse)
    coming: dict[tuple[str, str], list[Arrival]] = defaultdict(list)
    for arrival in arrivals:
        found = pool_of(arrival.seller_sku, arrival.warehouse_id, counts, by_sku)
        coming[(arrival.seller_sku, arrival.warehouse_id if found is None else found)].append(arrival)
    for waiting in coming.values():
        waiting.sort(key=lambda a: (a.expected_on or date.max, -a.quantity))
    sales: dict[tuple[str, str], tuple[int, int]] = defaultdict(lambda: (0, 0))
    for (sku, warehouse), (week, month) in (sold or {}).items():
        found = pool_of(sku, warehouse, counts, by_sku)
        key = (sku, warehouse if found is None else found)
        sales[key] = (sales[key][0] + week, sales[key][1] + month)
    shortfalls = _covered(allocation.shortfalls, coming)
    positions, before = [], {p.count.key: p for p in allocation.positions}
    for key, count in sorted({**{k: StockCount(*k) for k in coming}, **counts}.items()):
        position = before.get(key) or StockPosition(count, 0, 0, None)
        arriving = coming.get(key, [])
        lead = count.lead_time_days if count.lead_time_days is not None else (lead_times or {}).get(key[0])
        positions.append(
            replace(
                position,
                arriving=sum(a.quantity for a in arriving),
                next_arrival=_merged_first(arriving),
                reorder=reorder(position, sum(a.quantity for a in arriving), sales[key], lead),
            )
        )
    return replace(allocation, shortfalls=shortfalls, positions=tuple(positions))


def _merged_first(arrivals: Sequence[Arrival]) -> Arrival | None:
    """The earliest arrival, with every arrival expected the same day."""
    if not arrivals:
        return None
    first = arrivals[0]
    same = sum(a.quantity for a in arrivals if a.expected_on == first.expected_on)
    return replace(first, quantity=same)


def _covered(
    shortfalls: Mapping[int, tuple[Shortfall, ...]], coming: Mapping[tuple[str, str], Sequence[Arrival]]
) -> dict[int, tuple[Shortfall, ...]]:
    """Each shortfall with the arrival that covers it: the first whose running total reaches the running
    total of units short in that shelf (earlier orders in the queue are covered first)."""
    short_so_far: dict[tuple[str, str], int] = defaultdict(int)
    covered: dict[int, tuple[Shortfall, ...]] = {}
    for order_id, found in shortfalls.items():
        updated = []
        for short in found:
            key = (short.seller_sku, short.warehouse_id)
            short_so_far[key] += short.units
            total, cover = 0, short
            for arrival in coming.get(key, ()):
                total += arrival.quantity
                if total >= short_so_far[key]:
                    cover = replace(short, arriving=total, due=arrival.expected_on)
                    break
            updated.append(cover)
        covered[order_id] = tuple(updated)
    return covered


DAY = Decimal("0.1")


def reorder(position: StockPosition, arriving: int, sold: tuple[int, int], lead_time_days: int | None) -> Reorder:
    """Sales per day is the higher of the last 7 and 30 days' rates (a surge counts at once, a lull does not
    cut an order short). Suggested = per day × lead time + reorder point − (left after orders + arriving),
    rounded up and never below 0; no lead time counts as 0 days, which leaves just the reorder point."""
    week, month = sold
    per_day = max(Decimal(week) / 7, Decimal(month) / 30)
    available = (position.remaining or 0) + arriving
    cover = (Decimal(available) / per_day).quantize(DAY, ROUND_HALF_UP) if per_day else None
    suggested = 0
    if position.remaining is not None:
        need = per_day * (lead_time_days or 0) + (position.count.reorder_point or 0) - available
        suggested = max(0, math.ceil(need))
    shown = per_day.quantize(Decimal("0.01"), ROUND_HALF_UP)
    return Reorder(week, month, shown, cover, lead_time_days, suggested)


def low_stock_message(team_name: str, day: str, positions: Sequence[StockPosition]) -> dict[str, Any]:
    """The Discord message for SKUs to reorder after today's allocation, with the suggestion."""
    lines = [
        f"{p.count.label}: {p.remaining} left after open orders (reorder at {p.count.reorder_point})"
        + (f", {p.short_units} short" if p.short_units else "")
        + (f", {p.arriving} arriving" if p.arriving else "")
        + _suggestion(p.reorder)
        for p in positions
    ]
    return alerts.message(
        alerts.embed(
            f"Low stock: {len(positions)} SKU{'s' if len(positions) != 1 else ''} ({team_name}, {day})",
            "\n".join(lines),
            color=alerts.ORANGE,
            footer="OrderDeck stock",
        )
    )


def _suggestion(plan: Reorder | None) -> str:
    if plan is None or not plan.suggested:
        return ""
    lead = f", lead time {plan.lead_time_days} days" if plan.lead_time_days is not None else ""
    cover = f", {plan.cover_days} days of cover" if plan.cover_days is not None else ""
    return f": order {plan.suggested} (sells {plan.per_day}/day{cover}{lead})"


@dataclass(frozen=True)
class PackUnit:
    """Pickable units of one SKU of one order, in the package TikTok assigned ("" before it has)."""

    package_id: str
    order_id: int
    order_external_id: str
    seller_sku: str
    quantity: int
    ship_by: datetime | None
    carrier: str = ""
    shop_id: int = 0


@dataclass(frozen=True)
class PackRow:
    """One parcel to pack: the orders in it (several when TikTok combined them), its lines, its deadline."""

    key: str
    orders: tuple[str, ...]
    lines: str
    carrier: str
    ship_by: datetime | None
    short: str = ""
    shipping: ShipState = field(default_factory=ShipState)  # handover, labels, wave (services/fulfilment.py)

    @property
    def orders_label(self) -> str:
        return ", ".join(self.orders)


def pack_rows(units: Iterable[PackUnit], allocation: Allocation) -> tuple[PackRow, ...]:
    """Group units by package; an order not yet given a package is its own row."""
    groups: dict[str, list[PackUnit]] = defaultdict(list)
    for unit in units:
        groups[unit.package_id or f"order {unit.order_external_id}"].append(unit)
    rows = []
    for key, members in sorted(groups.items()):
        quantities: dict[str, int] = defaultdict(int)
        for unit in members:
            quantities[unit.seller_sku] += unit.quantity
        deadlines = [u.ship_by for u in members if u.ship_by is not None]
        order_ids = dict.fromkeys((u.order_id, u.order_external_id) for u in members)
        rows.append(
            PackRow(
                key=key,
                orders=tuple(ext for _, ext in order_ids),
                lines=", ".join(f"{sku} × {n}" for sku, n in sorted(quantities.items())),
                carrier=next((u.carrier for u in members if u.carrier), ""),
                ship_by=min(deadlines) if deadlines else None,
                short="; ".join(label for oid, _ in order_ids if (label := allocation.short_label(oid))),
            )
        )
    return tuple(rows)


@dataclass(frozen=True)
class WarehouseRows:
    """The rows of the pick list, the pack list and the procurement stock tab."""

    picks: tuple[PickRow, ...] = ()
    packs: tuple[PackRow, ...] = ()
    positions: tuple[StockPosition, ...] = ()
