"""Rows of the after-sales tabs that are computed rather than projected from orders: the cases, the board,
and the cancellation and return rates per month, SKU and reason (the report that learns from after-sales)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db import chunks
from backend.domain.after_sales import CaseFact, SoldOrder, rate_rows
from backend.domain.profiles import ReportRows
from backend.models import AfterSaleCase, Order, OrderLine
from backend.services.after_sales.board import board_rows
from backend.services.after_sales.views import case_views
from backend.services.ledger import order_date
from backend.services.views import team_shops


def cases(session: Session, team_id: int, shop_ids: Sequence[int], now: datetime, since: datetime | None) -> ReportRows:
    return ReportRows(cases=case_views(session, team_shops(session, team_id, shop_ids), since, now))


def board(session: Session, team_id: int, shop_ids: Sequence[int], now: datetime, since: datetime | None) -> ReportRows:
    return ReportRows(board=board_rows(session, team_id, shop_ids, now))


def rates(session: Session, team_id: int, shop_ids: Sequence[int], now: datetime, since: datetime | None) -> ReportRows:
    """Orders of the window by month (shop's zone), and each order's first cancellation and first return,
    with the reason the buyer gave and the SKUs the request covered."""
    shops = {s.id: s for s in team_shops(session, team_id, shop_ids)}
    query = select(Order.id, Order.shop_id, Order.external_id, Order.platform_create_time).where(
        Order.shop_id.in_(shops)
    )
    if since is not None:
        query = query.where(Order.platform_create_time >= since)
    months: dict[tuple[int, str], str] = {}
    ids: dict[int, tuple[int, str]] = {}
    for order_id, shop_id, external_id, created in session.execute(query):
        months[(shop_id, external_id)] = order_date(created, shops[shop_id].time_zone).strftime("%Y-%m")
        ids[order_id] = (shop_id, external_id)
    skus: dict[int, set[str]] = defaultdict(set)
    for part in chunks(list(ids)):
        lines = select(OrderLine.order_id, OrderLine.seller_sku, OrderLine.sku_id).where(OrderLine.order_id.in_(part))
        for order_id, seller_sku, sku_id in session.execute(lines):
            skus[order_id].add(seller_sku or sku_id)
    sold = [SoldOrder(months[ids[i]], frozenset(skus[i])) for i in ids]
    facts: dict[tuple[int, str, bool], CaseFact] = {}
    found = session.execute(
        select(AfterSaleCase.shop_id, AfterSaleCase.order_external_id, AfterSaleCase.type, AfterSaleCase.reason,
               AfterSaleCase.items)
        .where(AfterSaleCase.shop_id.in_(shops))
        .order_by(AfterSaleCase.platform_create_time)
    )  # fmt: skip
    for shop_id, order_external_id, case_type, reason, items in found:
        month = months.get((shop_id, order_external_id))
        cancellation = case_type == "CANCEL"
        if month is None or (shop_id, order_external_id, cancellation) in facts:
            continue  # an order outside the window, or its second request of the same kind
        case_skus = frozenset(str(i.get("seller_sku") or i.get("sku_id") or "") for i in items)
        facts[(shop_id, order_external_id, cancellation)] = CaseFact(month, cancellation, reason, case_skus)
    return ReportRows(rates=rate_rows(sold, list(facts.values())))
