"""Handling-time samples from order events and exception records, and the analytics tab's rows.

Who did the work: for paid → ready to ship, the person on the ready-to-ship event when it carries
one, else the last person (an email actor: a sidebar action or a sheet edit) who acted on the order
before it; for exceptions, whoever resolved them. Sync-only orders, and work last touched by a member
Google did not name (UNKNOWN_MEMBER), count for the role, not a member.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from backend.domain import analytics
from backend.domain.analytics import UNKNOWN_MEMBER, Sample
from backend.domain.status import OrderStatus
from backend.models import ExceptionCase, Order, OrderEvent, Shop, Team

READY_TO_SHIP = OrderStatus.AWAITING_COLLECTION
STOCK_OUT_TEMPLATE = "stock_out"
# How far back each period's table reaches.
LOOKBACK = {"day": timedelta(days=31), "week": timedelta(weeks=13), "month": timedelta(days=366)}


def _is_person(actor: str | None) -> bool:
    return bool(actor) and "@" in str(actor)


def _acted(actor: str | None) -> bool:
    """Someone acted: a known person, or a member Google did not name (who then ranks nowhere)."""
    return _is_person(actor) or actor == UNKNOWN_MEMBER


def _person(actor: str | None) -> str | None:
    return actor if _is_person(actor) else None


def _fulfilment_samples(session: Session, team_id: int, since: datetime, until: datetime) -> list[Sample]:
    rts_event = select(OrderEvent.order_id).where(
        OrderEvent.to_status == READY_TO_SHIP, OrderEvent.occurred_at >= since, OrderEvent.occurred_at < until
    )
    rows = session.execute(
        select(Order.id, Order.paid_at, Order.rts_at, Order.shop_id, Shop.platform)
        .join(Shop, Shop.id == Order.shop_id)
        .where(
            Shop.team_id == team_id,
            Order.paid_at.is_not(None),
            or_(Order.rts_at.between(since, until), Order.id.in_(rts_event)),
        )
    ).all()
    events: dict[int, list[OrderEvent]] = defaultdict(list)
    for event in session.scalars(
        select(OrderEvent)
        .where(
            OrderEvent.order_id.in_([r.id for r in rows]),
            or_(
                OrderEvent.to_status == READY_TO_SHIP,
                OrderEvent.actor.contains("@"),
                OrderEvent.actor == UNKNOWN_MEMBER,
            ),
        )
        .order_by(OrderEvent.occurred_at, OrderEvent.id)
    ):
        events[event.order_id].append(event)
    samples = []
    for row in rows:
        history = events.get(row.id, [])
        ready = next((e for e in history if e.to_status == READY_TO_SHIP), None)
        finished = ready.occurred_at if ready else row.rts_at
        if finished is None or not since <= finished < until or finished < row.paid_at:
            continue
        people = [e.actor for e in history if _acted(e.actor) and e.occurred_at <= finished]
        member = ready.actor if ready and _acted(ready.actor) else (people[-1] if people else None)
        samples.append(
            Sample("fulfilment", "warehouse", _person(member), row.paid_at, finished, row.shop_id, row.platform)
        )
    return samples


def _exception_samples(session: Session, team_id: int, since: datetime, until: datetime) -> list[Sample]:
    rows = session.execute(
        select(ExceptionCase, Order.shop_id, Shop.platform)
        .outerjoin(Order, Order.id == ExceptionCase.order_id)
        .outerjoin(Shop, Shop.id == Order.shop_id)
        .where(
            ExceptionCase.team_id == team_id,
            ExceptionCase.status == "resolved",
            ExceptionCase.resolved_at >= since,
            ExceptionCase.resolved_at < until,
        )
    ).all()
    return [
        Sample(
            "stock_out" if case.template_key == STOCK_OUT_TEMPLATE else "exception",
            case.handler_role,
            _person(case.resolved_by),
            case.raised_at,
            case.resolved_at,
            shop_id,
            platform,
        )
        for case, shop_id, platform in rows
        if case.resolved_at is not None
    ]


def team_zone(team: Team) -> ZoneInfo:
    """The team's zone for buckets, digests and quiet hours (UTC if the stored name is unknown)."""
    try:
        return ZoneInfo(team.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def load_samples(session: Session, team_id: int, since: datetime, until: datetime) -> list[Sample]:
    """Every stage finished in [since, until) for the team's shops."""
    return _fulfilment_samples(session, team_id, since, until) + _exception_samples(session, team_id, since, until)


@dataclass(frozen=True)
class AnalyticsTab:
    """What the sheet writer puts in the admin spreadsheet's analytics tab (three blocks of rows)."""

    table: list[list[Any]]
    trend: list[list[Any]]
    leaderboard: list[list[Any]]


def analytics_tab(
    session: Session,
    team_id: int,
    now: datetime,
    *,
    period: str = "week",
    shop_ids: list[int] | None = None,
    platform: str | None = None,
    min_count: int = 5,
) -> AnalyticsTab:
    """The analytics tab for a team: per-period table, the chart's trend block and the leaderboard."""
    zone = team_zone(session.get_one(Team, team_id))
    since = min(
        analytics.period_start(now - LOOKBACK[period], period, zone), analytics.period_start(now, "month", zone)
    )
    samples = load_samples(session, team_id, since, now)
    scope = analytics.Scope(period, zone, shop_ids, platform)
    return AnalyticsTab(
        table=analytics.analytics_rows(samples, scope),
        trend=analytics.trend_rows(samples, scope),
        leaderboard=analytics.leaderboard_rows(analytics.filtered(samples, shop_ids, platform), now, zone, min_count),
    )
