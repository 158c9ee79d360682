"""Net profit per order: revenue minus fee pools minus COGS, in the order's currency.

Sign convention (the same as backend/platforms/base.py::PlatformFeeLine and models/finance.py):
fees and costs are positive amounts that reduce profit; a refunded fee is negative. Revenue is a
signed sum (discounts and refunds negative). So `net = revenue - fees_total - cogs`, and for a
settled order `revenue - fees_total` equals TikTok's settlement amount.

Revenue is only what the seller was or will be paid for (README, "The ledger's rules"): an unpaid
order, and an order cancelled before any statement paid it, count nothing; a cancelled line of an
order counts nothing either. A unit cost in another currency is converted at the team's rate for
the order's paid date; without that rate the cost is missing, flagged, never guessed.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from backend.domain.fx import Conversion, RateBook, pair_label
from backend.domain.money import quantize
from backend.domain.status import OrderStatus

POOLS: tuple[str, ...] = ("platform", "payment", "logistics", "marketing", "tax", "other")
REVENUE = "revenue"  # the pool name fee lines carry when they are revenue, not a cost
ESTIMATED = "estimated"
SETTLED = "settled"
UNPAID = "unpaid"  # never paid (or cancelled before payment): not revenue
CANCELLED = "cancelled"  # paid, then cancelled, and no statement paid anything for it: not revenue
BASES = (ESTIMATED, SETTLED, UNPAID, CANCELLED)
COUNTED = frozenset({ESTIMATED, SETTLED})  # what the summaries add up
CANCELLED_STATUS = OrderStatus.CANCELLED  # the order's (and a line's) status once it is cancelled
UNPAID_STATUS = OrderStatus.UNPAID
MARGIN_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class LedgerEntry:
    """One order's profit as the finance sheet shows it; amounts quantized to the currency's minor units.

    `net_profit` (and `margin`) is None when any unit cost is missing: a missing cost is flagged in
    `missing_cost_skus` (or, for a cost in another currency without a rate, in `missing_rates`),
    never counted as zero. `estimated_net_profit` is the order-time estimate, kept beside a settled
    figure so the change from estimate to settlement can be shown. `rates` lists every conversion
    used; `reported` is this entry in the team's reporting currency (None without one, or without
    a rate, which `missing_rates` then names).
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
    missing_rates: tuple[str, ...] = ()
    rates: tuple[Conversion, ...] = ()
    reporting_currency: str | None = None
    reported: LedgerEntry | None = None
    cost_source: str = ""  # which costs COGS used, SKU by SKU (FIFO layers, typed costs); blank: typed costs

    @property
    def counts(self) -> bool:
        """Whether the order is revenue at all (paid, and not wholly cancelled before a statement)."""
        return self.basis in COUNTED

    @property
    def rates_label(self) -> str:
        return "; ".join(c.label for c in self.rates if c.base != c.quote)

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
    """Cost of goods for one order: the amount, or the SKUs whose cost is unknown on the order date,
    and the currency pairs (with the conversions used) for costs in another currency."""

    amount: Decimal
    missing_skus: tuple[str, ...] = ()
    missing_rates: tuple[str, ...] = ()
    conversions: tuple[Conversion, ...] = ()
    sources: tuple[str, ...] = ()  # per SKU, the layers or typed costs used (backend/domain/layers.py)

    @property
    def known(self) -> bool:
        return not (self.missing_skus or self.missing_rates)


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


NO_RATES = RateBook()


def line_components(seller_sku: str | None, sku_id: str, combined: Sequence[Any]) -> list[Component]:
    """A bundle line costs its components; any other line one unit of its own seller SKU."""
    if combined:
        return [Component(str(c.get("seller_sku") or c.get("sku_id")), int(c.get("count") or 1)) for c in combined]
    return [Component(seller_sku or sku_id, 1)]


class CostBook:
    """A team's unit costs by SKU over time: the entry effective on the order date applies."""

    def __init__(self, costs: Iterable[UnitCost]) -> None:
        timeline: dict[str, list[UnitCost]] = {}
        for cost in costs:
            timeline.setdefault(cost.seller_sku, []).append(cost)
        self._costs = {sku: sorted(entries, key=lambda c: c.effective_from) for sku, entries in timeline.items()}
        self._dates = {sku: [c.effective_from for c in entries] for sku, entries in self._costs.items()}
        self.currencies = frozenset(c.currency for entries in self._costs.values() for c in entries)

    def unit_cost(self, seller_sku: str, on: date) -> UnitCost | None:
        entries = self._costs.get(seller_sku)
        if not entries:
            return None
        index = bisect_right(self._dates[seller_sku], on)
        return entries[index - 1] if index else None

    def cogs(
        self,
        components: Iterable[Component],
        on: date,
        currency: str,
        rates: RateBook = NO_RATES,
        paid: date | None = None,
    ) -> Cogs:
        """Sum of unit costs on `on`, each converted into `currency` at its rate on `paid` (default `on`).

        A SKU without a cost then is missing; a cost in a currency with no rate then names the pair.
        Conversions are exact: the caller rounds the sum once.
        """
        total = Decimal(0)
        missing: list[str] = []
        no_rate: set[str] = set()
        used: dict[str, Conversion] = {}
        for part in components:
            cost = self.unit_cost(part.seller_sku, on)
            if cost is None:
                missing.append(part.seller_sku)
                continue
            if cost.currency == currency:
                total += cost.unit_cost * part.count
                continue
            conversion = rates.conversion(cost.currency, currency, paid or on)
            if conversion is None:
                no_rate.add(pair_label(cost.currency, currency))
                continue
            used[conversion.pair] = conversion
            total += cost.unit_cost * part.count * conversion.rate
        return Cogs(total, tuple(missing), tuple(sorted(no_rate)), tuple(used.values()))


def pool_totals(currency: str, pooled: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """All six pools, each present (zero when empty), quantized; a pool outside POOLS is refused."""
    unknown = set(pooled) - set(POOLS)
    if unknown:
        raise ValueError(f"unknown fee pool(s) {sorted(unknown)}; pools are {POOLS}")
    return {pool: quantize(pooled.get(pool, Decimal(0)), currency) for pool in POOLS}


def net_profit(revenue: Decimal, fees_total: Decimal, cogs: Cogs) -> Decimal | None:
    return revenue - fees_total - cogs.amount if cogs.known else None


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
    if basis not in BASES:
        raise ValueError(f"basis must be one of {BASES}, got {basis!r}")
    pools = pool_totals(currency, pooled)
    revenue = quantize(revenue, currency)
    fees_total = sum(pools.values(), Decimal(0))
    cost = Cogs(quantize(cogs.amount, currency), tuple(sorted(set(cogs.missing_skus))), cogs.missing_rates)
    net = net_profit(revenue, fees_total, cost)
    return LedgerEntry(
        currency=currency,
        revenue=revenue,
        pools=pools,
        fees_total=fees_total,
        cogs=cost.amount if cost.known else None,
        missing_cost_skus=cost.missing_skus,
        net_profit=net,
        margin=margin(net, revenue),
        basis=basis,
        settled_at=settled_at,
        estimated_net_profit=estimated_net_profit,
        missing_rates=cost.missing_rates,
        rates=cogs.conversions,
        cost_source="; ".join(cogs.sources),
    )


def not_revenue(currency: str, basis: str) -> LedgerEntry:
    """An unpaid order, or one cancelled before a statement paid it: nothing earned, no fees, no goods gone."""
    return ledger_entry(currency=currency, revenue=Decimal(0), pooled={}, cogs=Cogs(Decimal(0)), basis=basis)


def basis_before_settlement(status: str, paid: bool) -> str:
    """What an order no statement has paid yet counts as: unpaid, cancelled after payment, or estimated.

    ON_HOLD and every later status come after payment; an order cancelled without ever being paid
    was never revenue either.
    """
    if status == UNPAID_STATUS or (status == CANCELLED_STATUS and not paid):
        return UNPAID
    return CANCELLED if status == CANCELLED_STATUS else ESTIMATED


def in_currency(entry: LedgerEntry, conversion: Conversion) -> LedgerEntry:
    """`entry` converted into `conversion.quote`: each figure rounded half-even once, net recomputed from
    the rounded figures, so revenue - fees - COGS = net holds in the reporting currency too."""
    cur, rate = conversion.quote, conversion.rate
    pools = {pool: quantize(amount * rate, cur) for pool, amount in entry.pools.items()}
    revenue = quantize(entry.revenue * rate, cur)
    fees_total = sum(pools.values(), Decimal(0))
    cogs = None if entry.cogs is None else quantize(entry.cogs * rate, cur)
    net = None if cogs is None else revenue - fees_total - cogs
    estimate = entry.estimated_net_profit
    return replace(
        entry,
        currency=cur,
        revenue=revenue,
        pools=pools,
        fees_total=fees_total,
        cogs=cogs,
        net_profit=net,
        margin=margin(net, revenue),
        estimated_net_profit=None if estimate is None else quantize(estimate * rate, cur),
        rates=(conversion,),
        reporting_currency=None,
        reported=None,
    )


def with_reporting(entry: LedgerEntry, reporting: str | None, rates: RateBook, paid: date) -> LedgerEntry:
    """Attach the entry in the team's reporting currency, at the rate on the paid date, or flag the pair."""
    if not reporting:
        return entry
    conversion = rates.conversion(entry.currency, reporting, paid)
    if conversion is None:
        missing = tuple(sorted({*entry.missing_rates, pair_label(entry.currency, reporting)}))
        return replace(entry, reporting_currency=reporting, missing_rates=missing)
    used = entry.rates if conversion.base == conversion.quote else (*entry.rates, conversion)
    return replace(entry, reporting_currency=reporting, reported=in_currency(entry, conversion), rates=used)
