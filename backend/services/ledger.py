"""The profit ledger: one LedgerEntry per order, from stored fee lines, order lines and SKU costs.

Everything is loaded in a few batch queries per call (fee lines and order lines of the orders,
unit costs of their teams), because a push asks for thousands of orders at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db import among, chunks
from backend.domain.fees import CancelledPart, PooledLine, is_affiliate, pool_sums
from backend.domain.fx import RateBook
from backend.domain.profit import (
    CANCELLED_STATUS,
    ESTIMATED,
    NO_RATES,
    SETTLED,
    Cogs,
    Component,
    CostBook,
    LedgerEntry,
    UnitCost,
    basis_before_settlement,
    ledger_entry,
    line_components,
    not_revenue,
    with_reporting,
)
from backend.domain.reports import ReportOrder
from backend.models import FeeLine, Order, OrderLine, Shop, SkuCost, Team
from backend.services.after_sales.refunds import estimated_refunds
from backend.services.cost_layers import fifo_books
from backend.services.finance import estimates, fee_pool_map
from backend.services.fx import rate_books

NO_COSTS = CostBook(())


@dataclass(frozen=True)
class StoredLine:
    line: PooledLine
    basis: str
    settled_at: datetime | None


def order_date(created: datetime, time_zone: str) -> date:
    """The order date in the shop's zone: the day whose unit cost applies."""
    return created.astimezone(ZoneInfo(time_zone)).date()


def ledger_entries(session: Session, orders: Sequence[Order]) -> dict[int, LedgerEntry]:
    """Ledger entries keyed by Order.id, following the README's ledger rules.

    Settled once the order has settled lines (the statements say what was paid, cancelled or not);
    otherwise an unpaid order, or one cancelled after payment, counts nothing, and any other is
    estimated. The estimate is the stored one (from order time) or, for an order not estimated yet,
    one computed now from its shop's fee rules, less its cancelled lines. Cancelled lines cost no
    goods. Costs and the reporting currency convert at the rate of the paid date (shop's zone).
    """
    ids = [o.id for o in orders]
    shops = {s.id: s for s in session.scalars(select(Shop).where(Shop.id.in_({o.shop_id for o in orders})))}
    fee_lines, components, cancelled = _stored_lines(session, ids)
    unestimated = [o for o in orders if not any(s.basis == ESTIMATED for s in fee_lines.get(o.id, ()))]
    computed = estimates(session, unestimated, shops, cancelled) if unestimated else {}
    refunds = estimated_refunds(session, ids)
    books = cost_books(session, {s.team_id for s in shops.values()})
    fifo = fifo_books(session, {s.team_id for s in shops.values()}, books)
    costs_in = {c for b in books.values() for c in b.currencies} | {c for f in fifo.values() for c in f.currencies}
    reporting, rates, days = _rates(session, orders, shops, costs_in)
    entries = {}
    for order in orders:
        shop = shops[order.shop_id]
        stored = fee_lines.get(order.id, [])
        book = rates.get(shop.team_id, NO_RATES)
        day = order_date(order.platform_create_time, shop.time_zone)
        paid = days.get(order.id, day)
        typed, parts = books.get(shop.team_id, NO_COSTS), components.get(order.id, [])
        drawn = fifo.get(shop.team_id)
        if drawn is None:
            cogs = typed.cogs(parts, day, order.currency, book, paid)
        else:
            cogs = drawn.cogs(order.id, parts, on=day, currency=order.currency, typed=typed, rates=book, paid=paid)
        before = basis_before_settlement(order.status, order.paid_at is not None)
        if before != ESTIMATED:
            estimate = not_revenue(order.currency, before)
        else:
            estimated_lines = computed.get(order.id) or [s.line for s in stored if s.basis == ESTIMATED]
            if order.id in refunds:  # a refund granted before any statement: estimated as it happens
                estimated_lines = [*estimated_lines, refunds[order.id]]
            estimate = _entry(order.currency, lines=estimated_lines, cogs=cogs, basis=ESTIMATED)
        entry = estimate
        settled = [s for s in stored if s.basis == SETTLED]
        if settled:
            settled_at = max((s.settled_at for s in settled if s.settled_at), default=None)
            entry = _entry(
                order.currency,
                lines=[s.line for s in settled],
                cogs=cogs,
                basis=SETTLED,
                settled_at=settled_at,
                estimated_net_profit=estimate.net_profit,
            )
        entries[order.id] = with_reporting(entry, reporting.get(shop.team_id), book, paid)
    return entries


def _stored_lines(
    session: Session, ids: Sequence[int]
) -> tuple[dict[int, list[StoredLine]], dict[int, list[Component]], dict[int, CancelledPart]]:
    """The orders' stored fee lines, the goods their live lines draw, and what their cancelled lines sold at."""
    fee_lines: dict[int, list[StoredLine]] = defaultdict(list)
    components: dict[int, list[Component]] = defaultdict(list)
    cancelled: dict[int, CancelledPart] = {}
    for part in chunks(ids):
        rows = session.execute(
            select(
                FeeLine.order_id,
                FeeLine.kind,
                FeeLine.category,
                FeeLine.pool,
                FeeLine.amount,
                FeeLine.basis,
                FeeLine.settled_at,
            ).where(among(session, FeeLine.order_id, part))
        )
        for order_id, kind, category, pool, amount, basis, settled_at in rows:
            fee_lines[order_id].append(StoredLine(PooledLine(kind, category, pool, amount), basis, settled_at))
        lines = select(
            OrderLine.order_id,
            OrderLine.seller_sku,
            OrderLine.sku_id,
            OrderLine.combined_listing_skus,
            OrderLine.display_status,
        ).where(among(session, OrderLine.order_id, part))
        with_cancelled: set[int] = set()
        for order_id, seller_sku, sku_id, combined, status in session.execute(lines):
            if status == CANCELLED_STATUS:
                with_cancelled.add(order_id)
            else:
                components[order_id] += line_components(seller_sku, sku_id, combined)
        if with_cancelled:  # rare: only then read what the cancelled lines were sold at
            cancelled |= cancelled_parts(session, with_cancelled)
    return fee_lines, components, cancelled


def cancelled_parts(session: Session, order_ids: Iterable[int]) -> dict[int, CancelledPart]:
    """Per order, the list price and seller discount of its cancelled lines (a partial cancellation)."""
    found: dict[int, CancelledPart] = {}
    rows = session.execute(
        select(OrderLine.order_id, OrderLine.original_price, OrderLine.sale_price, OrderLine.seller_discount).where(
            OrderLine.order_id.in_(order_ids), OrderLine.display_status == CANCELLED_STATUS
        )
    )
    for order_id, listed, sold, discount in rows:
        so_far = found.get(order_id, CancelledPart())
        found[order_id] = CancelledPart(
            so_far.gross + (listed if listed is not None else sold or Decimal(0)),
            so_far.seller_discount + (discount or Decimal(0)),
        )
    return found


def rate_day(order: Order, time_zone: str) -> date:
    """The day whose exchange rates apply: the paid date in the shop's zone (the order date if unknown)."""
    return order_date(order.paid_at or order.platform_create_time, time_zone)


def _rates(
    session: Session, orders: Sequence[Order], shops: dict[int, Shop], costs_in: set[str]
) -> tuple[dict[int, str | None], dict[int, RateBook], dict[int, date]]:
    """Each team's reporting currency, the rates its orders may need (their currencies, those of `costs_in`
    and the reporting one) and each order's rate day (no rates and no days when all is in one currency)."""
    team_ids = {s.team_id for s in shops.values()}
    reporting: dict[int, str | None] = dict(
        session.execute(select(Team.id, Team.reporting_currency).where(Team.id.in_(team_ids))).all()
    )
    currencies = {o.currency for o in orders} | costs_in
    currencies |= {c for c in reporting.values() if c}
    if len(currencies) < 2 or not orders:
        return reporting, {}, {}
    days = {o.id: rate_day(o, shops[o.shop_id].time_zone) for o in orders}
    return reporting, rate_books(session, team_ids, currencies, min(days.values()), max(days.values())), days


def _entry(
    currency: str,
    *,
    lines: Sequence[PooledLine],
    cogs: Cogs,
    basis: str,
    settled_at: datetime | None = None,
    estimated_net_profit: Decimal | None = None,
) -> LedgerEntry:
    revenue, pooled = pool_sums(lines)
    return ledger_entry(
        currency=currency,
        revenue=revenue,
        pooled=pooled,
        cogs=cogs,
        basis=basis,
        settled_at=settled_at,
        estimated_net_profit=estimated_net_profit,
    )


def cost_books(session: Session, team_ids: Iterable[int]) -> dict[int, CostBook]:
    costs: dict[int, list[UnitCost]] = defaultdict(list)
    rows = session.execute(
        select(SkuCost.team_id, SkuCost.seller_sku, SkuCost.unit_cost, SkuCost.currency, SkuCost.effective_from).where(
            SkuCost.team_id.in_(set(team_ids))
        )
    )
    for team_id, seller_sku, unit_cost, currency, effective_from in rows:
        costs[team_id].append(UnitCost(seller_sku, unit_cost, currency, effective_from))
    return {team_id: CostBook(entries) for team_id, entries in costs.items()}


def report_orders(session: Session, orders: Sequence[Order]) -> list[ReportOrder]:
    """The orders as the month, SKU and shop summaries (backend/domain/reports.py) take them; a SKU's
    weight in its order is the sale price of its lines that were not cancelled."""
    entries = ledger_entries(session, orders)
    shops = {s.id: s for s in session.scalars(select(Shop).where(Shop.id.in_({o.shop_id for o in orders})))}
    kinds: dict[int, set[str]] = defaultdict(set)
    weights: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for part in chunks([o.id for o in orders]):
        for order_id, kind in session.execute(
            select(FeeLine.order_id, FeeLine.kind).where(among(session, FeeLine.order_id, part))
        ):
            kinds[order_id].add(kind)
        lines = select(OrderLine.order_id, OrderLine.seller_sku, OrderLine.sku_id, OrderLine.sale_price).where(
            among(session, OrderLine.order_id, part), OrderLine.display_status.is_distinct_from(CANCELLED_STATUS)
        )
        for order_id, seller_sku, sku_id, price in session.execute(lines):
            weights[order_id][seller_sku or sku_id] += price or Decimal(0)
    pool_map = fee_pool_map()
    return [
        ReportOrder(
            month=order_date(o.platform_create_time, shops[o.shop_id].time_zone).strftime("%Y-%m"),
            shop=shop_label(shops[o.shop_id]),
            entry=entries[o.id],
            affiliate=is_affiliate(kinds[o.id], pool_map),
            sku_weights=dict(weights[o.id]),
        )
        for o in orders
    ]


def shop_label(shop: Shop) -> str:
    """How report rows name a shop: its name (or TikTok id) and region, so two markets' shops stay apart."""
    name = shop.name or shop.external_id
    return f"{name} ({shop.region})" if shop.region else name
