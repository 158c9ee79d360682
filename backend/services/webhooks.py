"""Webhooks (pushes) of every sales channel: verify and store on receipt, then process by re-fetching
the orders they name.

Receipt does only what must happen before the 2xx: check the platform's signature on the raw bytes,
store the raw event once (redeliveries share a notification id, or the body's hash where the platform
sends none), and hand the shop to the task queue. A verified body that is no usable event (malformed,
or for a shop no team connected) is stored as failed with its reason and still answered 2xx: the
platform would only send it again. Processing never trusts the payload's status: it fetches the order,
so an out-of-order or replayed event can only ever bring the stored order up to date, never roll it
back; an event that cannot be processed fails alone, with its reason, and the shop's other events go on.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.config import Config
from backend.db import Database, insert_ignoring_duplicates
from backend.errors import Action, OrderDeckError, Unauthenticated
from backend.models import AuditEntry, Shop, ShopStatus, WebhookEvent, utcnow
from backend.platforms import registry
from backend.platforms.base import PushEvent, PushKind, ShopClient, UnusablePush
from backend.services import leases
from backend.services.after_sales import sync as after_sales
from backend.services.ingest import ingest_orders, mark_bindings_dirty, record_failure, record_mapping_failures
from backend.services.shops import Platform, client_for, mark_needs_reauthorization
from backend.services.sync import LEASE_TTL, shop_lease

log = logging.getLogger(__name__)

MAX_BODY = 256 * 1024  # pushes are small; anything this large is not a platform's
BATCH = 500  # stored events one round re-fetches and ingests at most
MAX_ATTEMPTS = 8  # after this an event is marked failed; the scheduled sync still covers its order
UNUSABLE = "UNUSABLE"  # the stored type of a verified body that is not a usable event


@dataclass(frozen=True)
class Receipt:
    event_id: int
    shop_id: int | None
    duplicate: bool
    failed: str | None = None  # why a verified body was stored as failed instead of queued

    @property
    def queued(self) -> bool:
        return not self.duplicate and self.failed is None and self.shop_id is not None


def receive(db: Database, config: Config, platform: str, raw_body: bytes, headers: Mapping[str, str]) -> Receipt:
    """Verify, then store once. Forged events are refused and stored nowhere; unusable ones are stored failed.

    `headers` are keyed in lower case.
    """
    channel = registry.channel(platform)
    if len(raw_body) > MAX_BODY or not channel.verify_push(config, raw_body, headers):
        raise Unauthenticated("webhook signature does not match this body")
    try:
        event = channel.parse_push(raw_body)
    except UnusablePush as exc:
        return _store(
            db,
            channel.name,
            raw_body,
            shop_key=exc.shop_id,
            notification_id=exc.notification_id,
            event_type=UNUSABLE,
            order_id=None,
            failed=exc.message,
        )
    return _store(
        db,
        channel.name,
        raw_body,
        shop_key=event.shop_id,
        notification_id=event.notification_id,
        event_type=event.name,
        order_id=event.order_id,
    )


def acknowledgement(platform: str, receipt: Receipt) -> tuple[bytes, str]:
    """The body the platform expects with the 2xx, so it does not push the event again."""
    return registry.channel(platform).acknowledge(receipt.duplicate, receipt.failed)


def _store(
    db: Database,
    platform: str,
    raw_body: bytes,
    *,
    shop_key: str | None,
    notification_id: str | None,
    event_type: str,
    order_id: str | None,
    failed: str | None = None,
) -> Receipt:
    notification_id = notification_id or "sha256:" + hashlib.sha256(raw_body).hexdigest()[:56]
    with db.session() as session:
        shop_id = None
        if shop_key is not None:
            shop_id = session.scalar(select(Shop.id).where(Shop.platform == platform, Shop.external_id == shop_key))
        if shop_id is None and failed is None:
            failed = f"no connected shop {shop_key!r}: the event was kept, not processed"
        row = WebhookEvent(
            platform=platform,
            notification_id=notification_id,
            shop_id=shop_id,
            event_type=event_type,
            order_external_id=order_id,
            # Not JSON (or not UTF-8) when it failed: kept readable, without the NULs PostgreSQL text refuses.
            body=raw_body.decode("utf-8", errors="replace").replace("\x00", "\ufffd"),
        )
        if failed is not None:
            _done(row, "failed", failed)
        # One statement stores it, or finds it stored (a redelivery, or the same event racing in on another
        # worker): no read before the write, no savepoint, on every webhook of a flood.
        values = {c.key: getattr(row, c.key) for c in WebhookEvent.__table__.columns if c.key != "id"}
        values = {k: v for k, v in values.items() if v is not None}
        stored = session.scalar(
            insert_ignoring_duplicates(session, WebhookEvent, ["platform", "notification_id"])
            .values(values)
            .returning(WebhookEvent.id)
        )
        if stored is None:
            existing = session.scalar(
                select(WebhookEvent.id).where(
                    WebhookEvent.platform == platform, WebhookEvent.notification_id == notification_id
                )
            )
            return Receipt(existing or 0, shop_id, duplicate=True)
        if failed is not None and shop_id is not None:
            _failed_item(session, shop_id, row, failed)
        return Receipt(stored, shop_id, duplicate=False, failed=failed)


def _failed_item(session: Session, shop_id: int, event: WebhookEvent, reason: str) -> None:
    record_failure(
        session,
        shop_id,
        source="webhook",
        external_id=event.order_external_id or event.notification_id,
        reason=f"webhook {event.event_type}: {reason}",
        detail={"notification": event.notification_id},
    )


@dataclass
class ProcessReport:
    processed: int = 0
    ignored: int = 0
    failed: int = 0
    retry_later: int = 0
    changed_orders: list[str] = field(default_factory=list)


def _refetch(
    session: Session, client: ShopClient, shop: Shop, pushes: Sequence[PushEvent], report: ProcessReport
) -> None:
    ids = [i for p in pushes for i in p.order_ids]
    if ids:
        page = client.get_orders(sorted(set(ids)))
        result = ingest_orders(session, shop, page.orders, source="api", actor="webhook")
        with_cases = sorted({i for p in pushes if p.kind is PushKind.AFTER_SALES for i in p.order_ids})
        cases = after_sales.refetch(session, client, shop, with_cases)
        if cases.changed:  # case tabs are projected whole: their next push re-reads everything
            mark_bindings_dirty(session, shop.team_id, shop.id)
        elif result.changed:
            mark_bindings_dirty(session, shop.team_id, shop.id, result.changed)
        report.changed_orders += result.new_external_ids + result.updated_external_ids
        record_mapping_failures(session, shop.id, (*page.failures, *result.refused), source="webhook")


def _deauthorized(session: Session, shop: Shop, event: WebhookEvent, _parsed: PushEvent) -> None:
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


def _expiring(session: Session, shop: Shop, event: WebhookEvent, parsed: PushEvent) -> None:
    shop.status_reason = parsed.detail or "the platform's authorization expires soon: reconnect the shop"
    session.add(
        AuditEntry(
            team_id=shop.team_id,
            actor=shop.platform,
            action="shop.authorization_expiring",
            target_type="shop",
            target_id=str(shop.id),
            detail={"message": parsed.detail},
        )
    )


# Pushes that name orders (and their after-sales cases): batched into one re-read of what they name.
REFETCHED = frozenset({PushKind.ORDERS, PushKind.AFTER_SALES})
# What a push means → what OrderDeck does. Order-bearing pushes are batched into one re-fetch.
SHOP_EVENTS: dict[PushKind, Callable[[Session, Shop, WebhookEvent, PushEvent], None]] = {
    PushKind.DEAUTHORIZED: _deauthorized,
    PushKind.AUTHORIZATION_EXPIRING: _expiring,
}


def process_pending(db: Database, platform: Platform, shop_id: int, *, holder: str | None = None) -> ProcessReport:
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
            .limit(BATCH)
        ).all()
        refetch: list[tuple[WebhookEvent, PushEvent]] = []
        for event in events:
            try:
                parsed = registry.channel(event.platform).parse_push(event.body.encode())
            except UnusablePush as exc:  # stored before its shape was checked at receipt
                _done(event, "failed", exc.message)
                _failed_item(session, shop.id, event, exc.message)
                report.failed += 1
                continue
            handler = SHOP_EVENTS.get(parsed.kind)
            if handler is not None:
                handler(session, shop, event, parsed)
                _done(event, "done")
                report.processed += 1
            elif parsed.kind in REFETCHED:
                refetch.append((event, parsed))
            else:
                _done(event, "ignored")
                report.ignored += 1
        if refetch and shop.status == ShopStatus.ACTIVE:
            _process_refetch(db, platform, session, shop, events=refetch, report=report)
        elif refetch:
            for event, _parsed in refetch:
                _done(event, "ignored", f"shop is {shop.status}")
                report.ignored += 1
    return report


def _process_refetch(
    db: Database,
    platform: Platform,
    session: Session,
    shop: Shop,
    *,
    events: Sequence[tuple[WebhookEvent, PushEvent]],
    report: ProcessReport,
) -> None:
    """One re-fetch for the batch; when the platform refuses it for good, each event alone, so one bad id
    fails alone."""
    try:
        with client_for(db, platform, shop) as client:  # the platform refuses before anything is stored
            _refetch(session, client, shop, [parsed for _event, parsed in events], report)
    except OrderDeckError as exc:
        if exc.action is Action.REAUTHORIZE:
            mark_needs_reauthorization(db, shop.id, exc.message)
            for event, _parsed in events:
                _done(event, "ignored", exc.message)
            return
        if exc.action is not Action.RETRY and len(events) > 1:
            for one in events:
                _process_refetch(db, platform, session, shop, events=[one], report=report)
            return
        for event, _parsed in events:
            _retry_or_fail(session, shop, event, str(exc), retry=exc.action is Action.RETRY, report=report)
        return
    for event, _parsed in events:
        _done(event, "done")
        report.processed += 1


def _retry_or_fail(
    session: Session, shop: Shop, event: WebhookEvent, error: str, *, retry: bool, report: ProcessReport
) -> None:
    """A transient failure waits for the next round (MAX_ATTEMPTS of them); any other fails the event now."""
    event.attempts += 1
    event.error = error[:2000]
    if retry and event.attempts < MAX_ATTEMPTS:
        report.retry_later += 1
        return
    _done(event, "failed", error)
    _failed_item(session, shop.id, event, error)
    report.failed += 1


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
