"""Stock allocation: which open orders the stock on hand can fill, earliest dispatch deadline first.

Pure and deterministic: orders claim stock in (ship-by, order id) order, whole orders at a time, so
a warehouse never starts an order it cannot finish and a later order is not starved by an earlier
one that is short anyway. What an order could not get is its shortfall ("short: 2 × SKU"); the
stock left after every claim, compared with the reorder point, says which SKUs run low.

A SKU nobody counted (no TikTok count, no sheet count) is not limited: OrderDeck cannot know it is
short, so it never claims it is.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from backend.domain import alerts
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

    def label(self) -> str:
        return f"{self.units} × {self.seller_sku}"


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

    @property
    def is_low(self) -> bool:
        point = self.count.reorder_point
        return point is not None and self.remaining is not None and self.remaining < point

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
        return "short: " + ", ".join(s.label() for s in found) if found else ""


def is_pickable_line(order_status: str, on_hold: bool, line_status: str | None, tracking_number: str | None) -> bool:
    """A unit the warehouse may pick now: never ON_HOLD, never cancelled, never already shipped."""
    if on_hold or order_status not in PICKABLE_STATUSES:
        return False
    return (line_status or "") in UNSHIPPED_LINE_STATUSES and not tracking_number


def _pool(demand: Demand, counts: Mapping[tuple[str, str], StockCount], by_sku: Mapping[str, list[str]]) -> str | None:
    """The warehouse a demand draws from: its own, else a warehouse-less count, else the SKU's only one."""
    sku = demand.seller_sku
    for warehouse in (demand.warehouse_id, ANY_WAREHOUSE):
        if (sku, warehouse) in counts:
            return warehouse
    if demand.warehouse_id == ANY_WAREHOUSE and len(by_sku.get(sku, ())) == 1:
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
            shortfalls[order_id] = tuple(Shortfall(sku, units) for (sku, _), units in sorted(missing.items()))
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


def low_stock_message(team_name: str, day: str, positions: Sequence[StockPosition]) -> dict[str, Any]:
    """The Discord message for SKUs below their reorder point after today's allocation."""
    lines = [
        f"{p.count.label}: {p.remaining} left after open orders (reorder at {p.count.reorder_point})"
        + (f", {p.short_units} short" if p.short_units else "")
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
