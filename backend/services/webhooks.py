"""TikTok webhooks: verify and store on receipt, then process by re-fetching the orders they name.

Receipt does only what must happen before the 2xx: check the HMAC on the raw bytes, store the raw
event once (redeliveries share a notification id), and hand the shop to the task queue. Processing
never trusts the payload's status: it fetches the order, so an out-of-order or replayed event can
only ever bring the stored order up to date, never roll it back.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.config import Config
from backend.db import Database
from backend.errors import InvalidInput, NotFound, OrderDeckError, Unauthenticated
from backend.models import AuditEntry, Shop, ShopStatus, WebhookEvent, utcnow
from backend.platforms.base import OrderMappingError
from backend.platforms.tiktok import errors as tiktok_errors
from backend.platforms.tiktok.client import TikTokClient
from backend.platforms.tiktok.webhooks import parse_event, verify
from backend.services import leases
from backend.services.ingest import ingest_orders, mark_bindings_dirty
from backend.services.shops import Platform, client_for, mark_needs_reauthorization
from backend.services.sync import LEASE_TTL, shop_lease

log = logging.getLogger(__name__)

MAX_BODY = 256 * 1024  # TikTok events are small; anything this large is not one of theirs
MAX_ATTEMPTS = 8  # after this an event is marked failed; the scheduled sync still covers its order


@dataclass(frozen=True)
class Receipt:
    event_id: int
    shop_id: int
    duplicate: bool


def receive(db: Database, config: Config, raw_body: bytes, authorization: str | None) -> Receipt:
    """Verify, then store once. Forged or unknown-shop events are refused and stored nowhere."""
    if len(raw_body) > MAX_BODY or not verify(config.TIKTOK_APP_KEY, config.TIKTOK_APP_SECRET, raw_body, authorization):
        raise Unauthenticated("webhook signature does not match this body")
    try:
        event = parse_event(raw_body)
    except tiktok_errors.TikTokError as exc:
        raise InvalidInput(f"signed but not a TikTok event: {exc.message}") from None
    except OrderMappingError as exc:
        raise InvalidInput(f"signed but malformed TikTok event: {exc}") from None
    notification_id = event.notification_id or "sha256:" + hashlib.sha256(raw_body).hexdigest()[:56]
    with db.session() as session:
        shop = session.scalar(select(Shop).where(Shop.platform == "tiktok", Shop.external_id == event.shop_id))
        if shop is None:
            raise NotFound(f"no connected shop {event.shop_id!r}")
        existing = session.scalar(
            select(WebhookEvent.id).where(
                WebhookEvent.platform == "tiktok", WebhookEvent.notification_id == notification_id
            )
        )
        if existing is not None:
            return Receipt(existing, shop.id, duplicate=True)
        row = WebhookEvent(
            platform="tiktok",
            notification_id=notification_id,
            shop_id=shop.id,
            event_type=event.name,
            order_external_id=event.order_id,
            body=raw_body.decode("utf-8", errors="replace"),
        )
        try:
            with session.begin_nested():  # a savepoint: losing the race leaves the transaction usable
                session.add(row)
        except IntegrityError:  # the same event raced in on another worker
            return Receipt(0, shop.id, duplicate=True)
        return Receipt(row.id, shop.id, duplicate=False)


@dataclass
class ProcessReport:
    processed: int = 0
    ignored: int = 0
    failed: int = 0
    retry_later: int = 0
    changed_orders: list[str] = field(default_factory=list)


def _order_ids(event: WebhookEvent) -> list[str]:
    """Every order an event names: one for order events, all in the package list for package events."""
    data = parse_event(event.body.encode()).data
    ids = [str(data["order_id"])] if data.get("order_id") else []
    for package in data.get("package_list") or ():
        ids += [str(i) for i in package.get("order_id_list") or ()]
    return ids


def _refetch(
    session: Session, client: TikTokClient, shop: Shop, events: Sequence[WebhookEvent], report: ProcessReport
) -> None:
    ids = sorted({i for e in events for i in _order_ids(e)})
    if ids:
        page = client.get_orders(str(shop.cipher), ids)
        result = ingest_orders(session, shop, page.orders, source="api", actor="webhook")
        if result.changed:
            mark_bindings_dirty(session, shop.team_id, shop.id, result.changed)
        report.changed_orders += result.new_external_ids + result.updated_external_ids
        for failure in page.failures:
            log.warning("webhook order %s could not be mapped: %s", failure.order_id, failure)


def _deauthorized(session: Session, shop: Shop, event: WebhookEvent) -> None:
    shop.status, shop.status_reason = ShopStatus.DEAUTHORIZED, "the seller removed OrderDeck's access in TikTok"
    session.add(
        AuditEntry(
            team_id=shop.team_id,
            actor="tiktok",
            action="shop.deauthorized",
            target_type="shop",
            target_id=str(shop.id),
            detail={"notification": event.notification_id},
        )
    )


def _expiring(session: Session, shop: Shop, event: WebhookEvent) -> None:
    data = parse_event(event.body.encode()).data
    shop.status_reason = f"TikTok authorization expires {data.get('expiration_time', 'soon')}: reconnect the shop"
    session.add(
        AuditEntry(
            team_id=shop.team_id,
            actor="tiktok",
            action="shop.authorization_expiring",
            target_type="shop",
            target_id=str(shop.id),
            detail={"message": data.get("message")},
        )
    )


# Event name → what it means for OrderDeck. Order-bearing events are batched into one re-fetch.
REFETCH_EVENTS = frozenset(
    {
        "ORDER_STATUS_CHANGE",
        "PACKAGE_UPDATE",
        "RECIPIENT_ADDRESS_UPDATE",
        "CANCELLATION_STATUS_CHANGE",
        "RETURN_STATUS_CHANGE",
        "REVERSE_STATUS_UPDATE",
    }
)
SHOP_EVENTS: dict[str, Callable[[Session, Shop, WebhookEvent], None]] = {
    "SELLER_DEAUTHORIZATION": _deauthorized,
    "UPCOMING_AUTHORIZATION_EXPIRATION": _expiring,
}


def process_pending(
    db: Database, platform: Platform, shop_id: int, *, holder: str | None = None, limit: int = 500
) -> ProcessReport:
    """Handle a shop's stored events under the shop's lease (the same one sync takes)."""
    report = ProcessReport()
    with leases.held(db, shop_lease(shop_id), holder or leases.new_holder(), LEASE_TTL), db.session() as session:
        shop = session.get(Shop, shop_id)
        if shop is None:
            return report
        events = session.scalars(
            select(WebhookEvent)
            .where(WebhookEvent.shop_id == shop_id, WebhookEvent.status == "pending")
            .order_by(WebhookEvent.id)
            .limit(limit)
        ).all()
        refetch = [e for e in events if e.event_type in REFETCH_EVENTS]
        for event in events:
            handler = SHOP_EVENTS.get(event.event_type)
            if handler is not None:
                handler(session, shop, event)
                _done(event, "done")
                report.processed += 1
            elif event.event_type not in REFETCH_EVENTS:
                _done(event, "ignored")
                report.ignored += 1
        if refetch and shop.status == ShopStatus.ACTIVE:
            _process_refetch(db, platform, session, shop, events=refetch, report=report)
        elif refetch:
            for event in refetch:
                _done(event, "ignored", f"shop is {shop.status}")
                report.ignored += 1
    return report


def _process_refetch(
    db: Database,
    platform: Platform,
    session: Session,
    shop: Shop,
    *,
    events: Sequence[WebhookEvent],
    report: ProcessReport,
) -> None:
    try:
        with client_for(db, platform, shop) as client:
            _refetch(session, client, shop, events, report)
    except (tiktok_errors.ReauthorizationNeeded, tiktok_errors.ScopeDenied) as exc:
        mark_needs_reauthorization(db, shop.id, exc.message)
        for event in events:
            _done(event, "ignored", exc.message)
        return
    except (tiktok_errors.TikTokError, OrderDeckError) as exc:
        for event in events:
            event.attempts += 1
            event.error = str(exc)[:2000]
            if event.attempts >= MAX_ATTEMPTS:
                _done(event, "failed", str(exc))
                report.failed += 1
            else:
                report.retry_later += 1
        return
    for event in events:
        _done(event, "done")
        report.processed += 1


def _done(event: WebhookEvent, status: str, error: str | None = None) -> None:
    event.status, event.processed_at = status, utcnow()
    if error:
        event.error = error[:2000]


def has_pending(db: Database, shop_id: int) -> bool:
    with db.session() as session:
        return (
            session.scalar(
                select(WebhookEvent.id)
                .where(WebhookEvent.shop_id == shop_id, WebhookEvent.status == "pending")
                .limit(1)
            )
            is not None
        )


def shops_with_pending_events(db: Database) -> list[int]:
    with db.session() as session:
        return [
            i
            for i in session.scalars(select(WebhookEvent.shop_id).where(WebhookEvent.status == "pending").distinct())
            if i is not None
        ]
