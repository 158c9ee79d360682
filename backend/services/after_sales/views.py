"""CaseViews for the after-sales tabs, the board and the sidebar, in a few batch queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from backend.domain.after_sales import CaseView, Reason, case_lines, outcome_text
from backend.domain.money import quantize
from backend.domain.status import CaseStatus, CaseType, Decision, SellerStep
from backend.models import AfterSaleCase, Shop
from backend.platforms import registry


def allowed(shop: Shop, case_type: CaseType, step: SellerStep | None) -> tuple[str, ...]:
    """The decisions the shop's channel takes through its API for a case waiting at `step`."""
    if step is None:
        return ()
    support = registry.channel(shop.platform).after_sales
    return tuple(d.value for d in Decision if support.allows(case_type, step, d))


def refund_of(row: AfterSaleCase) -> Decimal | None:
    """The case's refund in its currency's minor units (PostgreSQL reads every amount back with 4 places)."""
    return quantize(row.refund_total, row.currency) if isinstance(row.refund_total, Decimal) else None


def view_of(row: AfterSaleCase, shop: Shop, now: datetime) -> CaseView:
    step = SellerStep(row.step) if row.step else None
    case_type = CaseType(row.type)
    channel = registry.channel(shop.platform)
    typed = row.typed
    reasons = tuple(Reason(str(r["code"]), str(r["text"])) for r in row.reject_reasons if row.reasons_step == row.step)
    view = CaseView(
        case_id=row.id,
        external_id=row.external_id,
        kind=row.kind,
        type=case_type,
        status=CaseStatus(row.status),
        platform=channel.label,
        shop_id=shop.id,
        shop_name=shop.name or shop.external_id,
        shop_time_zone=shop.time_zone,
        order_external_id=row.order_external_id,
        order_id=row.order_id,
        created_at=row.platform_create_time,
        updated_at=row.platform_update_time,
        reason=row.reason,
        buyer_words=row.buyer_words or "",
        lines=case_lines(row.items),
        currency=row.currency,
        refund=refund_of(row),
        step=step,
        deadline=row.deadline_at,
        return_tracking=row.return_tracking or "",
        reasons=reasons,
        allowed=allowed(shop, case_type, step),
        read_only=channel.after_sales.why_read_only,
        decision=(typed.decision or "") if typed else "",
        decided_step=(typed.step or "") if typed else "",
        reject_reason=(typed.reject_reason or "") if typed else "",
        note=(typed.note or "") if typed else "",
        state=(typed.state or "") if typed else "",
        outcome=(typed.outcome or "") if typed else "",
        decided_by=(typed.decided_by or "") if typed else "",
        approved_by=(typed.approved_by or "") if typed else "",
    )
    return replace(view, status_note=outcome_text(view, now))


def case_views(session: Session, shops: Sequence[Shop], since: datetime | None, now: datetime) -> list[CaseView]:
    """The cases of `shops` opened since `since`, and every one still waiting for a decision, however old."""
    by_id = {s.id: s for s in shops}
    if not by_id:
        return []
    query = (
        select(AfterSaleCase)
        .where(AfterSaleCase.shop_id.in_(by_id))
        .options(selectinload(AfterSaleCase.typed))
        .order_by(AfterSaleCase.id)
    )
    if since is not None:
        query = query.where(or_(AfterSaleCase.platform_create_time >= since, AfterSaleCase.step.is_not(None)))
    return [view_of(row, by_id[row.shop_id], now) for row in session.scalars(query)]
