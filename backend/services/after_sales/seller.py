"""What an admin does about after-sales from the command line: the team's refund limits, a cancellation the
seller starts, and one case's history (ours and the platform's)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from backend.db import Database
from backend.domain.money import quantize
from backend.domain.phrases import Phrase
from backend.domain.status import CaseType, SellerStep
from backend.errors import CaseRefused, InvalidInput, NotFound, PlatformRejected
from backend.models import AfterSaleCase, AuditEntry, Order, Shop, Team
from backend.platforms import registry
from backend.platforms.base import CaseRef, Eligibility, RefundEstimate
from backend.services.after_sales.store import ingest_cases
from backend.services.ingest import ingest_orders, mark_bindings_dirty
from backend.services.shops import Platform, client_for


def set_refund_limit(session: Session, team: Team, currency: str, amount: str | None, *, actor: str) -> str:
    """Refunds in `currency` above `amount` wait for finance once support approves them; no amount: no limit."""
    code = currency.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise InvalidInput(Phrase("{currency!r} is not a 3-letter currency code (USD, GBP, MYR)", currency=currency))
    limits = dict(team.refund_limits)
    if amount is None:
        limits.pop(code, None)
    else:
        try:
            value = Decimal(amount.strip())
        except InvalidOperation:
            raise InvalidInput(Phrase("{amount!r} is not an amount (e.g. 100 or 49.90)", amount=amount)) from None
        if not value.is_finite() or value < 0 or value != quantize(value, code):
            raise InvalidInput(Phrase("a refund limit is a positive amount in {code}, e.g. 100 or 49.90", code=code))
        limits[code] = str(value)
    team.refund_limits = limits
    session.add(AuditEntry(team_id=team.id, actor=actor, action="team.refund_limit", target_type="team",
                           target_id=str(team.id), detail={"currency": code, "amount": limits.get(code)}))  # fmt: skip
    return f"{code} {limits[code]}" if code in limits else f"no limit in {code}"


@dataclass(frozen=True)
class Cancelled:
    case_id: str
    estimate: RefundEstimate | None
    order_status: str


def seller_cancel(
    db: Database, platform: Platform, shop_id: int, order_id: str, *, reason: str, line_ids: tuple[str, ...] = ()
) -> Cancelled:
    """Cancel an order (or some of its lines, where the market allows) on the platform, then re-read it."""
    with db.session() as session:
        shop = session.get(Shop, shop_id)
        if shop is None:
            raise NotFound(Phrase("no shop {shop}", shop=shop_id))
        order = session.scalar(select(Order).where(Order.shop_id == shop.id, Order.external_id == order_id))
        if order is None:
            raise NotFound(Phrase("no order {order} in shop {shop!r}", order=order_id, shop=shop.name))
    channel = registry.channel(shop.platform)
    if not channel.after_sales.seller_cancel:
        raise PlatformRejected(
            Phrase("{channel} orders are cancelled in the platform's seller centre, not here", channel=channel.label)
        )
    if not reason.strip():
        raise InvalidInput("say why the order is cancelled (--reason)")
    with client_for(db, platform, shop) as client:
        blocked = [e.reason for e in client.eligibility(order_id) if _blocks_cancel(e, line_ids)]
        if blocked:  # asked first, as the platform advises: a refusal says why and sends nothing
            raise CaseRefused(
                Phrase(
                    "{channel} will not cancel {order}: {reason}; nothing was sent",
                    channel=channel.label,
                    order=order_id,
                    reason=blocked[0],
                )
            )
        estimate = client.refund_estimate(order_id, request_type=CaseType.CANCEL, line_ids=line_ids)
        case = client.cancel_order(
            order_id,
            reason=reason.strip(),
            line_ids=line_ids,
            idempotency_key=f"orderdeck-cancel-{secrets.token_hex(8)}",
        )
        orders = client.get_orders([order_id]).orders
    with db.session() as session:
        shop = session.get_one(Shop, shop_id)
        ingest_orders(session, shop, orders, source="api", actor="cli")
        if case is not None:
            ingest_cases(session, shop, [case], actor="cli")
        mark_bindings_dirty(session, shop.team_id, shop.id)
    return Cancelled(case.case_id if case else "", estimate, orders[0].status if orders else "")


def _blocks_cancel(found: Eligibility, line_ids: tuple[str, ...]) -> bool:
    """A cancellation refunds: lines that may not be refunded (cancelled already, a request open) block it."""
    asked = not line_ids or bool(set(line_ids) & set(found.line_ids))
    return found.request_type == CaseType.REFUND and not found.eligible and asked


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    who: str
    what: str


def history(db: Database, platform: Platform, team: Team, case_id: str) -> list[HistoryLine]:
    """A case's history: what OrderDeck recorded (statuses, decisions) and the platform's own records."""
    with db.session() as session:
        row = session.scalar(
            select(AfterSaleCase)
            .join(Shop, Shop.id == AfterSaleCase.shop_id)
            .where(Shop.team_id == team.id, AfterSaleCase.external_id == case_id)
            .options(selectinload(AfterSaleCase.events))
        )
        if row is None:
            raise NotFound(Phrase("no after-sales case {case_id!r} in team {team!r}", case_id=case_id, team=team.name))
        shop = session.get_one(Shop, row.shop_id)
        lines = [
            HistoryLine(e.occurred_at, e.actor, f"{e.kind}: {e.from_status or ''} → {e.to_status}"
                        if e.kind == "status" else f"{e.kind}: {e.detail}")
            for e in row.events
        ]  # fmt: skip
        ref = CaseRef(row.external_id, CaseType(row.type), SellerStep(row.step or SellerStep.RESPOND))
    label = registry.channel(shop.platform).label
    with client_for(db, platform, shop) as client:
        lines += [
            HistoryLine(r.at, f"{label} ({r.role})", f"{r.event}: {r.description}") for r in client.case_records(ref)
        ]
    return sorted(lines, key=lambda line: line.at)
