"""Rows of the report tabs (profit by month, SKU and shop, handling times and their trend, leaderboard) and the
after-sales tabs (cases, the Pending-Action board, rates), by grain.

Each loader reads only what its grain needs; the rows are projected through the profile like any
other tab, so report tabs go through the same writer, diff and protections (issue 5).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from backend.domain import reports
from backend.domain.columns import Grain
from backend.domain.profiles import Profile, ReportRows
from backend.models import Order
from backend.services import tracking
from backend.services.after_sales import reports as after_sales
from backend.services.analytics import AnalyticsTab, analytics_tab
from backend.services.ledger import report_orders
from backend.services.views import team_shops

Loader = Callable[[Session, int, Sequence[int], datetime, datetime | None], ReportRows]


def _orders(session: Session, team_id: int, shop_ids: Sequence[int], since: datetime | None) -> list[Order]:
    shops = team_shops(session, team_id, shop_ids)
    if not shops:
        return []
    query = select(Order).where(Order.shop_id.in_([s.id for s in shops])).options(defer(Order.raw, raiseload=True))
    if since is not None:
        query = query.where(Order.platform_create_time >= since)
    return list(session.scalars(query.order_by(Order.id)))


def _summaries(summarize: Callable[[list[reports.ReportOrder]], list[reports.SummaryRow]]) -> Loader:
    def load(
        session: Session, team_id: int, shop_ids: Sequence[int], now: datetime, since: datetime | None
    ) -> ReportRows:
        return ReportRows(summaries=summarize(report_orders(session, _orders(session, team_id, shop_ids, since))))

    return load


def _analytics(block: Callable[[AnalyticsTab], list[list[Any]]]) -> Loader:
    """One block of the analytics tab for the binding's shops (none listed: all the team's work, orderless too)."""

    def load(
        session: Session, team_id: int, shop_ids: Sequence[int], now: datetime, since: datetime | None
    ) -> ReportRows:
        tab = analytics_tab(session, team_id, now, shop_ids=list(shop_ids) or None)
        return ReportRows(analytics=block(tab))

    return load


LOADERS: dict[Grain, Loader] = {
    Grain.PROFIT_MONTH: _summaries(reports.by_month),
    Grain.PROFIT_SKU: _summaries(reports.by_sku),
    Grain.PROFIT_SHOP: _summaries(reports.by_shop),
    Grain.HANDLING: _analytics(lambda tab: tab.table),
    Grain.LEADERBOARD: _analytics(lambda tab: tab.leaderboard),
    Grain.HANDLING_TREND: _analytics(lambda tab: tab.trend),
    Grain.CARRIER_MONTH: tracking.scorecard_rows,
    Grain.AFTER_SALE: after_sales.cases,
    Grain.PENDING_ACTION: after_sales.board,
    Grain.AFTER_SALES_RATE: after_sales.rates,
}


def report_rows(session: Session, team_id: int, profile: Profile, shop_ids: Sequence[int], now: datetime) -> ReportRows:
    """The rows `profile`'s report grain shows for a binding's shops (none listed: all), over its age window."""
    window = profile.row_filter.max_age_days
    return LOADERS[profile.grain](session, team_id, shop_ids, now, now - timedelta(days=window) if window else None)
