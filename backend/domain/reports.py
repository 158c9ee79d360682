"""Profit summaries per month, per SKU and per shop, with totals per currency: pure aggregation of ledger entries.

Amounts of different currencies are never added: every row is one (key, currency) pair and the
totals are one row per currency. An order whose cost is missing counts toward revenue and fees but
not toward COGS or net (it is counted in `missing_cost_orders` instead), so a margin is never
computed over a made-up cost. Per-SKU rows split each order by its SKUs' share of item revenue.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from backend.domain.money import quantize
from backend.domain.profit import POOLS, LedgerEntry, margin

TOTAL = "TOTAL"


@dataclass(frozen=True)
class ReportOrder:
    """One order as the summaries see it: its month (in the shop's zone), shop, entry, channel and SKU weights."""

    month: str  # "2026-11"
    shop: str  # the shop's name and region, "Glow Beauty (TH)"
    entry: LedgerEntry
    affiliate: bool
    sku_weights: Mapping[str, Decimal]  # seller SKU → its item revenue in the order


@dataclass
class SummaryRow:
    key: str  # a month, a seller SKU, a shop, or TOTAL
    currency: str
    orders: int = 0
    revenue: Decimal = Decimal(0)
    pools: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(POOLS, Decimal(0)))
    fees_total: Decimal = Decimal(0)
    cogs: Decimal = Decimal(0)
    net_profit: Decimal = Decimal(0)
    affiliate_orders: int = 0
    affiliate_net_profit: Decimal = Decimal(0)
    organic_net_profit: Decimal = Decimal(0)
    missing_cost_orders: int = 0
    costed_revenue: Decimal = Decimal(0)  # revenue of the orders whose net is known: the margin's base

    @property
    def margin(self) -> Decimal | None:
        return margin(self.net_profit if self.costed_revenue else None, self.costed_revenue)

    def add(self, entry: LedgerEntry, affiliate: bool, share: Decimal = Decimal(1)) -> None:
        cur = self.currency
        self.orders += 1
        self.revenue += quantize(entry.revenue * share, cur)
        for pool, amount in entry.pools.items():
            self.pools[pool] += quantize(amount * share, cur)
        self.fees_total = sum(self.pools.values(), Decimal(0))
        self.affiliate_orders += affiliate
        if entry.net_profit is None or entry.cogs is None:
            self.missing_cost_orders += 1
            return
        net = quantize(entry.net_profit * share, cur)
        self.cogs += quantize(entry.cogs * share, cur)
        self.net_profit += net
        self.costed_revenue += quantize(entry.revenue * share, cur)
        if affiliate:
            self.affiliate_net_profit += net
        else:
            self.organic_net_profit += net


def _rows(orders: Iterable[ReportOrder], split: Callable[[ReportOrder], list[tuple[str, Decimal]]]) -> list[SummaryRow]:
    """Rows per (key, currency) from each order's (key, share) parts, then a TOTAL per currency."""
    rows: dict[tuple[str, str], SummaryRow] = {}
    totals: dict[str, SummaryRow] = {}
    for order in orders:
        cur = order.entry.currency
        for key, share in split(order):
            rows.setdefault((key, cur), SummaryRow(key, cur)).add(order.entry, order.affiliate, share)
        totals.setdefault(cur, SummaryRow(TOTAL, cur)).add(order.entry, order.affiliate)
    return [rows[k] for k in sorted(rows)] + [totals[c] for c in sorted(totals)]


def by_month(orders: Iterable[ReportOrder]) -> list[SummaryRow]:
    """One row per (month, currency), then one TOTAL row per currency."""
    return _rows(orders, lambda o: [(o.month, Decimal(1))])


def by_sku(orders: Iterable[ReportOrder]) -> list[SummaryRow]:
    """One row per (seller SKU, currency), each order split by item revenue share; TOTAL counts each order once."""

    def shares(order: ReportOrder) -> list[tuple[str, Decimal]]:
        weights = order.sku_weights or {"": Decimal(1)}
        whole = sum(weights.values(), Decimal(0))
        return [(sku, w / whole if whole else Decimal(1) / len(weights)) for sku, w in sorted(weights.items())]

    return _rows(orders, shares)


def by_shop(orders: Iterable[ReportOrder]) -> list[SummaryRow]:
    """One row per (shop, currency), then one TOTAL row per currency."""
    return _rows(orders, lambda o: [(o.shop, Decimal(1))])
