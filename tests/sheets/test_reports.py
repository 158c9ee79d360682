"""Report tabs (profit by month and SKU, handling times, leaderboard) pushed through the writer into the sandbox."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backend.domain import reports
from backend.models import Order, OrderEvent, SheetBinding, SheetSnapshot, Shop, Team, utcnow
from backend.sandbox.sheets import GoogleSandboxes
from backend.services import bindings, fx
from backend.services.analytics import analytics_tab
from backend.services.ingest import mark_bindings_dirty
from backend.services.ledger import report_orders
from backend.services.sheet_refresh import Pusher, push_dirty
from tests import factories
from tests.sheets.test_push import ADMIN, AGENCY, FINANCE, PACKER, new_file, seller, sheets_as, tab_rows

MONEY = ("revenue", "fees_total", "cogs", "net_profit", "affiliate_net_profit", "organic_net_profit")


def _by_key(google: GoogleSandboxes, file_id: str, tab: str) -> dict[str, dict[str, Any]]:
    header, *rows = tab_rows(google, file_id, tab, "UNFORMATTED_VALUE")
    return {str(row[0]): dict(zip(header, row, strict=False)) for row in rows}


def _charts(google: GoogleSandboxes, file_id: str) -> dict[str, list[Any]]:
    meta = (
        sheets_as(google, ADMIN)
        .spreadsheets()
        .get(spreadsheetId=file_id, fields="sheets(properties(title),charts)")
        .execute()
    )
    return {s["properties"]["title"]: s.get("charts", []) for s in meta["sheets"]}


def _pushed(pusher: Pusher, file_id: str | None = None) -> None:
    results = push_dirty(pusher, file_id)
    assert results and all(not isinstance(r, Exception) for r in results), results


def test_profit_tabs_show_the_summaries_per_currency_with_one_monthly_chart(
    sheets_app: Flask, session: Session, google: GoogleSandboxes, pusher: Pusher
) -> None:
    team = seller(session)
    thb = factories.shop(session, team)
    usd = factories.shop(session, team, currency="USD", region="US", time_zone="America/Los_Angeles")
    factories.sku_cost(session, team, "LIP-01", Decimal("40.00"))
    fees = (("revenue", Decimal("500.00")), ("platform", Decimal("25.50")), ("logistics", Decimal("12.25")))
    factories.order(session, thb, fees=fees, skus=(("LIP-01", 2, Decimal("150.00")), ("MASK-02", 1, Decimal("200"))))
    factories.order(session, thb, fees=fees, skus=(("LIP-01", 1, Decimal("500.00")),))
    last_month = factories.NOW - timedelta(days=40)
    factories.order(session, thb, fees=fees, skus=(("LIP-01", 1, Decimal("500.00")),), platform_create_time=last_month)
    factories.order(session, usd, fees=(("revenue", Decimal("20.00")), ("platform", Decimal("1.10"))))
    file_id = new_file(google, (FINANCE, "writer"))
    bindings.bind(session, team, file_id, "Monthly", "profit_by_month", actor=FINANCE)
    bindings.bind(session, team, file_id, "By SKU", "profit_by_sku", actor=FINANCE)
    bindings.bind(session, team, file_id, "By shop", "profit_by_shop", actor=FINANCE)
    session.commit()

    _pushed(pusher)
    orders = list(session.scalars(select(Order).order_by(Order.id)))
    summaries = (("Monthly", reports.by_month), ("By SKU", reports.by_sku), ("By shop", reports.by_shop))
    for tab, summarize in summaries:
        keys = [row[0] for row in tab_rows(google, file_id, tab)[1:]]
        assert keys[-2:] == ["TOTAL THB", "TOTAL USD"], (tab, keys)  # the totals close every report
        shown = _by_key(google, file_id, tab)
        expected = summarize(report_orders(session, orders))
        assert set(shown) == {f"{r.key} {r.currency}" for r in expected}
        for row in expected:
            cells = shown[f"{row.key} {row.currency}"]
            assert cells["Currency"] == row.currency and cells["Orders"] == row.orders
            assert cells["Net profit"] == pytest.approx(float(row.net_profit))
            assert cells["Revenue"] == pytest.approx(float(row.revenue))
            assert cells["Platform fees"] == pytest.approx(float(row.pools["platform"]))
            assert cells["COGS"] == pytest.approx(float(row.cogs))
            assert cells["Orders missing a cost"] == row.missing_cost_orders
            assert cells["Margin"] == (pytest.approx(float(row.margin)) if row.margin is not None else "")
    monthly = _by_key(google, file_id, "Monthly")
    assert monthly["TOTAL THB"]["Revenue"] == 1500 and monthly["TOTAL USD"]["Revenue"] == 20  # never summed across
    assert monthly["TOTAL THB"]["Net profit"] == pytest.approx(2 * (500 - 37.75 - 40))  # MASK-02 has no cost
    assert monthly["TOTAL THB"]["Orders missing a cost"] == 1
    by_shop = _by_key(google, file_id, "By shop")
    assert by_shop[f"{thb.name} ({thb.region}) THB"]["Revenue"] == 1500
    assert by_shop[f"{usd.name} ({usd.region}) USD"]["Revenue"] == 20  # its SKU has no cost: no net claimed
    assert by_shop[f"{usd.name} ({usd.region}) USD"]["Orders missing a cost"] == 1

    factories.order(session, thb, fees=fees, skus=(("LIP-01", 1, Decimal("500.00")),))
    mark_bindings_dirty(session, team.id, thb.id)
    session.commit()
    _pushed(pusher)
    session.execute(delete(SheetSnapshot))  # the layout looks new: the tab is rewritten and its chart re-specified
    session.commit()
    _pushed(pusher, file_id)
    charts = _charts(google, file_id)
    assert charts["By SKU"] == []
    (chart,) = charts["Monthly"]  # one chart after three pushes
    basic = chart["spec"]["basicChart"]
    assert basic["chartType"] == "COLUMN"
    (series,) = basic["series"]
    net_column = bindings.builtin_profiles()["profit_by_month"].index_of("profit_net")
    (source,) = series["series"]["sourceRange"]["sources"]
    assert source["startColumnIndex"] == net_column
    assert _by_key(google, file_id, "Monthly")["TOTAL THB"]["Revenue"] == 2000
    keys = [row[0] for row in tab_rows(google, file_id, "Monthly")[1:]]
    assert keys == sorted(keys) and keys[-2:] == ["TOTAL THB", "TOTAL USD"]
    assert source["endRowIndex"] == 1 + len(keys) - 2  # the header and the months: no TOTAL bar dwarfs them

    # An older month arrives: it lands in order above the totals (not at the bottom), and is charted.
    factories.order(session, thb, fees=fees, platform_create_time=factories.NOW - timedelta(days=75))
    mark_bindings_dirty(session, team.id, thb.id)
    session.commit()
    _pushed(pusher, file_id)
    grown = [row[0] for row in tab_rows(google, file_id, "Monthly")[1:]]
    assert len(grown) == len(keys) + 1 and grown == sorted(grown) and grown[-2:] == ["TOTAL THB", "TOTAL USD"]
    (chart,) = _charts(google, file_id)["Monthly"]
    (source,) = chart["spec"]["basicChart"]["series"][0]["series"]["sourceRange"]["sources"]
    assert source["endRowIndex"] == 1 + len(grown) - 2


def test_handling_times_leaderboard_and_trend_match_the_analytics_with_one_chart(
    sheets_app: Flask, session: Session, google: GoogleSandboxes, pusher: Pusher
) -> None:
    team = seller(session)
    shop = factories.shop(session, team)
    paid = utcnow() - timedelta(hours=30)
    for hours in (1, 2, 3, 4, 6):
        ready = paid + timedelta(hours=hours)
        order = factories.order(session, shop, paid_at=paid, status="AWAITING_COLLECTION", rts_at=ready)
        status = {"kind": "status", "from_status": "AWAITING_SHIPMENT", "to_status": "AWAITING_COLLECTION"}
        session.add(OrderEvent(order_id=order.id, occurred_at=ready, actor=PACKER, **status))
    file_id = new_file(google)
    bindings.bind(session, team, file_id, "Handling", "handling_times")
    bindings.bind(session, team, file_id, "Leaderboard", "leaderboard")
    bindings.bind(session, team, file_id, "Trend", "handling_trend")
    session.commit()

    _pushed(pusher)
    _pushed(pusher, file_id)
    tab = analytics_tab(session, team.id, utcnow())
    handling = _by_key(google, file_id, "Handling")
    assert len(handling) == len(tab.table) - 1
    for period, stage, role, member, handled, median, p90 in tab.table[1:]:
        cells = handling[f"{period} / {stage} / {role} / {member}"]
        assert (cells["Handled"], cells["Median (h)"], cells["P90 (h)"]) == (handled, median, p90)
    assert {c["Member"] for c in handling.values()} == {"(all)", PACKER}
    assert {c["Median (h)"] for c in handling.values()} == {3}
    board = _by_key(google, file_id, "Leaderboard")
    assert len(board) == len(tab.leaderboard) - 1 >= 1
    for window, stage, rank, member, handled, median, _p90 in tab.leaderboard[1:]:
        cells = board[f"{window} / {stage} / {member}"]
        assert (cells["Rank"], cells["Handled"], cells["Median (h)"]) == (rank, handled, median)
    trend = _by_key(google, file_id, "Trend")
    assert len(trend) == len(tab.trend) - 1 >= 1
    for period, *medians in tab.trend[1:]:
        assert [trend[period][h] for h in tab.trend[0][1:]] == medians
    assert {row["Paid → ready to ship median (h)"] for row in trend.values()} == {3}
    charts = _charts(google, file_id)
    assert charts["Leaderboard"] == [] and charts["Handling"] == []
    (chart,) = charts["Trend"]  # one line per stage, period by period
    basic = chart["spec"]["basicChart"]
    assert basic["chartType"] == "LINE" and len(basic["series"]) == 3


def test_warehouse_and_viewer_audiences_cannot_bind_the_finance_reports(
    sheets_app: Flask, session: Session, google: GoogleSandboxes
) -> None:
    team = seller(session)
    with pytest.raises(bindings.ProfileRejected) as by_packer:
        bindings.bind(session, team, new_file(google), "Profit", "profit_by_month", actor=PACKER)
    assert "column 'profit_net' is cost data, which the warehouse role may not see" in by_packer.value.problems
    assert "profit_net" not in by_packer.value.message  # the message says it in words: "Net profit"
    agency = new_file(google, (AGENCY, "reader"))
    bindings.bind(session, team, agency, "Orders", "agency_view")
    with pytest.raises(bindings.ProfileRejected) as on_viewer_file:
        bindings.bind(session, team, agency, "Profit", "profit_by_sku")
    problems = on_viewer_file.value.problems
    assert "column 'profit_cogs' is cost data, which the viewer role may not see" in problems
    assert not any("profit_revenue" in p for p in problems)  # sales: the agency client may see revenue
    assert session.scalar(select(Shop.id)) is None


def _reporting_in_gbp(session: Session, tea_cost: Decimal, cost_currency: str) -> tuple[Team, Shop]:
    """A seller reporting in GBP with a US shop (USD) and the unit cost of its TEA."""
    team = seller(session)
    team.reporting_currency = "GBP"
    usd = factories.shop(session, team, currency="USD", region="US", time_zone="UTC")
    factories.sku_cost(session, team, "TEA", tea_cost, currency=cost_currency)
    return team, usd


def test_the_rates_tab_and_the_ledger_show_the_rates_used_and_the_ones_missing(
    sheets_app: Flask, session: Session, google: GoogleSandboxes, pusher: Pusher
) -> None:
    team, usd = _reporting_in_gbp(session, Decimal("20.00"), "CNY")
    paid = factories.NOW - timedelta(days=2)
    tea = (("TEA", 1, Decimal("30.00")),)
    costed = factories.order(session, usd, skus=tea, status="COMPLETED", platform_create_time=paid, paid_at=paid)
    before = paid - timedelta(days=3)
    early = factories.order(session, usd, skus=tea, status="COMPLETED", platform_create_time=before, paid_at=before)
    rate_day = (paid - timedelta(days=1)).date().isoformat()
    fx.upsert_rates(session, team, [fx.rate_row(rate_day, "CNY", "USD", "0.1390")], source=FINANCE)
    file_id = new_file(google, (FINANCE, "writer"))
    bindings.bind(session, team, file_id, "Rates", "fx_rates", actor=FINANCE)
    bindings.bind(session, team, file_id, "Ledger", "profit_ledger", actor=FINANCE)
    session.commit()

    _pushed(pusher)

    rates = _by_key(google, file_id, "Rates")
    assert rates["CNY→USD"]["Rate"] == pytest.approx(0.139) and rates["CNY→USD"]["Entered by"] == FINANCE
    assert rates["USD→GBP"]["Needed for"] == "reporting in GBP" and rates["USD→GBP"]["Rate"] == ""  # to be typed
    ledger = _by_key(google, file_id, "Ledger")
    shown = ledger[costed.external_id]
    assert shown["COGS"] == pytest.approx(2.78) and shown["Rates used"] == f"CNY→USD 0.139 on {rate_day}"
    assert shown["Missing rates"] == "USD→GBP" and shown.get("Net profit (reporting)", "") == ""
    assert ledger[early.external_id]["Missing rates"] == "CNY→USD, USD→GBP"
    assert ledger[early.external_id]["Net profit"] == "" and ledger[early.external_id]["COGS"] == ""


def test_a_rate_entered_later_shows_the_converted_profit_on_the_next_push(
    sheets_app: Flask, session: Session, google: GoogleSandboxes, pusher: Pusher
) -> None:
    team, usd = _reporting_in_gbp(session, Decimal("10.00"), "USD")
    paid = factories.NOW - timedelta(days=2)
    fees = (("revenue", Decimal("30.00")), ("platform", Decimal("1.50")))
    order = factories.order(session, usd, skus=(("TEA", 1, Decimal("30.00")),), fees=fees, status="COMPLETED",
                            platform_create_time=paid, paid_at=paid)  # fmt: skip
    file_id = new_file(google, (FINANCE, "writer"))
    bindings.bind(session, team, file_id, "Ledger", "profit_ledger", actor=FINANCE)
    bindings.bind(session, team, file_id, "By month", "profit_by_month", actor=FINANCE)
    session.commit()
    _pushed(pusher)
    shown = _by_key(google, file_id, "Ledger")[order.external_id]
    assert shown["Net profit"] == pytest.approx(18.5) and shown["Missing rates"] == "USD→GBP"
    assert shown.get("Net profit (reporting)", "") == ""
    assert session.scalars(select(SheetBinding.dirty)).all() == [False, False]

    rate_day = (paid - timedelta(days=1)).date().isoformat()
    fx.upsert_rates(session, team, [fx.rate_row(rate_day, "USD", "GBP", "0.8")], source=FINANCE)
    session.commit()
    _pushed(pusher)

    shown = _by_key(google, file_id, "Ledger")[order.external_id]
    assert shown["Net profit (reporting)"] == pytest.approx(14.8)  # 18.50 USD × 0.8
    assert shown["Missing rates"] == "" and shown["Rates used"] == f"USD→GBP 0.8 on {rate_day}"
    header, *months = tab_rows(google, file_id, "By month", "UNFORMATTED_VALUE")
    net = header.index("Net profit (reporting)")
    assert [row[net] for row in months if reports.ALL in row] == [pytest.approx(14.8)]
