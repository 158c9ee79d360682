"""Net profit per order: revenue minus fee pools minus COGS, in the order's currency.

Sign convention (the same as backend/platforms/base.py::PlatformFeeLine and models/finance.py):
fees and costs are positive amounts that reduce profit; a refunded fee is negative. Revenue is a
signed sum (discounts and refunds negative). So `net = revenue - fees_total - cogs`, and for a
settled order `revenue - fees_total` equals TikTok's settlement amount.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from backend.domain.money import quantize

POOLS: tuple[str, ...] = ("platform", "payment", "logistics", "marketing", "tax", "other")
REVENUE = "revenue"  # the pool name fee lines carry when they are revenue, not a cost
ESTIMATED = "estimated"
SETTLED = "settled"
MARGIN_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class LedgerEntry:
    """One order's profit as the finance sheet shows it; amounts quantized to the currency's minor units.

    `net_profit` (and `margin`) is None when any unit cost is missing: a missing cost is flagged in
    `missing_cost_skus`, never counted as zero. `estimated_net_profit` is the order-time estimate,
    kept beside a settled figure so the change from estimate to settlement can be shown.
    """

    currency: str
    revenue: Decimal
    pools: Mapping[str, Decimal]
    fees_total: Decimal
    cogs: Decimal | None
    missing_cost_skus: tuple[str, ...]
    net_profit: Decimal | None
    margin: Decimal | None
    basis: str
    settled_at: datetime | None
    estimated_net_profit: Decimal | None

    @property
    def settlement_amount(self) -> Decimal:
        """What the platform pays out for the order: revenue less every fee pool."""
        return self.revenue - self.fees_total

    @property
    def estimate_change(self) -> Decimal | None:
        """Settled net minus the order-time estimate; None until both are known."""
        if self.basis != SETTLED or self.net_profit is None or self.estimated_net_profit is None:
            return None
        return self.net_profit - self.estimated_net_profit


@dataclass(frozen=True)
class Cogs:
    """Cost of goods for one order: the amount, or the SKUs whose cost is unknown on the order date."""

    amount: Decimal
    missing_skus: tuple[str, ...] = ()


@dataclass(frozen=True)
class UnitCost:
    seller_sku: str
    unit_cost: Decimal
    currency: str
    effective_from: date


@dataclass(frozen=True)
class Component:
    """What one order line consumes: `count` units of `seller_sku` (a bundle line yields several)."""

    seller_sku: str
    count: int


class CostBook:
    """A team's unit costs by SKU over time: the entry effective on the order date applies."""

    def __init__(self, costs: Iterable[UnitCost]) -> None:
        timeline: dict[str, list[UnitCost]] = {}
        for cost in costs:
            timeline.setdefault(cost.seller_sku, []).append(cost)
        self._costs = {sku: sorted(entries, key=lambda c: c.effective_from) for sku, entries in timeline.items()}
        self._dates = {sku: [c.effective_from for c in entries] for sku, entries in self._costs.items()}

    def unit_cost(self, seller_sku: str, on: date) -> UnitCost | None:
        entries = self._costs.get(seller_sku)
        if not entries:
            return None
        index = bisect_right(self._dates[seller_sku], on)
        return entries[index - 1] if index else None

    def cogs(self, components: Iterable[Component], on: date, currency: str) -> Cogs:
        """Sum of unit costs on `on`; a SKU without a cost then, or priced in another currency, is missing."""
        total = Decimal(0)
        missing: list[str] = []
        for part in components:
            cost = self.unit_cost(part.seller_sku, on)
            if cost is None or cost.currency != currency:
                missing.append(part.seller_sku)
            else:
                total += cost.unit_cost * part.count
        return Cogs(total, tuple(missing))


def pool_totals(currency: str, pooled: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """All six pools, each present (zero when empty), quantized; a pool outside POOLS is refused."""
    unknown = set(pooled) - set(POOLS)
    if unknown:
        raise ValueError(f"unknown fee pool(s) {sorted(unknown)}; pools are {POOLS}")
    return {pool: quantize(pooled.get(pool, Decimal(0)), currency) for pool in POOLS}


def net_profit(revenue: Decimal, fees_total: Decimal, cogs: Cogs) -> Decimal | None:
    return None if cogs.missing_skus else revenue - fees_total - cogs.amount


def margin(net: Decimal | None, revenue: Decimal) -> Decimal | None:
    """Net profit as a fraction of revenue (0.2345 = 23.45 %); None without a net or a revenue."""
    if net is None or not revenue:
        return None
    return (net / revenue).quantize(MARGIN_PLACES)


def ledger_entry(
    *,
    currency: str,
    revenue: Decimal,
    pooled: Mapping[str, Decimal],
    cogs: Cogs,
    basis: str,
    settled_at: datetime | None = None,
    estimated_net_profit: Decimal | None = None,
) -> LedgerEntry:
    """Assemble one order's entry; fees_total is the sum of the quantized pools, so the two reconcile."""
    if basis not in (ESTIMATED, SETTLED):
        raise ValueError(f"basis must be {ESTIMATED!r} or {SETTLED!r}, got {basis!r}")
    pools = pool_totals(currency, pooled)
    revenue = quantize(revenue, currency)
    fees_total = sum(pools.values(), Decimal(0))
    cost = Cogs(quantize(cogs.amount, currency), tuple(sorted(set(cogs.missing_skus))))
    net = net_profit(revenue, fees_total, cost)
    return LedgerEntry(
        currency=currency,
        revenue=revenue,
        pools=pools,
        fees_total=fees_total,
        cogs=None if cost.missing_skus else cost.amount,
        missing_cost_skus=cost.missing_skus,
        net_profit=net,
        margin=margin(net, revenue),
        basis=basis,
        settled_at=settled_at,
        estimated_net_profit=estimated_net_profit,
    )
