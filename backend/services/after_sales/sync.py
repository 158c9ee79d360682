"""After-sales cases kept current: an incremental sync by update time (its own position per shop) and the
re-read a webhook asks for, both ending in store.ingest_cases.

Like the order sync (services/sync.py), each page is stored in one transaction together with the
position, under the shop's lease. A shop whose authorization lacks the platform's after-sales
permission is not a broken shop: its orders go on syncing, and the shop says "reauthorization needed
for after-sales" until the seller consents again. Cases that wait for a decision get the platform's
reject reasons once per step, so the sheet's dropdown offers exactly those.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db import Database
from backend.domain.after_sales import REAUTHORIZE
from backend.domain.status import CaseType, SellerStep
from backend.errors import NotFound, ScopeDenied
from backend.models import AfterSaleCase, FailedItem, Shop, ShopStatus, utcnow
from backend.platforms import registry
from backend.platforms.base import CasePageResult, CaseRef, ShopClient
from backend.services import leases
from backend.services.after_sales.store import CaseIngest, ingest_cases, link_orders
from backend.services.ingest import mark_bindings_dirty
from backend.services.shops import Platform, client_for
from backend.services.sync import EPOCH, LEASE_TTL, OVERLAP, shop_lease

log = logging.getLogger(__name__)


@dataclass
class CaseSyncReport:
    shop_id: int
    result: CaseIngest = field(default_factory=CaseIngest)
    failed: int = 0
    pages: int = 0
    reasons_fetched: int = 0
    blocked: str = ""  # why after-sales could not be read (the missing permission)

    def summary(self) -> str:
        if self.blocked:
            return f"after-sales: {self.blocked}"
        r = self.result
        return f"after-sales cases {r.new} new, {r.updated} updated, {r.unchanged} unchanged, {self.failed} failed"


def scope_problem(shop: Shop, exc: ScopeDenied) -> str:
    label = registry.channel(shop.platform).label
    return f"{REAUTHORIZE}: {label} did not grant the after-sales permission ({exc.message}); connect the shop again"


def _block(db: Database, shop_id: int, problem: str) -> None:
    with db.session() as session:
        shop = session.get_one(Shop, shop_id)
        if shop.after_sales_problem != problem:
            shop.after_sales_problem = problem
            mark_bindings_dirty(session, shop.team_id, shop.id)
    log.warning("shop %s: %s", shop_id, problem)


def sync_cases(
    db: Database, platform: Platform, shop_id: int, *, full: bool = False, holder: str | None = None
) -> CaseSyncReport:
    """Bring one shop's cases up to date; raises LeaseHeld if another worker has the shop."""
    report = CaseSyncReport(shop_id)
    with leases.held(db, shop_lease(shop_id), holder or leases.new_holder(), LEASE_TTL) as lease:
        with db.session() as session:
            shop = session.get(Shop, shop_id)
            if shop is None:
                raise NotFound(f"no shop with id {shop_id}")
            if shop.status != ShopStatus.ACTIVE:
                report.blocked = shop.status_reason or f"shop {shop.name!r} must be connected again"
                return report
            mark = shop.after_sales_watermark
            since = EPOCH if full or mark is None else max(EPOCH, mark - OVERLAP)
        try:
            with client_for(db, platform, shop) as client:
                for page in client.iter_case_pages(updated_from=since):
                    _store_page(db, shop_id, report, page)
                    lease.renew()
                report.reasons_fetched = refresh_reasons(db, client, shop_id)
        except ScopeDenied as exc:
            report.blocked = scope_problem(shop, exc)
            _block(db, shop_id, report.blocked)
            return report
        with db.session() as session:
            shop = session.get_one(Shop, shop_id)
            link_orders(session, shop_id)
            shop.after_sales_synced_at = utcnow()
            if shop.after_sales_problem:
                shop.after_sales_problem = None
                mark_bindings_dirty(session, shop.team_id, shop.id)
    return report


def _store_page(db: Database, shop_id: int, report: CaseSyncReport, page: CasePageResult) -> None:
    """One page, one transaction: cases, failures and the position commit together."""
    with db.session() as session:
        shop = session.get_one(Shop, shop_id)
        result = ingest_cases(session, shop, page.cases, actor="sync")
        for failure in page.failures:
            session.add(
                FailedItem(
                    shop_id=shop_id,
                    external_id=failure.order_id,
                    source="after_sales",
                    reason=str(failure)[:2048],
                    payload={"field": failure.field_name},
                )
            )
        newest = page.resume_from or max((c.update_time for c in page.cases), default=None)
        if newest is not None and (shop.after_sales_watermark is None or newest > shop.after_sales_watermark):
            shop.after_sales_watermark = newest
        if result.changed:
            mark_bindings_dirty(session, shop.team_id, shop.id)
    report.result.add(result)
    report.failed += len(page.failures)
    report.pages += 1


def refresh_reasons(db: Database, client: ShopClient, shop_id: int) -> int:
    """Fetch the platform's reject reasons for every case that waits at a step they were not fetched for."""
    with db.session() as session:
        shop = session.get_one(Shop, shop_id)
        if not registry.channel(shop.platform).after_sales.reject_reasons:
            return 0
        waiting = session.execute(
            select(AfterSaleCase.id, AfterSaleCase.external_id, AfterSaleCase.type, AfterSaleCase.step).where(
                AfterSaleCase.shop_id == shop_id,
                AfterSaleCase.step.is_not(None),
                AfterSaleCase.reasons_step.is_distinct_from(AfterSaleCase.step),
            )
        ).all()
    fetched = {}
    for row_id, external_id, case_type, step in waiting:
        reasons = client.reject_reasons(CaseRef(external_id, CaseType(case_type), SellerStep(str(step))))
        fetched[row_id] = (step, [{"code": r.code, "text": r.text} for r in reasons])
    if fetched:
        with db.session() as session:
            for row in session.scalars(select(AfterSaleCase).where(AfterSaleCase.id.in_(fetched))):
                row.reasons_step, row.reject_reasons = fetched[row.id]
            shop = session.get_one(Shop, shop_id)
            mark_bindings_dirty(session, shop.team_id, shop_id)
    return len(fetched)


def refetch(session: Session, client: ShopClient, shop: Shop, order_ids: Sequence[str]) -> CaseIngest:
    """A webhook named these orders' cases: read them again (never trusting the push's own status)."""
    if not order_ids or shop.after_sales_problem:
        return CaseIngest()
    try:
        page = client.get_cases(order_ids)
    except ScopeDenied as exc:
        shop.after_sales_problem = scope_problem(shop, exc)
        return CaseIngest()
    result = ingest_cases(session, shop, page.cases, actor="webhook")
    for failure in page.failures:
        log.warning("webhook case %s could not be mapped: %s", failure.order_id, failure)
    return result


def reasons_due(db: Database, platform: Platform, shop_id: int) -> int:
    """After webhooks brought new cases: fetch their reasons now, not at the next sync (no call when none wait)."""
    with db.session() as session:
        shop = session.get_one(Shop, shop_id)
        due = session.scalar(
            select(AfterSaleCase.id)
            .where(
                AfterSaleCase.shop_id == shop_id,
                AfterSaleCase.step.is_not(None),
                AfterSaleCase.reasons_step.is_distinct_from(AfterSaleCase.step),
            )
            .limit(1)
        )
        blocked = shop.after_sales_problem or shop.status != ShopStatus.ACTIVE
    if due is None or blocked or not registry.channel(shop.platform).after_sales.reject_reasons:
        return 0
    try:
        with client_for(db, platform, shop) as client:
            return refresh_reasons(db, client, shop_id)
    except ScopeDenied as exc:
        _block(db, shop_id, scope_problem(shop, exc))
        return 0
