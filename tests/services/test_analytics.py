"""Handling times from stored order events and exception cases, against hand-computed figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.domain.analytics import UNKNOWN_MEMBER
from backend.models import ExceptionCase, Notification, Order, OrderEvent, Shop, Team
from backend.services import notify
from backend.services.analytics import analytics_tab, load_samples
from tests import factories

MONDAY = datetime(2026, 3, 9, 0, 0, tzinfo=UTC)  # London is on GMT: ISO week 2026-W11 starts here
NEXT_MONDAY = MONDAY + timedelta(days=7)


def shipped(session: Session, shop: Shop, hours: float, *, by: str | None, on_ready: bool = True, day: int = 1) -> None:
    """An order paid on `day` of the week at 08:00 and ready to ship `hours` later."""
    paid = MONDAY + timedelta(days=day, hours=8)
    ready = paid + timedelta(hours=hours)
    order = factories.order(session, shop, paid_at=paid, status="AWAITING_COLLECTION", rts_at=ready)
    if by and not on_ready:  # the person typed the tracking number; the status came later from sync
        session.add(OrderEvent(order_id=order.id, kind="tracking", occurred_at=ready - timedelta(minutes=5), actor=by))
    actor = by if by and on_ready else "sync"
    session.add(
        OrderEvent(
            order_id=order.id,
            kind="status",
            from_status="AWAITING_SHIPMENT",
            to_status="AWAITING_COLLECTION",
            occurred_at=ready,
            actor=actor,
        )
    )


def case(session: Session, team: Team, template: str, role: str, hours: float | None, by: str) -> None:
    raised = MONDAY + timedelta(days=2, hours=9)
    session.add(
        ExceptionCase(
            team_id=team.id,
            template_key=template,
            handler_role=role,
            raised_by="cs@acme.test",
            raised_at=raised,
            status="open" if hours is None else "resolved",
            resolved_by=None if hours is None else by,
            resolved_at=None if hours is None else raised + timedelta(hours=hours),
        )
    )


def fixture(session: Session) -> Team:
    """Hand-computed for week 2026-W11 (linear percentiles, h = (n-1)p):
    ana 1, 2, 6 → median 2, p90 2 + 0.8·4 = 5.2        bo 3, 3, 4 → median 3, p90 3 + 0.8·1 = 3.8
    cy 0.5 (one order, below a minimum of 2)            one sync-only order 10 h (role only)
    warehouse, all 8: 0.5 1 2 3 3 4 6 10 → median 3, p90 6 + 0.3·4 = 7.2
    support: sam 2, 4 → median 3, p90 3.8               procurement stock-out: pat 24
    """
    team = factories.team(session, name="Acme", admin="boss@acme.test", time_zone="Europe/London")
    factories.member(session, team, "ana@acme.test", "warehouse").display_name = "Ana"
    shop = factories.shop(session, team, name="Acme UK")
    for hours in (1, 2, 6):
        shipped(session, shop, hours, by="ana@acme.test")
    for hours in (3, 3, 4):
        shipped(session, shop, hours, by="bo@acme.test", on_ready=False)
    shipped(session, shop, 0.5, by="cy@acme.test")
    shipped(session, shop, 10, by=None)
    shipped(session, shop, 1, by="ana@acme.test", day=-3)  # the week before: not counted
    case(session, team, "return_request", "support", 2, "sam@acme.test")
    case(session, team, "address_problem", "support", 4, "sam@acme.test")
    case(session, team, "stock_out", "procurement", 24, "pat@acme.test")
    case(session, team, "return_request", "support", None, "")  # still open
    session.flush()
    return team


def test_samples_attribute_work_to_the_person_who_did_it(session: Session) -> None:
    team = fixture(session)
    samples = load_samples(session, team.id, MONDAY, NEXT_MONDAY)
    by_member: dict[tuple[str, str | None], list[float]] = {}
    for s in samples:
        by_member.setdefault((s.stage, s.member), []).append(s.seconds / 3600)
    assert {k: sorted(v) for k, v in by_member.items()} == {
        ("fulfilment", "ana@acme.test"): [1, 2, 6],
        ("fulfilment", "bo@acme.test"): [3, 3, 4],
        ("fulfilment", "cy@acme.test"): [0.5],
        ("fulfilment", None): [10],
        ("exception", "sam@acme.test"): [2, 4],
        ("stock_out", "pat@acme.test"): [24],
    }


def test_the_analytics_tab_matches_the_hand_computed_figures(session: Session) -> None:
    team = fixture(session)
    tab = analytics_tab(session, team.id, NEXT_MONDAY - timedelta(hours=1), period="week", min_count=2)
    table = {(r[1], r[3]): r[4:] for r in tab.table[1:] if r[0] == "2026-W11"}
    assert table[("Paid → ready to ship", "(all)")] == [8, 3.0, 7.2]
    assert table[("Paid → ready to ship", "ana@acme.test")] == [3, 2.0, 5.2]
    assert table[("Paid → ready to ship", "bo@acme.test")] == [3, 3.0, 3.8]
    assert table[("Exception raised → resolved", "(all)")] == [2, 3.0, 3.8]
    assert table[("Stock-out raised → resolved", "pat@acme.test")] == [1, 24.0, 24.0]
    assert tab.trend[-1] == ["2026-W11", 3.0, 3.0, 24.0]
    week = [r[1:5] for r in tab.leaderboard[1:] if r[0] == "This week (2026-W11)"]
    assert week == [
        ["Paid → ready to ship", 1, "ana@acme.test", 3],
        ["Paid → ready to ship", 2, "bo@acme.test", 3],
        ["Exception raised → resolved", 1, "sam@acme.test", 2],
    ]
    other_shop = analytics_tab(session, team.id, NEXT_MONDAY, period="week", shop_ids=[-1])
    assert other_shop.table == tab.table[:1]


def test_work_last_touched_by_an_unknown_member_counts_for_the_role_and_ranks_nobody(session: Session) -> None:
    team = factories.team(session, name="Acme", admin="boss@acme.test", time_zone="Europe/London")
    shop = factories.shop(session, team, name="Acme UK")
    for hours in (1, 2, 3):  # ana typed a note earlier; the sheet edit that shipped came from nobody Google named
        shipped(session, shop, hours, by=UNKNOWN_MEMBER, on_ready=False)
        session.flush()
        order = session.scalars(select(Order).order_by(Order.id.desc()).limit(1)).one()
        session.add(OrderEvent(order_id=order.id, kind="note", occurred_at=order.paid_at, actor="ana@acme.test"))
    shipped(session, shop, 5, by=UNKNOWN_MEMBER)  # on the ready-to-ship event itself
    session.flush()
    samples = load_samples(session, team.id, MONDAY, NEXT_MONDAY)
    assert sorted((s.member, s.seconds / 3600) for s in samples) == [(None, 1), (None, 2), (None, 3), (None, 5)]
    tab = analytics_tab(session, team.id, NEXT_MONDAY - timedelta(hours=1), period="week", min_count=1)
    assert tab.leaderboard[1:] == []
    assert {r[3] for r in tab.table[1:]} == {"(all)"}


def leaderboard_team(app: Flask, session: Session, language: str = "en") -> Team:
    """The fixture's team in `language`, with a Discord channel for the leaderboard (two handled to rank)."""
    team = fixture(session)
    team.language = language
    notify.add_channel(
        session,
        app.extensions["orderdeck.secrets"],
        team,
        name="wins",
        url="https://discord.com/api/webhooks/1/t",
        kinds=["leaderboard"],
        actor="boss@acme.test",
    )
    notify.configure(session, team, quiet_start=None, quiet_end=None, leaderboard_min_count=2)
    return team


def test_the_weekly_leaderboard_goes_to_discord_on_monday_morning(app: Flask, session: Session) -> None:
    leaderboard_team(app, session)
    assert notify.weekly_leaderboard(session, NEXT_MONDAY + timedelta(hours=8)) == 0  # before 09:00
    assert notify.weekly_leaderboard(session, NEXT_MONDAY + timedelta(hours=9)) == 1
    assert notify.weekly_leaderboard(session, NEXT_MONDAY + timedelta(days=2)) == 0  # once a week
    body = session.scalars(select(Notification)).one().payload
    assert body["content"] == "Weekly leaderboard (at least 2 handled to rank)"
    boards = {e["title"]: e["description"] for e in body["embeds"]}
    assert boards["Fastest Paid → ready to ship — 2026-W11"] == (
        "1. Ana — median 2.0 h, p90 5.2 h (3)\n2. bo — median 3.0 h, p90 3.8 h (3)"
    )
    assert boards["Fastest Stock-out raised → resolved — 2026-W11"] == "No one reached the minimum volume."


def test_a_chinese_team_gets_its_weekly_leaderboard_in_chinese(app: Flask, session: Session) -> None:
    leaderboard_team(app, session, "zh-Hans")
    assert notify.weekly_leaderboard(session, NEXT_MONDAY + timedelta(hours=9)) == 1
    body = session.scalars(select(Notification)).one().payload
    assert body["content"] == "每周排行榜（至少处理 2 件才上榜）"
    boards = {e["title"]: e["description"] for e in body["embeds"]}
    assert boards["付款 → 待揽收 最快 — 2026-W11"] == (
        "1. Ana — 中位数 2.0 小时，P90 5.2 小时（3 件）\n2. bo — 中位数 3.0 小时，P90 3.8 小时（3 件）"
    )
    assert boards["缺货提出 → 解决 最快 — 2026-W11"] == "无人达到最低处理量。"
