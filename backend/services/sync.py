"""Incremental order sync per shop: walk update_time ascending, one transaction per page, then move on.

The watermark only moves inside the transaction that stored the page, so a sync killed at any point
resumes from the last committed page; the overlap re-reads a little and the idempotent ingest makes
that free. One shop is synced by one worker at a time (a lease shared with webhook processing).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Dialect, select, update
from sqlalchemy.orm import Session

from backend.db import Database, commit_asynchronously
from backend.errors import Action, NotFound, OrderDeckError, ReauthorizationNeeded
from backend.models import Shop, ShopStatus, SyncRun, WebhookEvent, utcnow
from backend.platforms.base import OrderPageResult
from backend.services import leases
from backend.services.ingest import (
    IngestResult,
    Prepared,
    ingest_orders,
    mark_bindings_dirty,
    prepare,
    record_mapping_failures,
)
from backend.services.shops import Platform, client_for, mark_needs_reauthorization

log = logging.getLogger(__name__)

OVERLAP = timedelta(minutes=10)
LEASE_TTL = timedelta(minutes=5)
# The beginning of time for a first or --full sync (TikTok Shop's 202309 APIs hold nothing older; a
# Shopee adapter walks from here in its 15-day windows).
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
# A webhook received this long before an order's update_time still counts as having announced it.
WEBHOOK_GRACE = timedelta(minutes=1)


def shop_lease(shop_id: int) -> str:
    return f"shop:{shop_id}"


@dataclass
class SyncProgress:
    pages: int = 0
    seen: int = 0
    total: int = 0


@dataclass
class SyncReport:
    shop_id: int
    run_id: int
    result: IngestResult = field(default_factory=IngestResult)
    failed: int = 0
    missed_by_webhook: int = 0
    pages: int = 0
    watermark: datetime | None = None

    def summary(self) -> str:
        r = self.result
        return (
            f"new {r.new}, updated {r.updated}, unchanged {r.unchanged}, older than stored {r.stale}, "
            f"failed {self.failed}, missed by webhook {self.missed_by_webhook}"
        )


def _missed_by_webhook(db_session: Session, shop: Shop, page: OrderPageResult, result: IngestResult) -> int:
    """Orders this page changed that no webhook had announced: the reconciliation figure.

    Only changes made after the shop's webhooks were subscribed count: earlier ones had no way to
    be announced.
    """
    subscribed = shop.webhook_subscribed_at
    if subscribed is None:
        return 0
    changed = {
        o.order_id
        for o in page.orders
        if o.update_time >= subscribed and o.order_id in {*result.new_external_ids, *result.updated_external_ids}
    }
    if not changed:
        return 0
    shop_id = shop.id
    latest: dict[str, datetime] = {}
    for order_id, at in db_session.execute(
        select(WebhookEvent.order_external_id, WebhookEvent.received_at).where(
            WebhookEvent.shop_id == shop_id, WebhookEvent.order_external_id.in_(changed)
        )
    ):
        if order_id is not None and (order_id not in latest or at > latest[order_id]):
            latest[order_id] = at
    announced = {
        o.order_id for o in page.orders if o.order_id in latest and latest[o.order_id] >= o.update_time - WEBHOOK_GRACE
    }
    return len(changed - announced)


def sync_shop(
    db: Database,
    platform: Platform,
    shop_id: int,
    *,
    full: bool = False,
    holder: str | None = None,
    now: datetime | None = None,
    on_page: Callable[[SyncProgress], None] | None = None,
) -> SyncReport:
    """Bring one shop's orders up to date; raises LeaseHeld if another worker is syncing it."""
    holder = holder or leases.new_holder()
    with leases.held(db, shop_lease(shop_id), holder, LEASE_TTL) as lease:
        window_to = now or utcnow()
        with db.session() as session:
            shop = session.get(Shop, shop_id)
            if shop is None:
                raise NotFound(f"no shop with id {shop_id}")
            if shop.status != ShopStatus.ACTIVE:
                raise ReauthorizationNeeded(shop.status_reason or f"shop {shop.name!r} must be connected again")
            window_from = EPOCH if full or shop.sync_watermark is None else max(EPOCH, shop.sync_watermark - OVERLAP)
            run = SyncRun(
                shop_id=shop_id, kind="full" if full else "incremental", window_from=window_from, window_to=window_to
            )
            session.add(run)
            session.flush()
            report = SyncReport(shop_id=shop_id, run_id=run.id)
        progress = SyncProgress()
        try:
            with client_for(db, platform, shop) as client:
                for page, prepared in ahead(client.iter_order_pages(updated_from=window_from), db.engine.dialect):
                    _store_page(db, shop_id, report, page, prepared)
                    lease.renew()
                    progress.pages, progress.total = progress.pages + 1, page.total_count
                    progress.seen += len(page.orders) + len(page.failures)
                    if on_page:
                        on_page(progress)
        except OrderDeckError as exc:
            if exc.action is Action.REAUTHORIZE:
                mark_needs_reauthorization(db, shop_id, exc.message)
            _finish(db, report, "failed", str(exc))
            raise
        with db.session() as session:
            shop = session.get(Shop, shop_id)
            assert shop is not None
            shop.last_synced_at = utcnow()
            report.watermark = shop.sync_watermark
        _finish(db, report, "ok", None)
        return report


# New orders in one run at which the planner's statistics are re-read: a first sync or a backfill grows the
# tables tenfold faster than autovacuum looks. Not sooner: at a few hundred rows the planner would plan
# each foreign-key check as a scan of the whole table and keep that plan while the table grows.
REFRESH_STATISTICS_AT = (1_000, 10_000, 100_000, 1_000_000)
BY_SHOP_KEY = ("shop_id", "external_id")  # what finds a page's stored orders and packages


# Orders a store transaction takes at least, when the platform's pages are smaller: Shopee's spans come
# ~20 orders a page, and a page's statements and commit cost the same whatever its size.
STORE_AT_LEAST = 100


def ahead(pages: Iterator[OrderPageResult], dialect: Dialect) -> Iterator[tuple[OrderPageResult, Prepared]]:
    """The pages, small consecutive ones joined (`STORE_AT_LEAST`), each with its orders' column values and
    new-order rows in `dialect`; the next is fetched and prepared in a thread while the caller stores this
    one (the platform's answer and our Python work overlap the database's)."""

    def fetch() -> tuple[OrderPageResult, Prepared] | None:
        page = next(pages, None)
        if page is None:
            return None
        while len(page.orders) + len(page.failures) < STORE_AT_LEAST and (more := next(pages, None)) is not None:
            page = _joined(page, more)
        return page, prepare(page.orders, dialect, between=_hand_over)

    with ThreadPoolExecutor(1, thread_name_prefix="sync-ahead") as pool:
        coming = pool.submit(fetch)
        while (item := coming.result()) is not None:
            coming = pool.submit(fetch)
            yield item


def _hand_over() -> None:
    """Let the storing thread take the GIL if it waits for it. CPython hands it over only every 5 ms
    otherwise, so each of the store's database round trips waited behind a busy prepare thread (measured:
    500 trivial queries took 5.5 s beside a busy thread, 0.14 s beside one pausing like this; the store
    step's wall time fell by a sixth)."""
    time.sleep(0)


def _joined(first: OrderPageResult, then: OrderPageResult) -> OrderPageResult:
    """Two consecutive pages as one, stored in one transaction: the later one's place in the list and
    resume point (the earlier one's when the later holds no order to tell it)."""
    return OrderPageResult(
        first.orders + then.orders,
        first.failures + then.failures,
        then.next_page_token,
        then.total_count,
        _resume_from(then) or _resume_from(first),
    )


def _resume_from(page: OrderPageResult) -> datetime | None:
    """Where a sync stopped after `page` may resume (None: nowhere the page can tell)."""
    return page.resume_from or max((o.update_time for o in page.orders), default=None)


def _store_page(db: Database, shop_id: int, report: SyncReport, page: OrderPageResult, prepared: Prepared) -> None:
    """One page, one transaction: orders, failures, counters and the watermark commit together."""
    with db.session() as session:
        commit_asynchronously(session)  # the page is fetched again if a crash loses it with its watermark
        shop = session.get(Shop, shop_id)
        assert shop is not None
        result = ingest_orders(session, shop, prepared, source="api", actor="sync")
        missed = _missed_by_webhook(session, shop, page, result)
        failures = (*page.failures, *result.refused)
        record_mapping_failures(session, shop_id, failures, source="api", run_id=report.run_id)
        newest = _resume_from(page)
        if newest is not None and (shop.sync_watermark is None or newest > shop.sync_watermark):
            shop.sync_watermark = newest
        if result.changed:
            mark_bindings_dirty(session, shop.team_id, shop.id, result.changed)
        counts = {
            SyncRun.new_count: result.new,
            SyncRun.updated_count: result.updated,
            SyncRun.unchanged_count: result.unchanged + result.stale,
            SyncRun.failed_count: len(failures),
            SyncRun.missed_by_webhook_count: missed,
        }
        if any(counts.values()):  # one statement, none for a page with nothing in it (Shopee's empty windows)
            added = {column: column + n for column, n in counts.items() if n}
            session.execute(update(SyncRun).where(SyncRun.id == report.run_id).values(added))
    before = report.result.new
    if any(before < n <= before + result.new for n in REFRESH_STATISTICS_AT):
        db.refresh_statistics(orders=BY_SHOP_KEY, packages=BY_SHOP_KEY, order_lines=("order_id", "external_id"))
    report.result.add(result)
    report.failed += len(failures)
    report.missed_by_webhook += missed
    report.pages += 1


def _finish(db: Database, report: SyncReport, status: str, error: str | None) -> None:
    with db.session() as session:
        run = session.get(SyncRun, report.run_id)
        assert run is not None
        run.status, run.error, run.finished_at = status, error, utcnow()


SYNC_INTERVAL = timedelta(minutes=5)


def shops_due(db: Database, now: datetime | None = None) -> list[int]:
    """Active shops whose last sync is older than the interval (or that never synced)."""
    cutoff = (now or utcnow()) - SYNC_INTERVAL
    with db.session() as session:
        return list(
            session.scalars(
                select(Shop.id)
                .where(
                    Shop.status == ShopStatus.ACTIVE,
                    (Shop.last_synced_at.is_(None)) | (Shop.last_synced_at <= cutoff),
                )
                .order_by(Shop.id)
            )
        )
