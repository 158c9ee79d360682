"""Decisions nearing their deadline reach Discord in the SLA alerts' tiers (T-24 h, T-12 h, T-4 h): once
each per case and step, quiet hours kept for all but the last, and none once the team has decided."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from backend.domain import alerts
from backend.domain.after_sales import IN_FLIGHT, deadline_message
from backend.models import AfterSaleCase, Notification, Shop, Team, utcnow
from backend.services import notify
from backend.services.after_sales.board import Target, targets
from backend.services.after_sales.views import view_of
from backend.services.analytics import team_zone

KIND = "after_sales"


def deadline_sweep(session: Session, now: datetime | None = None) -> int:
    """Enqueue the tier each undecided case has reached; returns messages enqueued."""
    now = now or utcnow()
    wanted = notify.channels_for(session, KIND)
    if not wanted:
        return 0
    rows = session.execute(
        select(AfterSaleCase, Shop)
        .join(Shop, Shop.id == AfterSaleCase.shop_id)
        .options(selectinload(AfterSaleCase.typed))
        .where(
            Shop.team_id.in_(list(wanted)),
            AfterSaleCase.step.is_not(None),
            AfterSaleCase.deadline_at > now,
            AfterSaleCase.deadline_at <= now + alerts.EARLIEST_TIER,
        )
    ).all()
    subjects = {case.id: f"case:{case.id}:{case.step}" for case, _ in rows}
    sent: dict[str, set[str]] = defaultdict(set)
    for subject, variant in session.execute(
        select(Notification.subject, Notification.variant).where(
            Notification.kind == KIND, Notification.subject.in_(subjects.values())
        )
    ):
        sent[subject].add(variant)
    added = 0
    quiet: dict[int, alerts.QuietHours | None] = {}
    tabs: dict[int, Target | None] = {}
    for case, shop in rows:
        view = view_of(case, shop, now)
        if (view.decided_now and view.state in IN_FLIGHT) or view.deadline is None:
            continue  # decided (or waiting for finance): the deadline is no longer the team's to race
        if shop.team_id not in quiet:
            quiet[shop.team_id] = _quiet(session, shop.team_id)
            tabs[shop.team_id] = next((t for t in targets(session, shop.team_id) if t.rows == "cases"), None)
        tier = alerts.tier_due(view.deadline, now, sent[subjects[case.id]], quiet[shop.team_id])
        if tier is None:
            continue
        tab = tabs[shop.team_id]
        payload = deadline_message(view, tier, tab.link([case.external_id]) if tab else None)
        added += notify.enqueue(
            session,
            shop.team_id,
            KIND,
            subjects[case.id],
            payload,
            variant=tier.name,
            channel_ids=wanted[shop.team_id],
            now=now,
        )
    return added


def _quiet(session: Session, team_id: int) -> alerts.QuietHours | None:
    settings = notify.settings_for(session, team_id)
    if settings.quiet_start is None or settings.quiet_end is None:
        return None
    return alerts.QuietHours(settings.quiet_start, settings.quiet_end, team_zone(session.get_one(Team, team_id)))
