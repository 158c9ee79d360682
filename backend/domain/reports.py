"""Profit summaries per month, per SKU and per shop, with totals per currency: pure aggregation of ledger entries.

Amounts of different currencies are never added: every row is one (key, currency) pair and the
totals are one row per currency. An order whose cost is missing counts toward revenue and fees but
not toward COGS or net (it is counted in `missing_cost_orders` instead), so a margin is never
computed over a made-up cost. Per-SKU rows split each order by its SKUs' share of item revenue.
Only orders that are revenue count (README, "The ledger's rules"): unpaid orders and orders
cancelled before a statement paid them are left out. With a team reporting currency, each row
also carries its revenue and net profit in it (each order at its own rate), and one more row,
TOTAL ALL, adds every currency up in the reporting currency; an order without a rate is counted in
`missing_rate_orders` and left out of those figures, never converted at a guessed rate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from backend.domain.money import quantize
from backend.domain.profit import POOLS, LedgerEntry, margin

TOTAL = "TOTAL"
ALL = "TOTAL ALL"  # every currency, converted into the reporting currency


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
    reporting_currency: str = ""
    reporting_revenue: Decimal | None = None
    reporting_net_profit: Decimal | None = None
    missing_rate_orders: int = 0

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
        self._add_reported(entry, share)
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

    def _add_reported(self, entry: LedgerEntry, share: Decimal) -> None:
        """The order's revenue and net in the reporting currency, or a count of orders without a rate."""
        if not entry.reporting_currency:
            return
        cur = self.reporting_currency = entry.reporting_currency
        if entry.reported is None:
            self.missing_rate_orders += 1
            return
        self.reporting_revenue = (self.reporting_revenue or Decimal(0)) + quantize(entry.reported.revenue * share, cur)
        if entry.reported.net_profit is not None:
            net = quantize(entry.reported.net_profit * share, cur)
            self.reporting_net_profit = (self.reporting_net_profit or Decimal(0)) + net


def _rows(orders: Iterable[ReportOrder], split: Callable[[ReportOrder], list[tuple[str, Decimal]]]) -> list[SummaryRow]:
    """Rows per (key, currency) from each order's (key, share) parts, a TOTAL per currency, then TOTAL ALL."""
    rows: dict[tuple[str, str], SummaryRow] = {}
    totals: dict[str, SummaryRow] = {}
    everything: SummaryRow | None = None
    for order in orders:
        entry = order.entry
        if not entry.counts:
            continue
        cur = entry.currency
        for key, share in split(order):
            rows.setdefault((key, cur), SummaryRow(key, cur)).add(entry, order.affiliate, share)
        totals.setdefault(cur, SummaryRow(TOTAL, cur)).add(entry, order.affiliate)
        if entry.reporting_currency:
            everything = everything or SummaryRow(ALL, entry.reporting_currency)
            if entry.reported is None:
                everything.missing_rate_orders += 1
            else:
                everything.add(entry.reported, order.affiliate)
    closing = [totals[c] for c in sorted(totals)]
    if everything is not None:
        everything.reporting_currency = everything.currency
        everything.reporting_revenue, everything.reporting_net_profit = everything.revenue, everything.net_profit
        closing.append(everything)
    return [rows[k] for k in sorted(rows)] + closing


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
