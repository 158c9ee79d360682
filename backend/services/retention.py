"""Personal data does not live forever: mask each order's buyer data once its team's retention has run out.

The sweep (`/tasks/retention-due`, daily by cron, hourly by the local worker) masks the columns the
Order model marks personal and the personal parts of the stored payload, keeps everything else,
records when, and marks the shop's tabs dirty so the next push rewrites those cells masked. It is
idempotent: a masked order is not selected again. Ingest masks a re-fetched order the same way before
storing it (ingest.mask_if_expired), so a later sync cannot bring the data back from the platform.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from backend.db import chunks
from backend.domain import retention
from backend.errors import InvalidInput
from backend.models import AuditEntry, ExceptionCase, Order, OrderEvent, OrderInput, Shop, Team, utcnow
from backend.services import workflow
from backend.services.ingest import PERSONAL_COLUMNS, mark_bindings_dirty, masked


def team_retention(session: Session, team_id: int) -> int:
    days = session.scalar(select(Team.retention_days).where(Team.id == team_id))
    return retention.DEFAULT_DAYS if days is None else int(days)


def set_retention(session: Session, team: Team, days: int, actor: str) -> Team:
    """Change how many days after an order ends its buyer's personal data is kept (the next sweep applies it)."""
    problem = retention.check_days(days)
    if problem:
        raise InvalidInput(problem, field="retention_days")
    old, team.retention_days = team.retention_days, days
    session.add(
        AuditEntry(
            team_id=team.id,
            actor=actor,
            action="team.retention",
            target_type="team",
            target_id=str(team.id),
            detail={"days": days, "old_days": old},
        )
    )
    session.flush()
    return team


@dataclass
class MaskReport:
    orders: int = 0
    shops: set[int] = field(default_factory=set)


def mask_expired(session: Session, now: datetime | None = None) -> MaskReport:
    """Mask every order whose team's retention has run out since it ended; the caller commits."""
    now = now or utcnow()
    report = MaskReport()
    for team_id, days in session.execute(select(Team.id, Team.retention_days)).all():
        cutoff, shops = now - timedelta(days=days), set()
        ended = func.coalesce(Order.delivery_at, Order.cancel_at, Order.platform_update_time)
        ids = list(
            session.scalars(
                select(Order.id)
                .join(Shop, Shop.id == Order.shop_id)
                .where(
                    Shop.team_id == team_id,
                    Order.personal_masked_at.is_(None),
                    Order.status.in_(retention.ENDED),
                    ended <= cutoff,
                )
                .order_by(Order.id)
            )
        )
        for batch in chunks(ids, 500):
            for order, platform in session.execute(
                select(Order, Shop.platform).join(Shop, Shop.id == Order.shop_id).where(Order.id.in_(batch))
            ).all():
                _mask(session, order, platform, now)
                shops.add(order.shop_id)
            report.orders += len(batch)
        for shop_id in shops:
            mark_bindings_dirty(session, team_id, shop_id)
        report.shops |= shops
    session.flush()
    return report


def _mask(session: Session, order: Order, platform: str, now: datetime) -> None:
    values = masked({key: getattr(order, key) for key in (*PERSONAL_COLUMNS, "raw")}, platform)
    for key, value in values.items():
        if getattr(order, key) != value:
            setattr(order, key, value)
    order.personal_masked_at = now
    # Notes typed on the order: the team's note, the note events' text, and its exception cases' free text.
    typed = session.get(OrderInput, order.id)
    if typed is not None and typed.note:
        typed.note = retention.MASK
    session.execute(
        update(OrderEvent)
        .where(OrderEvent.order_id == order.id, OrderEvent.kind == "note")
        .values(detail={"note": retention.MASK})
    )
    for case in session.scalars(select(ExceptionCase).where(ExceptionCase.order_id == order.id)):
        texts = {f.name for f in workflow.template(case.template_key).fields if f.type == "text"}
        if texts & set(case.fields):
            case.fields = {k: retention.MASK if k in texts and v else v for k, v in case.fields.items()}
