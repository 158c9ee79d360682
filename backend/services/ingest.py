"""The one idempotent way an order enters the database, whether from sync, webhook or CSV.

Keyed on (shop, order id). An incoming payload older than the stored one is ignored (webhooks
arrive out of order and syncs overlap); an identical one changes nothing; anything else updates
the order, its lines and packages, and records each status change as an order event.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Dialect, String, bindparam, select, update
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from backend.db import Row, among, bound, insert_rows, joined, keyed, new_ids, write_rows
from backend.domain import retention
from backend.domain.status import OrderStatus
from backend.domain.text import SHORTEST_CUT, cut
from backend.models import (
    Base,
    FailedItem,
    Order,
    OrderEvent,
    OrderLine,
    Package,
    SheetBinding,
    Shop,
    Spreadsheet,
    Team,
    order_packages,
    shows_shop,
    utcnow,
)
from backend.platforms import registry
from backend.platforms.base import (
    OrderMappingError,
    PlatformLineItem,
    PlatformOrder,
    PlatformPackage,
    without_personal,
)
from backend.services import sheet_changes


@dataclass
class IngestResult:
    """What one batch did; `changed` are the ids of orders whose stored data moved."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0
    changed: list[int] = field(default_factory=list)
    new_external_ids: list[str] = field(default_factory=list)
    updated_external_ids: list[str] = field(default_factory=list)
    refused: list[OrderMappingError] = field(default_factory=list)  # orders an id or code too long kept out

    def add(self, other: IngestResult) -> None:
        """Count another batch in; its ids stay with it (a backfill's run would otherwise keep them all), its
        refused orders (each one a failure to report) do not."""
        self.refused += other.refused
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.stale += other.stale


# Columns whose value is looked up or matched, so a cut one would be a different value: too long, the order is refused.
IDENTIFIERS = frozenset(
    {
        "sku_id",
        "product_id",
        "seller_sku",
        "package_external_id",
        "tracking_number",
        "shipping_provider_id",
        "warehouse_id",
        "buyer_user_id",
    }
)


@cache
def column_lengths(model: type[Base]) -> dict[str, int]:
    """Column name → the most characters it keeps (String(n) columns only)."""
    return {c.name: c.type.length for c in model.__table__.columns if isinstance(c.type, String) and c.type.length}


@cache
def _limits(model: type[Base]) -> tuple[tuple[str, int, bool], ...]:
    """(column, most characters, whether too long refuses the order) for each String(n) column."""
    return tuple(
        (name, limit, name in IDENTIFIERS or limit < SHORTEST_CUT) for name, limit in column_lengths(model).items()
    )


class _TooLong(ValueError):
    def __init__(self, name: str, length: int, limit: int) -> None:
        super().__init__(f"has {length:,} characters; OrderDeck keeps at most {limit}")
        self.name = name


def _fit(model: type[Base], values: dict[str, Any]) -> dict[str, Any]:
    """Platform text cut with a marker to its column, so one long product name cannot fail a page on
    PostgreSQL; an identifier or a short code too long for its column raises _TooLong instead."""
    for name, limit, refuse in _limits(model):
        value = values.get(name)
        if not isinstance(value, str) or len(value) <= limit:
            continue
        if refuse:
            raise _TooLong(name, len(value), limit)
        values[name] = cut(value, limit)
    return values


@dataclass
class _Rows:
    """A new order's row and its lines' rows as the driver takes them, but for the ids the database gives."""

    dialect: Dialect
    order: Row  # values in _Incoming.values' order
    lines: list[Row]  # (external id, *fields in _line_fields' order), one per line


@dataclass
class _Incoming:
    """An incoming order with its column values, computed (and cut to fit) once for the whole batch."""

    order: PlatformOrder
    values: dict[str, Any]
    lines: list[dict[str, Any]]  # one per order.line_items, in order
    packages: dict[str, dict[str, Any]]  # package id → its columns
    ready: _Rows | None = None  # what a new order inserts, when worked out ahead (`prepare` with a dialect)

    def rows(self, dialect: Dialect) -> _Rows:
        """The rows a new order inserts, in `dialect` (worked out now unless `prepare` did)."""
        if self.ready is None or self.ready.dialect is not dialect:
            line_keys = ("external_id", *self.lines[0]) if self.lines else ("external_id",)
            convert_line = bound(dialect, OrderLine, line_keys)
            self.ready = _Rows(
                dialect,
                bound(dialect, Order, tuple(self.values))(tuple(self.values.values())),
                [
                    convert_line((item.line_id, *fields.values()))
                    for item, fields in zip(self.order.line_items, self.lines, strict=True)
                ],
            )
        return self.ready


@dataclass
class Prepared:
    """A batch's orders with their column values, worked out without the database: a sync prepares its
    next page in a thread while the database stores this one."""

    batch: list[_Incoming]
    refused: list[OrderMappingError]


def prepare(
    orders: Sequence[PlatformOrder], dialect: Dialect | None = None, between: Callable[[], object] | None = None
) -> Prepared:
    """The orders whose ids and codes fit their columns, with their values; each other one refused alone,
    with why. With the database's `dialect`, each order's rows as a new order inserts them, too (most of a
    first sync's Python work, done here while the database stores the page before); `between` runs after
    each order."""
    id_limit = column_lengths(Order)["external_id"]
    kept, refused = [], []
    for o in orders:
        try:
            for key in (o.order_id, *(i.line_id for i in o.line_items), *(p.package_id for p in o.packages)):
                if len(key) > id_limit:
                    raise _TooLong("id", len(key), id_limit)
            incoming = _Incoming(
                o,
                _order_fields(o),
                [_line_fields(item) for item in o.line_items],
                {p.package_id: _package_fields(p) for p in o.packages},
            )
        except _TooLong as exc:
            refused.append(OrderMappingError(o.order_id[:id_limit], exc.name, str(exc)))
            continue
        if dialect is not None:
            incoming.rows(dialect)
        if between is not None:
            between()
        kept.append(incoming)
    return Prepared(kept, refused)


def _status_time(incoming: PlatformOrder) -> datetime:
    """When the order reached its current status, from the platform's own milestone times."""
    milestone = {
        OrderStatus.AWAITING_SHIPMENT: incoming.paid_time,
        OrderStatus.ON_HOLD: incoming.paid_time,
        OrderStatus.AWAITING_COLLECTION: incoming.rts_time,
        OrderStatus.IN_TRANSIT: incoming.collection_time,
        OrderStatus.DELIVERED: incoming.delivery_time,
        OrderStatus.CANCELLED: incoming.cancellation.cancel_time if incoming.cancellation else None,
        OrderStatus.UNPAID: incoming.create_time,
    }.get(incoming.status)
    return milestone or incoming.update_time


def _order_fields(o: PlatformOrder) -> dict[str, Any]:
    pay, sla, cancel, rcpt = o.payment, o.sla, o.cancellation, o.recipient
    fields = {
        "status": o.status,
        "platform_update_time": o.update_time,
        "platform_create_time": o.create_time,
        "paid_at": o.paid_time,
        "rts_at": o.rts_time,
        "collection_at": o.collection_time,
        "delivery_at": o.delivery_time,
        "cancel_at": cancel.cancel_time if cancel else None,
        "rts_sla_at": sla.rts_sla_time,
        "tts_sla_at": sla.tts_sla_time,
        "delivery_sla_at": sla.delivery_sla_time,
        "cancel_order_sla_at": sla.cancel_order_sla_time,
        "shipping_due_at": sla.shipping_due_time,
        "collection_due_at": sla.collection_due_time,
        "delivery_due_at": sla.delivery_due_time,
        "pick_up_cut_off_at": sla.pick_up_cut_off_time,
        "fast_dispatch_sla_at": sla.fast_dispatch_sla_time,
        "recommended_shipping_at": sla.recommended_shipping_time,
        "is_on_hold": o.is_on_hold or o.status == OrderStatus.ON_HOLD,
        "cancel_reason": cancel.reason or None if cancel else None,
        "cancellation_initiator": cancel.initiator or None if cancel else None,
        "is_buyer_request_cancel": bool(cancel and cancel.is_buyer_request_cancel),
        "fulfillment_type": o.fulfillment_type or None,
        "shipping_type": o.shipping_type or None,
        "delivery_option_name": o.delivery_option_name or None,
        "delivery_option_id": o.delivery_option_id or None,
        "shipping_provider": next((p.shipping_provider_name for p in o.packages if p.shipping_provider_name), None),
        "shipping_provider_id": next((p.shipping_provider_id for p in o.packages if p.shipping_provider_id), None),
        "tracking_number": next((p.tracking_number for p in o.packages if p.tracking_number), None),
        "warehouse_id": o.warehouse_id or None,
        "buyer_message": o.buyer_message or None,
        "seller_note": o.seller_note or None,
        "currency": pay.currency,
        "subtotal": pay.sub_total,
        "shipping_fee": pay.shipping_fee,
        "seller_discount": pay.seller_discount,
        "platform_discount": pay.platform_discount,
        "tax": pay.tax,
        "total_amount": pay.total_amount,
        "original_total_product_price": pay.original_total_product_price,
        "original_shipping_fee": pay.original_shipping_fee,
        "buyer_user_id": o.buyer_user_id or None,
        "recipient_name": rcpt.name or None if rcpt else None,
        "recipient_phone": rcpt.phone_number or None if rcpt else None,
        "recipient_address": rcpt.full_address or None if rcpt else None,
        "recipient_postal_code": rcpt.postal_code or None if rcpt else None,
        "recipient_region_code": rcpt.region_code or None if rcpt else None,
        "raw": dict(o.raw),
    }
    return _fit(Order, fields)


def _line_fields(item: PlatformLineItem) -> dict[str, Any]:
    fields = {
        "sku_id": item.sku_id,
        "product_id": item.product_id or None,
        "seller_sku": item.seller_sku or None,
        "product_name": item.product_name,
        "sku_name": item.sku_name or None,
        "currency": item.currency,
        "original_price": item.original_price,
        "sale_price": item.sale_price,
        "seller_discount": item.seller_discount,
        "platform_discount": item.platform_discount,
        "display_status": item.display_status or None,
        "package_external_id": item.package_id,
        "tracking_number": item.tracking_number,
        "shipping_provider_name": item.shipping_provider_name,
        "cancel_reason": item.cancel_reason,
        "is_gift": item.is_gift,
    }
    return _fit(OrderLine, fields)


# Every column the model marks personal (recipient, buyer id, buyer message, seller note), except the payload.
PERSONAL_COLUMNS = tuple(c.key for c in Order.__table__.columns if c.info.get("personal") and c.key != "raw")


def masked(values: Mapping[str, Any], platform: str) -> dict[str, Any]:
    """Order column values with every personal value that is there replaced by the mask, and the raw
    payload's personal fields (which ones is the platform's: Channel.personal_fields) emptied."""
    out = dict(values)
    for key in PERSONAL_COLUMNS:
        if out.get(key):
            out[key] = retention.MASK
    if out.get("raw") is not None:
        out["raw"] = without_personal(out["raw"], registry.channel(platform).personal_fields)
    return out


def mask_if_expired(
    values: dict[str, Any], platform: str, retention_days: int, masked_at: datetime | None, now: datetime
) -> bool:
    """Mask an incoming order's values in place when it was masked before (`masked_at`) or its retention
    has run out: a sync never brings back what the retention sweep masked. Whether it masked them."""
    ended = retention.ended_at(values["status"], values["delivery_at"], values["cancel_at"],
                               values["platform_update_time"])  # fmt: skip
    if masked_at is None and not retention.expired(ended, retention_days, now):
        return False
    values.update(masked(values, platform), personal_masked_at=masked_at or now)
    return True


def _apply(target: Any, values: dict[str, Any]) -> None:
    for key, value in values.items():
        if getattr(target, key) != value:
            setattr(target, key, value)


def _written(order: Order, values: dict[str, Any]) -> None:
    """Set the loaded order to what the UPDATE of `values` writes, without the ORM writing it again: only
    the columns that move (a status change moves a handful of an order's fifty)."""
    loaded = order.__dict__
    for key, value in values.items():
        if loaded.get(key) != value:
            set_committed_value(order, key, value)


def _sync_lines(order: Order, incoming: _Incoming) -> None:
    by_id = {line.external_id: line for line in order.lines}
    keep = set()
    for item, fields in zip(incoming.order.line_items, incoming.lines, strict=True):
        keep.add(item.line_id)
        line = by_id.get(item.line_id)
        if line is None:
            order.lines.append(OrderLine(external_id=item.line_id, **fields))
        else:
            _apply(line, fields)
    for line in list(order.lines):
        if line.external_id not in keep:
            order.lines.remove(line)


def _package_fields(info: PlatformPackage) -> dict[str, Any]:
    fields = {
        "tracking_number": info.tracking_number,
        "shipping_provider_id": info.shipping_provider_id,
        "shipping_provider_name": info.shipping_provider_name,
    }
    return _fit(Package, fields)


def _sync_packages(session: Session, shop: Shop, order: Order, incoming: _Incoming, known: dict[str, Package]) -> None:
    """Link the order's packages; `known` holds the batch's, so a parcel shared by two orders is one row."""
    wanted = incoming.packages
    if not wanted and not order.packages:
        return
    linked: list[Package] = []
    for package_id, fields in wanted.items():
        package = known.get(package_id)
        if package is None:
            package = known[package_id] = Package(shop_id=shop.id, external_id=package_id)
            session.add(package)
        _apply(package, fields)
        linked.append(package)
    if {p.external_id for p in order.packages} != set(wanted):
        order.packages = linked


def ingest_orders(
    session: Session,
    shop: Shop,
    orders: Sequence[PlatformOrder] | Prepared,
    *,
    source: str = "api",
    actor: str = "sync",
) -> IngestResult:
    """Upsert a batch of orders for one shop (or a batch `prepare` made); the caller commits (one
    transaction per page)."""
    prepared = orders if isinstance(orders, Prepared) else prepare(orders)
    result = IngestResult(refused=list(prepared.refused))
    batch = prepared.batch
    if not batch:
        return result
    ids = [i.order.order_id for i in batch]
    stored = {
        o.external_id: o
        for o in session.scalars(
            select(Order)
            .where(Order.shop_id == shop.id, among(session, Order.external_id, ids))
            .options(selectinload(Order.lines), selectinload(Order.packages))
        )
    }
    # One query for the batch's packages, none per order: a query would flush the batch order by order.
    package_ids = {package_id for i in batch for package_id in i.packages}
    known = {
        p.external_id: p
        for p in session.scalars(
            select(Package).where(Package.shop_id == shop.id, among(session, Package.external_id, package_ids))
        )
    }
    days = session.scalar(select(Team.retention_days).where(Team.id == shop.team_id)) or retention.DEFAULT_DAYS
    now = utcnow()
    new: dict[str, _Incoming] = {}
    changes: list[dict[str, Any]] = []  # one UPDATE of every column per changed order, sent as one executemany
    moves: list[dict[str, Any]] = []  # their status changes, inserted together
    for each in batch:
        incoming = each.order
        order = stored.get(incoming.order_id)
        if order is None:
            first = new.setdefault(incoming.order_id, each)
            if first is not each:  # the same new order twice in one batch: the newest copy is stored
                result.stale += 1
                if incoming.update_time > first.order.update_time:
                    new[incoming.order_id] = each
            continue
        if incoming.update_time < order.platform_update_time:
            result.stale += 1
            continue
        values = each.values
        mask_if_expired(values, shop.platform, days, order.personal_masked_at, now)
        if order.raw == values["raw"] and order.platform_update_time == incoming.update_time:
            result.unchanged += 1
            continue
        if order.status != incoming.status:
            moves.append({"order_id": order.id, "from_status": order.status, "to_status": incoming.status,
                          "occurred_at": _status_time(incoming), "actor": actor})  # fmt: skip
        values.setdefault("personal_masked_at", order.personal_masked_at)
        values.update(source=source if order.source == "csv" else order.source, updated_at=now)
        _written(order, values)
        changes.append({"row_id": order.id, **values})
        _sync_lines(order, each)
        _sync_packages(session, shop, order, each, known)
        result.updated += 1
        result.updated_external_ids.append(incoming.order_id)
    if changes:
        orders_table = Base.metadata.tables["orders"]
        session.execute(update(orders_table).where(orders_table.c.id == bindparam("row_id")), changes)
    session.flush()
    insert_rows(session, OrderEvent, moves)
    inserted = _insert_new(session, shop, list(new.values()), known, source=source, actor=actor, days=days, now=now)
    result.new, result.new_external_ids = len(new), list(new)
    result.changed = [*(inserted[i] for i in new), *(stored[i].id for i in result.updated_external_ids)]
    return result


def _insert_new(
    session: Session,
    shop: Shop,
    batch: list[_Incoming],
    known: dict[str, Package],
    *,
    source: str,
    actor: str,
    days: int,
    now: datetime,
) -> dict[str, int]:
    """New orders, their lines, packages and first event as bulk INSERTs; returns order id → row id.

    Not through ORM objects: a first sync is all new orders, and building, tracking and flushing an
    object per order, line and event cost several times what the database did (issue 4's bench).
    No RETURNING either (it turns a batch into huge statements that psycopg parses slowly): ids are
    taken from the sequence first where there is one, else read back.
    """
    if not batch:
        return {}
    dialect = session.get_bind().dialect
    heads, rows = [], []
    for i in batch:  # an old order met for the first time (a first full sync) arrives masked
        if mask_if_expired(i.values, shop.platform, days, None, now):
            i.ready = None  # its values changed: its row is worked out again
        heads.append((i.order.order_id, shop.id, source, i.values.pop("personal_masked_at", None)))
        rows.append(i.rows(dialect).order)
    head_keys = ("external_id", "shop_id", "source", "personal_masked_at")
    head = bound(dialect, Order, head_keys)
    rows = [joined(head(h), row) for h, row in zip(heads, rows, strict=True)]
    order_keys = (*head_keys, *batch[0].values)
    ids = _insert_keyed(session, Order, shop.id, order_keys, external_ids=[h[0] for h in heads], rows=rows)
    lines: list[Row] = []
    for i in batch:
        order_id = ids[i.order.order_id]
        lines += [keyed(order_id, line) for line in i.rows(dialect).lines]
    if lines:  # every order's lines have the same keys: _line_fields'
        line_keys = ("order_id", "external_id", *next(i.lines[0] for i in batch if i.lines))
        write_rows(session, OrderLine, line_keys, lines)
    events = [
        {"order_id": ids[i.order.order_id], "to_status": i.order.status, "occurred_at": _status_time(i.order),
         "actor": actor}
        for i in batch
    ]  # fmt: skip
    insert_rows(session, OrderEvent, events)
    parcels = {package_id: fields for i in batch for package_id, fields in i.packages.items()}
    for package_id, fields in parcels.items():
        if package_id in known:
            _apply(known[package_id], fields)
    fresh = {package_id: (package_id, shop.id, *fields.values()) for package_id, fields in parcels.items()
             if package_id not in known}  # fmt: skip
    package_keys = ("external_id", "shop_id", *next(iter(parcels.values()), {}))
    package_row = bound(dialect, Package, package_keys)
    package_ids = {package_id: package.id for package_id, package in known.items()}
    package_ids |= _insert_keyed(
        session, Package, shop.id, package_keys, external_ids=list(fresh), rows=[package_row(r) for r in fresh.values()]
    )
    links = [{"order_id": ids[i.order.order_id], "package_id": package_ids[package_id]} for i in batch
             for package_id in i.packages]  # fmt: skip
    insert_rows(session, order_packages, links)
    session.flush()
    return ids


def _insert_keyed(
    session: Session,
    model: type[Order] | type[Package],
    shop_id: int,
    keys: tuple[str, ...],
    *,
    external_ids: list[str],
    rows: list[Row],
) -> dict[str, int]:
    """Insert a shop's new rows (`bound` for `keys`, one per distinct external id); returns external id →
    row id. Ids are taken from the table's sequence first where there is one, else read back."""
    if not rows:
        return {}
    allocated = new_ids(session, model, len(rows))
    if allocated is None:
        write_rows(session, model, keys, rows)
        query = select(model.external_id, model.id).where(model.shop_id == shop_id, model.external_id.in_(external_ids))
        return {external_id: row_id for external_id, row_id in session.execute(query)}
    write_rows(session, model, ("id", *keys), [keyed(n, row) for n, row in zip(allocated, rows, strict=True)])
    return dict(zip(external_ids, allocated, strict=True))


def mark_bindings_dirty(
    session: Session,
    team_id: int,
    shop_id: int,
    order_ids: Collection[int] | None = None,
    *,
    skip: Collection[int] = (),
    stock_pass: bool = True,
) -> int:
    """Flag every sheet binding that shows this shop, and note what changed for its next push.

    `order_ids` are the orders that changed; None means anything of the shop may have (costs, stock,
    the shop itself), so each binding's next push re-reads every order. `dirty_since` always moves to
    now, even on a binding already dirty: a push clears only marks older than its own start. Bindings
    in `skip` are left alone, and `stock_pass` False notes nothing for the team's next stock pass (a
    push noting what its own pass found).
    """
    if order_ids is not None and not order_ids:
        return 0
    rows = session.execute(
        select(SheetBinding.id, SheetBinding.shop_ids).join(Spreadsheet).where(Spreadsheet.team_id == team_id)
    )
    ids = [binding_id for binding_id, shops in rows if shows_shop(shops, shop_id) and binding_id not in skip]
    if ids:
        session.execute(update(SheetBinding).where(SheetBinding.id.in_(ids)).values(dirty=True, dirty_since=utcnow()))
        sheet_changes.note(session, ids, order_ids, team_id if stock_pass else None)
    return len(ids)


def record_failure(
    session: Session,
    shop_id: int,
    *,
    source: str,
    external_id: str | None,
    reason: str,
    detail: dict[str, Any],
    run_id: int | None = None,
) -> None:
    """Keep one payload that could not be used, with why: `shop status` and the sidebar count them."""
    session.add(
        FailedItem(
            shop_id=shop_id,
            sync_run_id=run_id,
            external_id=external_id[:64] if external_id else None,
            source=source,
            reason=reason[:2048],
            payload=detail,
        )
    )


def record_mapping_failures(
    session: Session, shop_id: int, failures: Sequence[OrderMappingError], *, source: str, run_id: int | None = None
) -> None:
    for failure in failures:
        record_failure(
            session,
            shop_id,
            source=source,
            external_id=failure.order_id,
            reason=str(failure),
            detail={"field": failure.field_name[:255]},
            run_id=run_id,
        )
