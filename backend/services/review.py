"""Review flags, worked out at push time and stored per order (sheets show them as stored).

A flag depends on the order itself, on the other recent orders of the same buyer and address (a
possible duplicate, orders to combine) and on each SKU's typical quantity over every recent order.
So after some orders changed, only these can change: the changed orders and the recent orders of
their buyers, plus the orders whose unusual-quantity flag flips because a typical quantity moved.
`changed_subjects` finds exactly those; the periodic full pass reviews everything (orders also
leave the 30-day window without changing).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from backend.catalog import SCHEMAS_DIR, validated
from backend.db import among, chunks, insert_ignoring_duplicates
from backend.domain.review import (
    CLOSED,
    ReviewOrder,
    ReviewRules,
    address_fingerprint,
    review_flags,
    typical_quantities,
    unusual,
)
from backend.domain.status import OrderStatus
from backend.models import Order, OrderLine, OrderReview, WebhookEvent

REVIEW_LOOKBACK = timedelta(days=30)
UNUSUAL = "unusual quantity: "


@cache
def review_rules() -> ReviewRules:
    return ReviewRules.from_document(validated(SCHEMAS_DIR / "review_flags.json", "review_flags.schema.json"))


def _sku(line: OrderLine) -> str:
    return line.seller_sku or line.sku_id


@dataclass
class Reviewed:
    """Flags of the orders reviewed, and the ids whose stored flags this review changed."""

    flags: dict[int, tuple[str, ...]] = field(default_factory=dict)
    changed: set[int] = field(default_factory=set)


def _stored_rows(session: Session, order_ids: Sequence[int], now: datetime) -> dict[int, OrderReview]:
    """The orders' review rows, created when missing.

    Concurrent pushes of the team's spreadsheets may both see an order unreviewed: the rows are created
    with ON CONFLICT DO NOTHING, then read back, so neither fails on the other's insert.
    """
    new_rows = insert_ignoring_duplicates(session, OrderReview, ["order_id"])
    stored: dict[int, OrderReview] = {}
    for part in chunks(order_ids):
        stored |= {
            r.order_id: r
            for r in session.scalars(select(OrderReview).where(among(session, OrderReview.order_id, part)))
        }
        missing = [{"order_id": i, "flags": [], "reviewed_at": now} for i in part if i not in stored]
        if missing:
            session.execute(new_rows, missing)
            again = select(OrderReview).where(OrderReview.order_id.in_([m["order_id"] for m in missing]))
            stored |= {r.order_id: r for r in session.scalars(again)}
    return stored


def review_orders(
    session: Session,
    shop_ids: Sequence[int],
    orders: Sequence[Order],
    now: datetime,
    typical: Mapping[str, float] | None = None,
) -> Reviewed:
    """Flags of the team's recent `orders` (the last 30 days), stored per order (older ones keep theirs).

    `typical` (per SKU) is needed when `orders` are not all the recent ones.
    """
    if not orders:
        return Reviewed()
    stored = _stored_rows(session, [o.id for o in orders], now)
    notified = _address_webhooks(session, shop_ids, [o.external_id for o in orders] if typical is not None else None)
    subjects = []
    for order in orders:
        row = stored[order.id]
        # A masked recipient (personal data retention) is no new address: the last fingerprint stands.
        masked = order.personal_masked_at is not None
        fingerprint = (
            (row.address_fingerprint or "")
            if masked
            else address_fingerprint(
                order.recipient_name, order.recipient_phone, order.recipient_address, order.recipient_postal_code
            )
        )
        if fingerprint and row.address_fingerprint and fingerprint != row.address_fingerprint:
            row.address_changed_at = row.address_changed_at or now
        if fingerprint:
            row.address_fingerprint = fingerprint
        told = notified.get((order.shop_id, order.external_id))
        moved = row.address_changed_at is not None or (
            told is not None and order.paid_at is not None and told >= order.paid_at
        )
        quantities: dict[str, int] = defaultdict(int)
        for line in order.lines:
            quantities[_sku(line)] += 1
        subjects.append(
            ReviewOrder(
                order_id=order.id,
                external_id=order.external_id,
                status=OrderStatus.ON_HOLD if order.is_on_hold else order.status,
                created_at=order.platform_create_time,
                buyer="" if masked else order.buyer_user_id or "",
                address_key=fingerprint,
                quantities=dict(quantities),
                buyer_message=order.buyer_message or "",
                address_changed=moved,
                packages=frozenset(p.external_id for p in order.packages),
            )
        )
    result = Reviewed(review_flags(subjects, review_rules(), typical))
    for order_id, found in result.flags.items():
        row = stored[order_id]
        if list(row.flags) != list(found):
            row.flags, row.reviewed_at = list(found), now
            result.changed.add(order_id)
    return result


def _address_webhooks(
    session: Session, shop_ids: Sequence[int], external_ids: Sequence[str] | None = None
) -> dict[tuple[int, str], datetime]:
    """(shop, order) → the latest RECIPIENT_ADDRESS_UPDATE TikTok sent for it (for these orders only, if given)."""
    latest: dict[tuple[int, str], datetime] = {}
    query = select(WebhookEvent.shop_id, WebhookEvent.order_external_id, WebhookEvent.received_at).where(
        WebhookEvent.shop_id.in_(shop_ids),
        WebhookEvent.event_type == "RECIPIENT_ADDRESS_UPDATE",
        WebhookEvent.order_external_id.is_not(None),
    )
    parts = [None] if external_ids is None else list(chunks(external_ids))
    for part in parts:
        narrowed = query if part is None else query.where(among(session, WebhookEvent.order_external_id, part))
        for shop_id, order_id, received in session.execute(narrowed):
            if shop_id is None:
                continue
            key = (shop_id, str(order_id))
            latest[key] = max(received, latest.get(key, received))
    return latest


# -- what a few changed orders can affect -------------------------------------------------------------


def _quantities(
    session: Session, shop_ids: Sequence[int], skus: Collection[str], since: datetime
) -> dict[str, list[tuple[int, int, bool]]]:
    """Per SKU: (order id, units, the order counts towards the typical quantity) of every recent order."""
    sku = func.coalesce(OrderLine.seller_sku, OrderLine.sku_id)
    found: dict[str, list[tuple[int, int, bool]]] = defaultdict(list)
    for part in chunks(sorted(skus)):
        rows = session.execute(
            select(OrderLine.order_id, sku, func.count(), Order.status)
            .join(Order, Order.id == OrderLine.order_id)
            .where(Order.shop_id.in_(shop_ids), Order.platform_create_time >= since, sku.in_(part))
            .group_by(OrderLine.order_id, sku, Order.status)
        )
        for order_id, name, units, status in rows:
            found[str(name)].append((order_id, int(units), status not in CLOSED))
    return found


def _flipping(
    session: Session, history: Mapping[str, list[tuple[int, int, bool]]], typical: Mapping[str, float]
) -> set[int]:
    """Orders whose stored unusual-quantity flags for these SKUs no longer match the typical quantities."""
    rules = review_rules()
    ids = sorted({order_id for rows in history.values() for order_id, _, _ in rows})
    flags: dict[int, list[str]] = {}
    for part in chunks(ids):
        stored = session.execute(
            select(OrderReview.order_id, OrderReview.flags).where(among(session, OrderReview.order_id, part))
        )
        flags |= {order_id: list(found) for order_id, found in stored}
    flipped = set()
    for sku, rows in history.items():
        for order_id, units, _ in rows:
            want = unusual(sku, units, typical, rules)
            have = [f for f in flags.get(order_id, ()) if f.startswith(UNUSUAL) and f.endswith(f" × {sku}")]
            if have != ([want] if want else []):
                flipped.add(order_id)
    return flipped


def changed_subjects(
    session: Session, shop_ids: Sequence[int], changed: Collection[int], now: datetime
) -> tuple[list[Order], dict[str, float]]:
    """The recent orders whose flags the changed orders can affect, loaded, and the typical quantities
    of their SKUs (over every recent order)."""
    since = now - REVIEW_LOOKBACK
    rules = review_rules()
    recent = Order.platform_create_time >= since
    touched = [
        order_id
        for part in chunks(sorted(changed))
        for order_id in session.scalars(
            select(Order.id).where(among(session, Order.id, part), Order.shop_id.in_(shop_ids), recent)
        )
    ]
    if not touched:
        return [], {}
    skus = {
        str(s)
        for part in chunks(touched)
        for s in session.scalars(
            select(func.coalesce(OrderLine.seller_sku, OrderLine.sku_id))
            .where(among(session, OrderLine.order_id, part))
            .distinct()
        )
    }
    history = _quantities(session, shop_ids, skus, since)
    typical = typical_quantities({s: [u for _, u, counts in rows if counts] for s, rows in history.items()}, rules)
    ids = set(touched) | _flipping(session, history, typical)
    buyers = {
        b
        for part in chunks(sorted(ids))
        for b in session.scalars(select(Order.buyer_user_id).where(among(session, Order.id, part)).distinct())
        if b
    }
    for part in chunks(sorted(buyers)):
        ids |= set(
            session.scalars(
                select(Order.id).where(Order.shop_id.in_(shop_ids), recent, among(session, Order.buyer_user_id, part))
            )
        )
    orders = [
        order
        for part in chunks(sorted(ids))
        for order in session.scalars(
            select(Order)
            .where(among(session, Order.id, part))
            .options(selectinload(Order.lines), selectinload(Order.packages))
            .order_by(Order.id)
        )
    ]
    more = {_sku(line) for order in orders for line in order.lines} - set(history)
    if more:
        extra = _quantities(session, shop_ids, more, since)
        typical |= typical_quantities({s: [u for _, u, counts in rows if counts] for s, rows in extra.items()}, rules)
    return orders, typical
