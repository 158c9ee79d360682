"""Webhooks (pushes) of every sales channel: verify and store on receipt, then process by re-fetching
the orders they name.

Receipt does only what must happen before the 2xx: check the platform's signature on the raw bytes,
store the raw event once (redeliveries share a notification id, or the body's hash where the platform
sends none), and hand the shop to the task queue. Processing never trusts the payload's status: it
fetches the order, so an out-of-order or replayed event can only bring the stored order up to date.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.config import Config
from backend.db import Database
from backend.errors import Action, NotFound, OrderDeckError, Unauthenticated
from backend.models import AuditEntry, Shop, ShopStatus, WebhookEvent, utcnow
from backend.platforms import registry
from backend.platforms.base import PushEvent, PushKind, ShopClient
from backend.services import leases
from backend.services.after_sales import sync as after_sales
from backend.services.ingest import ingest_orders, mark_bindings_dirty
from backend.services.shops import Platform, client_for, mark_needs_reauthorization
from backend.services.sync import LEASE_TTL, shop_lease

log = logging.getLogger(__name__)

MAX_BODY = 256 * 1024  # pushes are small; anything this large is not a platform's
MAX_ATTEMPTS = 8  # after this an event is marked failed; the scheduled sync still covers its order


@dataclass(frozen=True)
class Receipt:
    event_id: int
    shop_id: int
    duplicate: bool


def receive(db: Database, config: Config, platform: str, raw_body: bytes, headers: Mapping[str, str]) -> Receipt:
    """Verify, then store once. Forged or unknown-shop events are refused and stored nowhere.

    `headers` are keyed in lower case.
    """
    channel = registry.channel(platform)
    if len(raw_body) > MAX_BODY or not channel.verify_push(config, raw_body, headers):
        raise Unauthenticated("webhook signature does not match this body")
    event = channel.parse_push(raw_body)
    notification_id = event.notification_id or "sha256:" + hashlib.sha256(raw_body).hexdigest()[:56]
    with db.session() as session:
        shop = session.scalar(select(Shop).where(Shop.platform == channel.name, Shop.external_id == event.shop_id))
        if shop is None:
            raise NotFound(f"no connected shop {event.shop_id!r}")
        existing = session.scalar(
            select(WebhookEvent.id).where(
                WebhookEvent.platform == channel.name, WebhookEvent.notification_id == notification_id
            )
        )
        if existing is not None:
            return Receipt(existing, shop.id, duplicate=True)
        row = WebhookEvent(
            platform=channel.name,
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


def acknowledgement(platform: str, receipt: Receipt) -> tuple[bytes, str]:
    """The body the platform expects with the 2xx, so it does not push the event again."""
    return registry.channel(platform).acknowledge(receipt.duplicate)


def _parsed(event: WebhookEvent) -> PushEvent:
    return registry.channel(event.platform).parse_push(event.body.encode())


def _refetch(
    session: Session, client: ShopClient, shop: Shop, events: Sequence[WebhookEvent], report: ProcessReport
) -> None:
    parsed = [_parsed(e) for e in events]
    ids = sorted({i for p in parsed for i in p.order_ids})
    if ids:
        page = client.get_orders(ids)
        result = ingest_orders(session, shop, page.orders, source="api", actor="webhook")
        with_cases = sorted({i for p in parsed if p.kind is PushKind.AFTER_SALES for i in p.order_ids})
        cases = after_sales.refetch(session, client, shop, with_cases)
        if result.changed or cases.changed:
            mark_bindings_dirty(session, shop.team_id, shop.id)
        report.changed_orders += result.new_external_ids + result.updated_external_ids
        for failure in page.failures:
            log.warning("webhook order %s could not be mapped: %s", failure.order_id, failure)


def _deauthorized(session: Session, shop: Shop, event: WebhookEvent) -> None:
    label = registry.channel(shop.platform).label
    shop.status, shop.status_reason = ShopStatus.DEAUTHORIZED, f"the seller removed OrderDeck's access in {label}"
    session.add(
        AuditEntry(
            team_id=shop.team_id,
            actor=shop.platform,
            action="shop.deauthorized",
            target_type="shop",
            target_id=str(shop.id),
            detail={"notification": event.notification_id},
        )
    )


def _expiring(session: Session, shop: Shop, event: WebhookEvent) -> None:
    detail = _parsed(event).detail
    shop.status_reason = detail or "the platform's authorization expires soon: reconnect the shop"
    session.add(
        AuditEntry(
            team_id=shop.team_id,
            actor=shop.platform,
            action="shop.authorization_expiring",
            target_type="shop",
            target_id=str(shop.id),
            detail={"message": detail},
        )
    )


# Pushes that name orders (and their after-sales cases): batched into one re-read of what they name.
REFETCHED = frozenset({PushKind.ORDERS, PushKind.AFTER_SALES})
# What a push means → what OrderDeck does. Order-bearing pushes are batched into one re-fetch.
SHOP_EVENTS: dict[PushKind, Callable[[Session, Shop, WebhookEvent], None]] = {
    PushKind.DEAUTHORIZED: _deauthorized,
    PushKind.AUTHORIZATION_EXPIRING: _expiring,
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
        kinds = {event.id: _parsed(event).kind for event in events}
        refetch = [e for e in events if kinds[e.id] in REFETCHED]
        for event in events:
            handler = SHOP_EVENTS.get(kinds[event.id])
            if handler is not None:
                handler(session, shop, event)
                _done(event, "done")
                report.processed += 1
            elif kinds[event.id] not in REFETCHED:
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
    except OrderDeckError as exc:
        if exc.action is Action.REAUTHORIZE:
            mark_needs_reauthorization(db, shop.id, exc.message)
            for event in events:
                _done(event, "ignored", exc.message)
            return
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
