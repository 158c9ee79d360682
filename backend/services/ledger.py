"""The profit ledger: one LedgerEntry per order, from stored fee lines, order lines and SKU costs.

Everything is loaded in a few batch queries per call (fee lines and order lines of the orders,
unit costs of their teams), because a push asks for thousands of orders at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.domain.profit import (
    ESTIMATED,
    REVENUE,
    SETTLED,
    Component,
    CostBook,
    LedgerEntry,
    UnitCost,
    ledger_entry,
)
from backend.models import FeeLine, Order, OrderLine, Shop, SkuCost

CHUNK = 900  # ids per IN (...) list: below SQLite's and every driver's parameter limits
T = TypeVar("T")


@dataclass(frozen=True)
class StoredLine:
    pool: str
    amount: Decimal
    basis: str
    settled_at: datetime | None


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def line_components(seller_sku: str | None, sku_id: str, combined: Sequence[Any]) -> list[Component]:
    """A bundle line costs its components; any other line one unit of its own seller SKU."""
    if combined:
        return [Component(str(c.get("seller_sku") or c.get("sku_id")), int(c.get("count") or 1)) for c in combined]
    return [Component(seller_sku or sku_id, 1)]


def order_date(order: Order, time_zone: str) -> date:
    """The order date in the shop's zone: the day whose unit cost applies."""
    return order.platform_create_time.astimezone(ZoneInfo(time_zone)).date()


def _sum_pools(lines: Iterable[StoredLine]) -> tuple[Decimal, dict[str, Decimal]]:
    revenue = Decimal(0)
    pooled: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        if line.pool == REVENUE:
            revenue += line.amount
        else:
            pooled[line.pool] += line.amount
    return revenue, pooled


def ledger_entries(session: Session, orders: Sequence[Order]) -> dict[int, LedgerEntry]:
    """Ledger entries keyed by Order.id; settled when the order has settled fee lines, else estimated."""
    ids = [o.id for o in orders]
    shops = {s.id: s for s in session.scalars(select(Shop).where(Shop.id.in_({o.shop_id for o in orders})))}
    fee_lines: dict[int, list[StoredLine]] = defaultdict(list)
    components: dict[int, list[Component]] = defaultdict(list)
    for part in chunks(ids):
        rows = session.execute(
            select(FeeLine.order_id, FeeLine.pool, FeeLine.amount, FeeLine.basis, FeeLine.settled_at).where(
                FeeLine.order_id.in_(part)
            )
        )
        for order_id, pool, amount, basis, settled_at in rows:
            fee_lines[order_id].append(StoredLine(pool, amount, basis, settled_at))
        lines = session.execute(
            select(OrderLine.order_id, OrderLine.seller_sku, OrderLine.sku_id, OrderLine.combined_listing_skus).where(
                OrderLine.order_id.in_(part)
            )
        )
        for order_id, seller_sku, sku_id, combined in lines:
            components[order_id] += line_components(seller_sku, sku_id, combined)
    books = cost_books(session, {s.team_id for s in shops.values()})
    entries = {}
    for order in orders:
        shop = shops[order.shop_id]
        stored = fee_lines.get(order.id, [])
        cogs = books.get(shop.team_id, CostBook(())).cogs(
            components.get(order.id, []), order_date(order, shop.time_zone), order.currency
        )
        estimate = None
        estimated = [line for line in stored if line.basis == ESTIMATED]
        if estimated:
            revenue, pooled = _sum_pools(estimated)
            estimate = ledger_entry(currency=order.currency, revenue=revenue, pooled=pooled, cogs=cogs, basis=ESTIMATED)
        settled = [line for line in stored if line.basis == SETTLED]
        if settled:
            revenue, pooled = _sum_pools(settled)
            entries[order.id] = ledger_entry(
                currency=order.currency,
                revenue=revenue,
                pooled=pooled,
                cogs=cogs,
                basis=SETTLED,
                settled_at=max((line.settled_at for line in settled if line.settled_at), default=None),
                estimated_net_profit=estimate.net_profit if estimate else None,
            )
        elif estimate is not None:
            entries[order.id] = estimate
    return entries


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
