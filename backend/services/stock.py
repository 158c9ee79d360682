"""Stock check, allocation, review flags and the warehouse's lists, for one team at a time.

`prepare` is what a push calls before it builds a tab: it allocates the stock on hand to the open
orders (earliest dispatch deadline first), raises a stock-out exception for each order and SKU that
comes up short (once: the dedupe key) and resolves it when stock arrives, enqueues a low-stock alert
once per SKU per day, and computes the review flags of recent orders. It runs once per team per
change (`catch_up`): the first push of any of the team's spreadsheets runs it for the orders changed
since the team's last pass, the team's other spreadsheets pushed for the same change show what it
stored; and every tab of one push shows the same allocation.

Review flags are computed here, on the push, rather than in ingest: they depend on the other
orders of the buyer and on the stock, which ingest of one page does not see, and a flag only
matters once a sheet shows it. An address is remembered the first time the order is reviewed with
one; a later difference (or a RECIPIENT_ADDRESS_UPDATE webhook after payment) flags the change.

Both conclusions are stored per order (OrderReview), and sheets show them as stored. A push after a
few orders changed runs the pass for those orders only: their buyers' recent orders are reviewed,
and the allocation is redone only when the team counts stock (over the counted SKUs alone, the only
ones that can fall short). The orders whose stored flags or shortfall moved are handed back, so
every tab showing them re-reads them too.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from statistics import median
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, defer, selectinload

from backend.db import Database, among, chunks, insert_ignoring_duplicates
from backend.domain import sla
from backend.domain.phrases import Phrase
from backend.domain.profit import CANCELLED_STATUS
from backend.domain.purchasing import ON_THE_WAY, line_status
from backend.domain.stock import (
    ANY_WAREHOUSE,
    PICKABLE_STATUSES,
    Allocation,
    Arrival,
    Demand,
    PackRow,
    PackUnit,
    Shortfall,
    StockCount,
    WarehouseRows,
    allocate,
    is_pickable_line,
    low_stock_message,
    pack_rows,
    picks_for,
    with_outlook,
)
from backend.domain.views import OrderView
from backend.models import (
    STOCK,
    AuditEntry,
    Consolidation,
    ExceptionCase,
    Member,
    OpeningStock,
    Order,
    OrderLine,
    OrderReview,
    PurchaseLine,
    PurchaseOrder,
    Shop,
    StockLevel,
    Team,
    utcnow,
)
from backend.platforms.base import OrderMappingError, SkuInventory, SkuRef
from backend.services import notify, review, sheet_changes, workflow
from backend.services.analytics import team_zone
from backend.services.ingest import mark_bindings_dirty, record_mapping_failures
from backend.services.shops import Platform, client_for

STOCK_OUT = "stock_out"
REVIEW_LOOKBACK = review.REVIEW_LOOKBACK
EDITORS = frozenset({"procurement", "admin"})
SHIPPED_PACKAGE_STATUSES = frozenset({"SHIPPED", "IN_TRANSIT", "DELIVERED", "COMPLETED", "PROCESSING"})
CACHE = "orderdeck.stock"
WHOLE_AT = 2_000  # changed orders past which one pass over the whole team beats many IN lists
WHOLE_TEAM = "every order"
# FOR NO KEY UPDATE on PostgreSQL: passes take turns, while a row that only refers to the team (a note, an
# audit entry, inserted by a webhook's ingest holding its bindings) is not held up behind the pass that waits
# for those bindings: under FOR UPDATE the two deadlocked.
TEAM_LOCK = {"key_share": True}


@dataclass(frozen=True)
class TeamStock:
    """One team's allocation, pack list and review flags, as of one push, and the orders whose stored
    flags or shortfall it changed (`touched`); and what they were made from, for the lists of a tab bound
    to some of the team's shops."""

    allocation: Allocation
    packs: tuple[PackRow, ...]
    reviews: Mapping[int, tuple[str, ...]]
    touched: frozenset[int] = frozenset()
    demands: tuple[Demand, ...] = ()
    units: tuple[PackUnit, ...] = ()
    counts: tuple[StockCount, ...] = ()

    def rows(self, shop_ids: Collection[int] = ()) -> WarehouseRows:
        """Pick and pack lists of `shop_ids` (all shops when empty), from the team-wide allocation: stock
        is shared, so which order gets the units does not depend on which tab shows it."""
        if not shop_ids:
            return WarehouseRows(self.allocation.picks, self.packs, self.allocation.positions)
        picks = picks_for(self.allocation, (d for d in self.demands if d.shop_id in shop_ids), self.counts)
        packs = pack_rows((u for u in self.units if u.shop_id in shop_ids), self.allocation)
        return WarehouseRows(picks, packs, self.allocation.positions)


# -- what is open, and what is on the shelf ---------------------------------------------------------


def _shop_ids(session: Session, team_id: int) -> list[int]:
    return list(session.scalars(select(Shop.id).where(Shop.team_id == team_id).order_by(Shop.id)))


def ship_by(order: Order) -> datetime | None:
    """The dispatch deadline, by the same fields and order as the sheets' "Ship by" column."""
    return next((v for name in sla.SHIP_BY_FIELDS if (v := getattr(order, name)) is not None), None)


def _sku(line: OrderLine) -> str:
    return line.seller_sku or line.sku_id


@dataclass(frozen=True)
class PassOrders:
    """What the push-time pass reads, loaded once: orders the warehouse may pick now (awaiting shipment or
    partly shipped, never on hold) to allocate, and the last 30 days' orders to review."""

    open: list[Order]
    recent: list[Order]


def pass_orders(session: Session, shop_ids: Sequence[int], now: datetime) -> PassOrders:
    if not shop_ids:
        return PassOrders([], [])
    is_open = Order.status.in_(PICKABLE_STATUSES) & Order.is_on_hold.is_(False)
    is_recent = Order.platform_create_time >= now - REVIEW_LOOKBACK
    query = (
        select(Order, is_open, is_recent)
        .where(Order.shop_id.in_(shop_ids), is_open | is_recent)
        # The platform's payload (kilobytes of JSON an order) is neither allocated nor reviewed: not parsed here.
        .options(defer(Order.raw), selectinload(Order.lines), selectinload(Order.packages))
        .order_by(Order.id)
    )
    found = PassOrders([], [])
    for order, open_now, recent in session.execute(query):
        if open_now:
            found.open.append(order)
        if recent:
            found.recent.append(order)
    return found


def demands_of(orders: Iterable[Order]) -> tuple[list[Demand], list[PackUnit]]:
    """Pickable units per order and SKU, and the same units placed in their (unshipped) packages."""
    demands: list[Demand] = []
    units: list[PackUnit] = []
    for order in orders:
        deadline = ship_by(order)
        carrier = order.shipping_provider or order.delivery_option_name or ""
        open_packages = sorted(
            p.external_id
            for p in order.packages
            if not p.tracking_number and p.shipped_at is None and (p.status or "") not in SHIPPED_PACKAGE_STATUSES
        )
        counts: dict[tuple[str, str, str], int] = defaultdict(int)
        for line in order.lines:
            if is_pickable_line(order.status, order.is_on_hold, line.display_status, line.tracking_number):
                package = line.package_external_id or (open_packages[0] if open_packages else "")
                counts[(_sku(line), line.product_name, package)] += 1
        per_sku: dict[tuple[str, str], int] = defaultdict(int)
        for (sku, name, package), quantity in counts.items():
            per_sku[(sku, name)] += quantity
            units.append(
                PackUnit(package, order.id, order.external_id, sku, quantity, deadline, carrier, order.shop_id)
            )
        demands += [
            Demand(order.id, order.external_id, sku, quantity, deadline, order.warehouse_id or "", name, order.shop_id)
            for (sku, name), quantity in per_sku.items()
        ]
    return demands, units


def stock_counts(session: Session, team_id: int) -> list[StockCount]:
    opening = {
        (o.seller_sku, o.warehouse_id): o.quantity
        for o in session.scalars(select(OpeningStock).where(OpeningStock.team_id == team_id))
    }
    return [
        StockCount(
            seller_sku=level.seller_sku,
            warehouse_id=level.warehouse_id,
            platform_quantity=level.platform_quantity,
            sheet_quantity=level.sheet_quantity,
            reorder_point=level.reorder_point,
            location=level.location or "",
            supplier_note=level.supplier_note or "",
            product_name=level.product_name,
            lead_time_days=level.lead_time_days,
            opening=opening.get((level.seller_sku, level.warehouse_id)),
        )
        for level in session.scalars(select(StockLevel).where(StockLevel.team_id == team_id))
    ]


# -- what is on its way, and how fast it sells ------------------------------------------------------------


def arrivals(session: Session, team_id: int) -> list[Arrival]:
    """Units bought and not arrived yet, per SKU and receiving warehouse, with the day they are expected
    (the consolidation's, else the line's); a line still waiting for its SKU is counted nowhere."""
    rows = session.execute(
        select(
            PurchaseLine.seller_sku,
            PurchaseLine.status,
            PurchaseLine.quantity_ordered,
            PurchaseLine.quantity_received,
            PurchaseLine.warehouse_id,
            PurchaseLine.expected_on,
            Consolidation.status,
            Consolidation.warehouse_id,
            Consolidation.expected_on,
        )
        .outerjoin(Consolidation, Consolidation.id == PurchaseLine.consolidation_id)
        .where(PurchaseLine.team_id == team_id, PurchaseLine.seller_sku.is_not(None))
    )
    found = []
    for sku, own, ordered, received, warehouse, expected, carried, into, due in rows:
        if sku and line_status(own, carried) in ON_THE_WAY:
            quantity = received if received is not None else ordered
            found.append(Arrival(sku, into or warehouse, quantity, due or expected))
    return found


def sold(session: Session, shop_ids: Sequence[int], now: datetime) -> dict[tuple[str, str], tuple[int, int]]:
    """Units sold per (SKU, warehouse) in the last 7 and 30 days: paid orders, cancelled lines left out."""
    if not shop_ids:
        return {}
    week = now - timedelta(days=7)
    rows = session.execute(
        select(OrderLine.seller_sku, OrderLine.sku_id, Order.warehouse_id, Order.paid_at)
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            Order.shop_id.in_(shop_ids),
            Order.paid_at >= now - timedelta(days=30),
            Order.status != CANCELLED_STATUS,
            OrderLine.display_status.is_distinct_from(CANCELLED_STATUS),
        )
    )
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for seller_sku, sku_id, warehouse, paid_at in rows:
        found = counts[(seller_sku or sku_id, warehouse or "")]
        found[0] += paid_at is not None and paid_at >= week
        found[1] += 1
    return {key: (week_units, month_units) for key, (week_units, month_units) in counts.items()}


def lead_times(session: Session, team_id: int, recent: int = 5) -> dict[str, int]:
    """Per SKU, the median days from ordering to arrival of its last `recent` arrived purchase lines."""
    rows = session.execute(
        select(PurchaseLine.seller_sku, PurchaseOrder.ordered_on, PurchaseLine.arrived_on, Consolidation.arrived_on)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseLine.order_id)
        .outerjoin(Consolidation, Consolidation.id == PurchaseLine.consolidation_id)
        .where(
            PurchaseLine.team_id == team_id, PurchaseLine.seller_sku.is_not(None), PurchaseOrder.ordered_on.is_not(None)
        )
    )
    took: dict[str, list[tuple[date, int]]] = defaultdict(list)
    for sku, ordered_on, own, carried in rows:
        arrived = carried or own
        if sku and arrived is not None and ordered_on is not None and arrived >= ordered_on:
            took[sku].append((arrived, (arrived - ordered_on).days))
    return {sku: int(median(days for _, days in sorted(found)[-recent:])) for sku, found in took.items()}


# -- the push-time pass -------------------------------------------------------------------------------


def prepare(
    session: Session, team_id: int, now: datetime | None = None, changed: Collection[int] | None = None
) -> TeamStock:
    """Allocate, raise/resolve stock-outs, alert low stock and review orders, storing what it finds.

    `changed` None: the whole team (once per session; the warehouse tabs need its allocation). Else
    only what these orders can affect (see the module's docstring); its `allocation` then covers the
    counted SKUs only and it has no pack list.
    """
    cached: dict[int, TeamStock] = session.info.setdefault(CACHE, {})
    if team_id in cached:
        return cached[team_id]
    now = now or utcnow()
    # Team-wide rows (reviews, stock-outs, alerts) are written here: pushes of the team's other
    # spreadsheets, in other processes, wait on the team's row until this one's transaction ends.
    team = session.get_one(Team, team_id, with_for_update=TEAM_LOCK)
    shop_ids = _shop_ids(session, team_id)
    counts = stock_counts(session, team_id)
    units: list[PackUnit] = []
    if changed is None:
        orders = pass_orders(session, shop_ids, now)
        demands, units = demands_of(orders.open)
        allocation = _with_outlook(session, team_id, shop_ids, now, allocate(demands, counts))
        reviewed = review.review_orders(session, shop_ids, orders.recent, now)
        packs = pack_rows(units, allocation)
    else:
        demands = demands_of(_counted_open_orders(session, shop_ids, counts))[0]
        allocation = _with_outlook(session, team_id, shop_ids, now, allocate(demands, counts))
        subjects, typical = review.changed_subjects(session, shop_ids, changed, now)
        reviewed = review.review_orders(session, shop_ids, subjects, now, typical)
        packs = ()
    sync_stock_outs(session, team, allocation, now)
    alert_low_stock(session, team, allocation, now)
    touched = reviewed.changed | store_shortfalls(session, shop_ids, allocation, now)
    result = TeamStock(
        allocation, packs, reviewed.flags, frozenset(touched), tuple(demands), tuple(units), tuple(counts)
    )
    if changed is None:
        cached[team_id] = result
    return result


@dataclass(frozen=True)
class CaughtUp:
    """A pass run for the team's notes: what it found, what it covered, and the notes it read (for the
    caller to consume, last: see `catch_up`)."""

    found: TeamStock
    covered: str  # WHOLE_TEAM, or "N changed orders"
    notes: sheet_changes.Pending


def catch_up(session: Session, team_id: int, now: datetime, whole: bool = False) -> CaughtUp | None:
    """The pass for the orders changed since the team's last pass (the whole team when asked, when stock or
    anything may have moved, or after a backfill); None when no pass is due: the push of another of the
    team's spreadsheets already ran it for the same changes.

    The team's row is locked before the notes are read, so concurrent pushes of the team's spreadsheets
    take turns and each reads only what the previous one left. The caller consumes the notes as the
    transaction's last statement: ingest locks a binding, then its notes, then the team's, and a pass
    that held the team's notes while it marked bindings would deadlock with it."""
    session.get_one(Team, team_id, with_for_update=TEAM_LOCK)
    notes = sheet_changes.stock_pending(session, team_id)
    changed = notes.orders
    whole = whole or notes.everything or notes.stock or len(changed) > WHOLE_AT
    if not whole and not changed:
        return None
    found = prepare(session, team_id, now, None if whole else changed)
    return CaughtUp(found, WHOLE_TEAM if whole else f"{len(changed)} changed orders", notes)


def remember(session: Session, team_id: int, found: TeamStock) -> None:
    """Let `session` use a whole-team pass that another session made and committed, not make its own."""
    session.info.setdefault(CACHE, {})[team_id] = found


def _with_outlook(
    session: Session, team_id: int, shop_ids: Sequence[int], now: datetime, allocation: Allocation
) -> Allocation:
    """The allocation with what is on its way, recent sales and lead times (the stock tab's outlook)."""
    return with_outlook(
        allocation, arrivals(session, team_id), sold(session, shop_ids, now), lead_times(session, team_id)
    )


def _counted_open_orders(session: Session, shop_ids: Sequence[int], counts: Sequence[StockCount]) -> list[Order]:
    """Open orders with a line of a SKU whose stock is counted: only those can fall short."""
    counted = sorted({c.seller_sku for c in counts if c.on_hand is not None})
    if not counted or not shop_ids:
        return []
    sku = func.coalesce(OrderLine.seller_sku, OrderLine.sku_id)
    wanting = select(OrderLine.order_id).where(sku.in_(counted))
    query = (
        select(Order)
        .where(Order.shop_id.in_(shop_ids), Order.status.in_(PICKABLE_STATUSES), Order.is_on_hold.is_(False))
        .where(Order.id.in_(wanting))
        .options(selectinload(Order.lines), selectinload(Order.packages))
        .order_by(Order.id)
    )
    return list(session.scalars(query))


def store_shortfalls(session: Session, shop_ids: Sequence[int], allocation: Allocation, now: datetime) -> set[int]:
    """Store each order's shortfall label (empty once it is no longer short); the ids whose label changed."""
    wanted = {order_id: allocation.short_label(order_id) for order_id in allocation.shortfalls}
    stored: dict[int, str] = {}
    if shop_ids:
        rows = session.execute(
            select(OrderReview.order_id, OrderReview.stock_short)
            .join(Order, Order.id == OrderReview.order_id)
            .where(Order.shop_id.in_(shop_ids), OrderReview.stock_short != "")
        )
        stored = {order_id: label for order_id, label in rows}
    moved = {i for i in wanted.keys() | stored.keys() if wanted.get(i, "") != stored.get(i, "")}
    fresh = [i for i in sorted(moved) if i in wanted and i not in stored]
    if fresh:
        new_rows = insert_ignoring_duplicates(session, OrderReview, ["order_id"])
        session.execute(new_rows, [{"order_id": i, "flags": [], "reviewed_at": now} for i in fresh])
    for order_id in sorted(moved):
        session.execute(
            update(OrderReview).where(OrderReview.order_id == order_id).values(stock_short=wanted.get(order_id, ""))
        )
    return moved


def overlay(session: Session, views: Sequence[OrderView]) -> list[OrderView]:
    """The views with their stock shortfall and review flags as the push-time pass last stored them."""
    stored: dict[int, tuple[str, tuple[str, ...]]] = {}
    for part in chunks([v.order_id for v in views]):
        rows = session.execute(
            select(OrderReview.order_id, OrderReview.stock_short, OrderReview.flags).where(
                among(session, OrderReview.order_id, part)
            )
        )
        stored |= {order_id: (short, tuple(flags)) for order_id, short, flags in rows}
    return [
        replace(view, stock_short=found[0], review_flags=found[1])
        if (found := stored.get(view.order_id)) is not None and found != (view.stock_short, view.review_flags)
        else view
        for view in views
    ]


def warehouse_rows(
    session: Session, team_id: int, now: datetime | None = None, shop_ids: Collection[int] = ()
) -> WarehouseRows:
    return prepare(session, team_id, now).rows(shop_ids)


def sync_stock_outs(session: Session, team: Team, allocation: Allocation, now: datetime) -> tuple[int, int]:
    """Raise one stock-out per short (order, SKU) and resolve those no longer short; (raised, resolved)."""
    wanted = {
        f"{STOCK_OUT}:{order_id}:{short.seller_sku}": (order_id, short)
        for order_id, shorts in allocation.shortfalls.items()
        for short in shorts
    }
    open_cases = session.scalars(
        select(ExceptionCase).where(
            ExceptionCase.team_id == team.id,
            ExceptionCase.status == "open",
            ExceptionCase.template_key == STOCK_OUT,
            ExceptionCase.raised_by == workflow.SYSTEM,
        )
    ).all()
    resolved = 0
    for case in open_cases:
        found = wanted.get(case.dedupe_key or "")
        if found is None:
            # A later shortage of the same order and SKU is a new case: free the key for it.
            case.dedupe_key = f"{case.dedupe_key}:resolved:{case.id}"[:255]
            workflow.resolve_automatic(session, case, "stock arrived (or the order no longer waits for it)", now=now)
            resolved += 1
        elif (fields := _stock_out_fields(found[1])) != {k: case.fields.get(k) for k in fields}:
            case.fields = {**case.fields, **fields}
    have = {c.dedupe_key for c in open_cases}
    raised = 0
    for key, (order_id, short) in sorted(wanted.items()):
        if key not in have:
            fields = {k: v for k, v in _stock_out_fields(short).items() if v is not None}
            workflow.raise_exception(
                session,
                team,
                STOCK_OUT,
                actor=workflow.SYSTEM,
                order_id=order_id,
                fields=fields,
                dedupe_key=key,
                now=now,
            )
            raised += 1
    return raised, resolved


def _stock_out_fields(short: Shortfall) -> dict[str, Any]:
    """A stock-out case's fields: the SKU, the units short and when the arrival covering them is due."""
    due = short.due.isoformat() if short.due else None
    return {"seller_sku": short.seller_sku, "quantity_short": short.units, "restock_date": due}


def alert_low_stock(session: Session, team: Team, allocation: Allocation, now: datetime) -> int:
    """One Discord message per low SKU per day (the team's day), through the notification outbox."""
    low = allocation.low_stock
    if not low:
        return 0
    day = now.astimezone(team_zone(team)).date().isoformat()
    channels = notify.channels_for(session, "low_stock", [team.id])[team.id]  # read once, not once per SKU
    if not channels:
        return 0
    return sum(
        notify.enqueue(
            session,
            team.id,
            "low_stock",
            f"stock:{p.count.label}"[:64],
            low_stock_message(team.name, day, [p]),
            variant=day,
            channel_ids=channels,
            now=now,
        )
        for p in low
    )


# -- the platforms' counts -------------------------------------------------------------------------------


def store_inventory(session: Session, team_id: int, found: Iterable[SkuInventory], now: datetime) -> int:
    """Upsert the platform's count per SKU and warehouse; returns the rows whose count changed.

    One shelf per SKU: a channel that counts no warehouse (Shopee) sees the same units another channel
    counts per warehouse (TikTok), so its count never opens a second pool next to a warehouse's, and a
    warehouse's count replaces an any-warehouse count nobody typed.
    """
    levels = {
        (s.seller_sku, s.warehouse_id): s
        for s in session.scalars(select(StockLevel).where(StockLevel.team_id == team_id))
    }
    shelved = {sku for sku, warehouse in levels if warehouse != ANY_WAREHOUSE}
    changed = 0
    for item in found:
        sku = item.seller_sku or item.sku_id
        for stock in item.warehouses:
            if stock.warehouse_id == ANY_WAREHOUSE and sku in shelved:
                continue
            loose = levels.get((sku, ANY_WAREHOUSE))
            if stock.warehouse_id != ANY_WAREHOUSE and loose is not None and loose.source == "platform":
                session.delete(levels.pop((sku, ANY_WAREHOUSE)))
                shelved.add(sku)
            level = levels.get((sku, stock.warehouse_id))
            if level is None:
                level = levels[(sku, stock.warehouse_id)] = StockLevel(
                    team_id=team_id, seller_sku=sku, warehouse_id=stock.warehouse_id, source="platform"
                )
                session.add(level)
            if (level.platform_available, level.platform_committed) != (stock.available, stock.committed):
                level.platform_available, level.platform_committed = stock.available, stock.committed
                changed += 1
            level.platform_checked_at = now
    return changed


def refresh_inventory(db: Database, platform: Platform, shop_id: int, now: datetime | None = None) -> int:
    """Ask the platform for the stock of every SKU the shop's open or recent orders name; commits."""
    now = now or utcnow()
    with db.session() as session:
        shop = session.get_one(Shop, shop_id)
        skus = [
            SkuRef(product_id or "", sku_id)
            for sku_id, product_id in session.execute(
                select(OrderLine.sku_id, OrderLine.product_id)
                .join(Order, Order.id == OrderLine.order_id)
                .where(
                    Order.shop_id == shop.id,
                    (Order.status.in_(PICKABLE_STATUSES)) | (Order.platform_create_time >= now - REVIEW_LOOKBACK),
                )
                .distinct()
            )
        ]
        if not skus:
            return 0
        failures: list[OrderMappingError] = []
        with client_for(db, platform, shop) as client:
            found = client.stock(skus, failures=failures)
        record_mapping_failures(session, shop.id, failures, source="inventory")
        names = dict(
            session.execute(
                select(OrderLine.sku_id, OrderLine.product_name)
                .join(Order, Order.id == OrderLine.order_id)
                .where(Order.shop_id == shop.id, OrderLine.sku_id.in_([f.sku_id for f in found]))
            ).all()
        )
        changed = store_inventory(session, shop.team_id, found, now)
        name_of: dict[str, str] = {}
        for f in found:
            if f.sku_id in names:
                name_of.setdefault(f.seller_sku or f.sku_id, names[f.sku_id])
        for level in session.scalars(select(StockLevel).where(StockLevel.team_id == shop.team_id)):
            if not level.product_name:
                level.product_name = name_of.get(level.seller_sku, "")
        if changed:
            _mark_team_dirty(session, shop.team_id)
        return changed


def _mark_team_dirty(session: Session, team_id: int) -> None:
    """Stock moved: every tab's next push reallocates the team (and re-reads the orders whose shortfall moved)."""
    for shop_id in _shop_ids(session, team_id):
        mark_bindings_dirty(session, team_id, shop_id, [STOCK])


# -- edits from the procurement tab ------------------------------------------------------------------------


@dataclass(frozen=True)
class StockEditAccepted:
    """The row as stored, keyed by the stock tab's column keys (what the sheet should now show)."""

    row: dict[str, Any]


@dataclass(frozen=True)
class StockEditRejected:
    """Why the row was refused, and the column to point at (None: the row as a whole)."""

    message: str
    column: str | None = None


StockEditResult = StockEditAccepted | StockEditRejected
NUMBER_COLUMNS = {
    "stock_on_hand": "On hand",
    "stock_reorder_point": "Reorder point",
    "stock_lead_time": "Lead time (days)",
    "stock_opening": "Opening stock",
}
TEXT_LIMITS = {"stock_supplier_note": ("Supplier note", 1024), "stock_location": ("Location", 128)}
# The stock tab's input columns: what procurement may type (sheet edits route them to apply_stock_edit).
EDITABLE = (*NUMBER_COLUMNS, *TEXT_LIMITS)


class _Refused(Exception):
    def __init__(self, message: str, column: str | None = None) -> None:
        super().__init__(message)
        self.message, self.column = message, column


def _whole(value: object, column: str) -> int | None:
    label = NUMBER_COLUMNS[column]
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise _Refused(Phrase("{label} must be a whole number of units, 0 or more (got {value!r})",
                              label=Phrase(label), value=value), column)  # fmt: skip
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if not text.isdigit():
        raise _Refused(Phrase("{label} must be a whole number of units, 0 or more (got {value!r})",
                              label=Phrase(label), value=text), column)  # fmt: skip
    return int(text)


def _closest(value: str, known: Iterable[str]) -> str:
    guess = difflib.get_close_matches(value, list(known), n=1, cutoff=0.6)
    return Phrase("; did you mean {guess!r}?", guess=guess[0]) if guess else ""


def known(session: Session, team_id: int) -> tuple[set[str], set[str]]:
    """SKUs and warehouses the team has: from its stock rows and its orders."""
    levels = session.execute(
        select(StockLevel.seller_sku, StockLevel.warehouse_id).where(StockLevel.team_id == team_id)
    )
    skus, warehouses = set(), set()
    for sku, warehouse in levels:
        skus.add(sku)
        warehouses.add(warehouse)
    shop_ids = _shop_ids(session, team_id)
    if shop_ids:
        lines = session.execute(
            select(OrderLine.seller_sku, OrderLine.sku_id)
            .join(Order, Order.id == OrderLine.order_id)
            .where(Order.shop_id.in_(shop_ids))
            .distinct()
        )
        skus |= {seller_sku or sku_id for seller_sku, sku_id in lines}
        warehouses |= set(
            session.scalars(
                select(Order.warehouse_id)
                .where(Order.shop_id.in_(shop_ids), Order.warehouse_id.is_not(None))
                .distinct()
            )
        )
    warehouses.discard("")
    return skus, warehouses


def _target(row: Mapping[str, object], skus: set[str], warehouses: set[str]) -> tuple[str, str]:
    sku = str(row.get("stock_sku") or "").strip()
    warehouse = str(row.get("stock_warehouse") or "").strip()
    if not sku and row.get("stock_key"):
        sku, _, warehouse = str(row["stock_key"]).partition(" @ ")
        sku, warehouse = sku.strip(), warehouse.strip()
    if not sku:
        raise _Refused("the row names no SKU", "stock_sku")
    if sku not in skus:
        raise _Refused(Phrase("unknown SKU {sku!r}{closest}", sku=sku, closest=_closest(sku, skus)), "stock_sku")
    if warehouse and warehouse not in warehouses:
        known = ", ".join(sorted(warehouses)) or Phrase("none yet")
        closest = _closest(warehouse, warehouses)
        raise _Refused(
            Phrase("unknown warehouse {warehouse!r}{closest} (known: {known})", warehouse=warehouse, closest=closest,
                   known=known), "stock_warehouse"
        )  # fmt: skip
    if not warehouse and len(warehouses) > 1:
        raise _Refused(Phrase("say which warehouse: {warehouses}", warehouses=", ".join(sorted(warehouses))),
                       "stock_warehouse")  # fmt: skip
    return sku, warehouse or next(iter(warehouses), "")


def apply_stock_edit(session: Session, team: Team, member_email: str, row: Mapping[str, object]) -> StockEditResult:
    """Validate one stock-tab row from the sheet and store it; the next push re-allocates.

    `row` holds the stock tab's column keys (stock_key or stock_sku + stock_warehouse, stock_on_hand,
    stock_reorder_point, stock_supplier_note, stock_location); absent keys are left as they are,
    blank ones are cleared (a blank "On hand" hands the count back to TikTok's).
    """
    email = member_email.strip().lower()
    role = session.scalar(select(Member.role).where(Member.team_id == team.id, Member.email == email))
    if role not in EDITORS:
        who = (
            Phrase("the {role} role", role=Phrase(role))
            if role
            else Phrase("{email}, who is not in {team},", email=member_email, team=team.name)
        )
        return StockEditRejected(Phrase("{who} cannot edit {what}; procurement or an admin can", who=who,
                                        what=Phrase("stock")))  # fmt: skip
    try:
        sku, warehouse = _target(row, *known(session, team.id))
        numbers = {c: _whole(row[c], c) for c in NUMBER_COLUMNS if c in row}
        texts = {}
        for column, (label, limit) in TEXT_LIMITS.items():
            if column in row:
                text = str(row[column] or "").strip()
                if len(text) > limit:
                    raise _Refused(Phrase("{label} is at most {limit} characters", label=Phrase(label), limit=limit),
                                   column)  # fmt: skip
                texts[column] = text or None
    except _Refused as refused:
        return StockEditRejected(refused.message, refused.column)
    level = session.scalar(
        select(StockLevel).where(
            StockLevel.team_id == team.id, StockLevel.seller_sku == sku, StockLevel.warehouse_id == warehouse
        )
    )
    if level is None:
        level = StockLevel(team_id=team.id, seller_sku=sku, warehouse_id=warehouse)
        session.add(level)
    before = {"on_hand": level.sheet_quantity, "reorder_point": level.reorder_point}
    if "stock_on_hand" in numbers:
        level.sheet_quantity = numbers["stock_on_hand"]
    if "stock_reorder_point" in numbers:
        level.reorder_point = numbers["stock_reorder_point"]
    if "stock_supplier_note" in texts:
        level.supplier_note = texts["stock_supplier_note"]
    if "stock_location" in texts:
        level.location = texts["stock_location"]
    if "stock_lead_time" in numbers:
        level.lead_time_days = numbers["stock_lead_time"]
    opening = _opening(session, team, (sku, warehouse), numbers, email)
    level.source = "sheet" if level.sheet_quantity is not None else "platform"
    level.updated_by, level.updated_at = email, utcnow()
    session.add(
        AuditEntry(
            team_id=team.id,
            actor=email,
            action="stock.edit",
            target_type="stock",
            target_id=f"{sku}@{warehouse}"[:128],
            detail={"before": before, "on_hand": level.sheet_quantity, "reorder_point": level.reorder_point},
        )
    )
    session.flush()
    _mark_team_dirty(session, team.id)
    count = StockCount(sku, warehouse)
    return StockEditAccepted(
        {
            "stock_key": count.label,
            "stock_sku": sku,
            "stock_warehouse": warehouse,
            "stock_on_hand": level.sheet_quantity,
            "stock_reorder_point": level.reorder_point,
            "stock_supplier_note": level.supplier_note or "",
            "stock_location": level.location or "",
            "stock_lead_time": level.lead_time_days,
            "stock_opening": opening.quantity if opening else None,
        }
    )


def _opening(
    session: Session, team: Team, pool: tuple[str, str], numbers: Mapping[str, int | None], email: str
) -> OpeningStock | None:
    """The SKU's opening stock at go-live, changed when typed: typing one starts FIFO costing the next day."""
    sku, warehouse = pool
    row = session.scalar(
        select(OpeningStock).where(
            OpeningStock.team_id == team.id, OpeningStock.seller_sku == sku, OpeningStock.warehouse_id == warehouse
        )
    )
    if "stock_opening" not in numbers:
        return row
    if row is None:
        row = OpeningStock(team_id=team.id, seller_sku=sku, warehouse_id=warehouse,
                           as_of=datetime.now(team_zone(team)).date())  # fmt: skip
        session.add(row)
    row.quantity, row.updated_by = numbers["stock_opening"], email
    return row
