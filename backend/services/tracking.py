"""Tracking shipped orders: poll the carrier's events through the platform protocol at the cadence
backend/domain/tracking.py sets (at most six calls per in-transit order a day, fewer once quiet, none after
delivery), alert once when a delivery deadline passes undelivered, and build the carrier scorecard.

The `track-due` sweep fans out one task per shop with orders due; a shop's round stops at the first rate
limit and leaves the rest for the next sweep, so polling never fights the sync for the shop's quota.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from backend.db import Database
from backend.domain import alerts, tracking
from backend.domain.profiles import ReportRows
from backend.domain.scorecard import Parcel, scorecard
from backend.domain.status import OrderStatus
from backend.errors import NotFound, OrderDeckError, PlatformError, PlatformRateLimited
from backend.models import Order, OrderTracking, Shop, ShopStatus, Team, utcnow
from backend.platforms import registry
from backend.platforms.fulfilment import TrackingEvent, TrackingKind
from backend.services import notify
from backend.services.analytics import team_zone
from backend.services.ingest import mark_bindings_dirty
from backend.services.shops import Platform, client_for
from backend.services.views import team_shops

log = logging.getLogger(__name__)
ON_THE_WAY = (OrderStatus.AWAITING_COLLECTION, OrderStatus.IN_TRANSIT)
DONE = (OrderStatus.DELIVERED, OrderStatus.COMPLETED, OrderStatus.CANCELLED)
PER_SHOP_ROUND = 200  # orders polled per shop per task; the rest wait for the next sweep
LATE_KIND = "late_delivery"


def _due(now: datetime) -> ColumnElement[bool]:
    """Orders on their way whose next poll is due, or never polled yet."""
    return Order.status.in_(ON_THE_WAY) & or_(OrderTracking.order_id.is_(None), OrderTracking.next_poll_at <= now)


def shops_due(db: Database, now: datetime | None = None) -> list[int]:
    """Active shops of channels that track, with an order due a poll."""
    now = now or utcnow()
    tracking_channels = [name for name in registry.names() if registry.channel(name).fulfilment.tracking]
    with db.session() as session:
        query = (
            select(Order.shop_id)
            .join(Shop, Shop.id == Order.shop_id)
            .outerjoin(OrderTracking, OrderTracking.order_id == Order.id)
            .where(Shop.status == ShopStatus.ACTIVE, Shop.platform.in_(tracking_channels), _due(now))
            .distinct()
        )
        return sorted(session.scalars(query))


def poll_shop(db: Database, platform: Platform, shop_id: int, now: datetime | None = None) -> dict[str, int]:
    """Ask the carrier about the shop's due orders; counts of polled, delivered and problem orders."""
    now = now or utcnow()
    with db.session() as session:
        shop = session.get(Shop, shop_id)
        if shop is None:
            raise NotFound(f"no shop with id {shop_id}")
        due = session.execute(
            select(Order.id, Order.external_id)
            .outerjoin(OrderTracking, OrderTracking.order_id == Order.id)
            .where(Order.shop_id == shop_id, _due(now))
            .order_by(func.coalesce(OrderTracking.next_poll_at, Order.rts_at, Order.platform_update_time))
            .limit(PER_SHOP_ROUND)
        ).all()
    counts = {"polled": 0, "delivered": 0, "problems": 0, "failed": 0}
    if not due:
        return counts
    with client_for(db, platform, shop) as client:
        for order_id, external_id in due:
            try:
                events = client.tracking(external_id)
            except PlatformRateLimited:
                log.info("shop %s: tracking paused by the platform's rate limit", shop_id)
                break
            except PlatformError as exc:
                counts["failed"] += 1
                _failed(db, order_id, exc, now)
                continue
            summary = _store(db, order_id, events, now)
            counts["polled"] += 1
            counts["delivered"] += summary.delivered_at is not None
            counts["problems"] += summary.problem is not None
    return counts


def _failed(db: Database, order_id: int, exc: OrderDeckError, now: datetime) -> None:
    """A call that failed is tried again in four hours; the failure does not stop the shop's round."""
    log.warning("tracking of order %s failed: %s", order_id, exc.message)
    with db.session() as session:
        row = session.get(OrderTracking, order_id) or OrderTracking(order_id=order_id, events=[], polls=0)
        session.add(row)
        row.polled_at, row.next_poll_at = now, now + tracking.ACTIVE


def _store(db: Database, order_id: int, events: Sequence[TrackingEvent], now: datetime) -> tracking.Summary:
    with db.session() as session:
        order = session.get_one(Order, order_id)
        row = session.get(OrderTracking, order_id) or OrderTracking(order_id=order_id, events=[], polls=0)
        session.add(row)
        summary = tracking.summarize(events)
        row.events = tracking.stored(events)
        row.latest, row.latest_at = summary.latest[:512] or None, summary.latest_at
        row.delivered_at, row.problem = summary.delivered_at, summary.problem
        row.polls, row.polled_at = row.polls + 1, now
        shipped = order.rts_at or order.platform_update_time
        collected = order.status == OrderStatus.IN_TRANSIT or any(e.kind is not TrackingKind.INFO for e in events)
        row.next_poll_at = tracking.next_poll(now, shipped, summary, collected=collected)
        mark_bindings_dirty(session, session.get_one(Shop, order.shop_id).team_id, order.shop_id)
        return summary


def deadline_of(order: Order) -> datetime | None:
    """The delivery deadline, as the sheets' "Delivery due" column shows it."""
    return order.delivery_due_at or order.delivery_sla_at


def late_delivery_sweep(session: Session, now: datetime | None = None) -> int:
    """One Discord message per order still undelivered past its delivery deadline (the dedupe key: once)."""
    now = now or utcnow()
    wanted = notify.channels_for(session, LATE_KIND)
    if not wanted:
        return 0
    deadline = func.coalesce(Order.delivery_due_at, Order.delivery_sla_at)
    rows = session.execute(
        select(Order, Shop, OrderTracking)
        .join(Shop, Shop.id == Order.shop_id)
        .outerjoin(OrderTracking, OrderTracking.order_id == Order.id)
        .where(
            Shop.team_id.in_(list(wanted)),
            Order.status.in_(ON_THE_WAY),
            deadline < now,
            deadline > now - timedelta(days=30),  # an old backlog is not news
            OrderTracking.delivered_at.is_(None),
        )
    ).all()
    added = 0
    for order, shop, track in rows:
        due = deadline_of(order)
        if due is None:
            continue
        ref = alerts.OrderRef(order.external_id, shop.name or shop.external_id, order.status)
        payload = tracking.late_message(ref, due, track.latest_at if track else None, shop.time_zone)
        added += notify.enqueue(
            session, shop.team_id, LATE_KIND, f"order:{order.id}", payload, channel_ids=wanted[shop.team_id], now=now
        )
    return added


# -- the carrier scorecard -------------------------------------------------------------------------------


def scorecard_rows(
    session: Session, team_id: int, shop_ids: Sequence[int], now: datetime, since: datetime | None
) -> ReportRows:
    """Every order shipped since `since` in the binding's shops (none listed: all), as the scorecard's block."""
    shops = {s.id: s for s in team_shops(session, team_id, shop_ids)}
    if not shops:
        return ReportRows(analytics=scorecard([], now))
    query = (
        select(Order, OrderTracking)
        .outerjoin(OrderTracking, OrderTracking.order_id == Order.id)
        .where(Order.shop_id.in_(list(shops)), Order.rts_at.is_not(None))
    )
    if since is not None:
        query = query.where(Order.rts_at >= since)
    parcels = []
    for order, track in session.execute(query):
        assert order.rts_at is not None  # the query only returns shipped orders
        parcels.append(
            Parcel(
                carrier=order.shipping_provider or "",
                shipped_at=order.rts_at,
                zone=shops[order.shop_id].time_zone or str(team_zone(session.get_one(Team, team_id))),
                delivered_at=order.delivery_at or (track.delivered_at if track else None),
                due_at=deadline_of(order),
                failed=bool(track and track.problem),
            )
        )
    return ReportRows(analytics=scorecard(parcels, now))
