"""Fee lines into pools, and order-time fee estimates, both driven by data in schemas/.

Pools are derived from each line's `kind` (TikTok's own field name) by schemas/fee_pools.json, so a
new TikTok fee type needs a data change, not code; until then it lands in its category's default
pool ("other" for fees), visible, never dropped. Amounts follow PlatformFeeLine's sign convention.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from backend.domain.money import quantize
from backend.domain.profit import POOLS, REVENUE
from backend.platforms.base import FeeCategory

BASES = ("revenue", "gross", "shipping", "fees")
# Which settlement block an estimated line imitates, by its pool (only matters for unknown kinds).
POOL_CATEGORY = {"logistics": FeeCategory.SHIPPING, "tax": FeeCategory.TAX}


@dataclass(frozen=True)
class FeePoolMap:
    """kind → pool, per-market overrides first, then the kind table, then the category default."""

    category_defaults: Mapping[str, str]
    kinds: Mapping[str, str]
    markets: Mapping[str, Mapping[str, str]]
    affiliate_kinds: frozenset[str]

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> FeePoolMap:
        return cls(
            category_defaults=dict(doc["category_defaults"]),
            kinds=dict(doc["kinds"]),
            markets={region: dict(kinds) for region, kinds in doc["markets"].items()},
            affiliate_kinds=frozenset(doc["affiliate_kinds"]),
        )

    def pool(self, kind: str, category: str, market: str = "") -> str:
        if category == FeeCategory.REVENUE:
            return REVENUE
        override = self.markets.get(market.upper(), {}).get(kind)
        return override or self.kinds.get(kind) or self.category_defaults.get(category, "other")

    def is_known(self, kind: str) -> bool:
        return kind in self.kinds or any(kind in kinds for kinds in self.markets.values())


@dataclass(frozen=True)
class PooledLine:
    """One fee line with its pool decided; the raw `kind` and `category` are kept for re-deriving."""

    kind: str
    category: str
    pool: str
    amount: Decimal


def pool_sums(lines: Iterable[PooledLine]) -> tuple[Decimal, dict[str, Decimal]]:
    """(revenue, {pool: total}) with every one of the six pools present.

    A line of another block pooled as revenue (the shipping the buyer paid, in the shipping block)
    carries PlatformFeeLine's cost sign, so it adds to revenue negated: income is never a negative fee.
    """
    revenue = Decimal(0)
    pools: dict[str, Decimal] = dict.fromkeys(POOLS, Decimal(0))
    for line in lines:
        if line.pool == REVENUE:
            revenue += line.amount if line.category == FeeCategory.REVENUE else -line.amount
        else:
            pools[line.pool] += line.amount
    return revenue, pools


def is_affiliate(kinds: Iterable[str], pool_map: FeePoolMap) -> bool:
    """An order is affiliate-driven when any of its lines is an affiliate commission."""
    return any(kind in pool_map.affiliate_kinds for kind in kinds)


@dataclass(frozen=True)
class FeeRate:
    """One estimate rule: `rate` of `base` plus `fixed` per order, booked as fee `kind`."""

    kind: str
    base: str
    rate: Decimal = Decimal(0)
    fixed: Decimal = Decimal(0)

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> FeeRate:
        return cls(doc["kind"], doc["base"], Decimal(doc.get("rate", "0")), Decimal(doc.get("fixed", "0")))


@dataclass(frozen=True)
class OrderAmounts:
    """The order's own payment fields an estimate is computed from, in the order currency."""

    currency: str
    gross: Decimal  # original_total_product_price: items before any discount
    seller_discount: Decimal
    buyer_shipping: Decimal  # shipping_fee: what the buyer paid for shipping

    def less(self, cancelled: CancelledPart) -> OrderAmounts:
        """The amounts without the order's cancelled lines: the cancelled part of an order earns nothing."""
        return replace(
            self, gross=self.gross - cancelled.gross, seller_discount=self.seller_discount - cancelled.seller_discount
        )


@dataclass(frozen=True)
class CancelledPart:
    """What an order's cancelled lines were listed at, and the seller's discount on them."""

    gross: Decimal = Decimal(0)
    seller_discount: Decimal = Decimal(0)


def merged_rates(defaults: Sequence[FeeRate], *overrides: Sequence[FeeRate]) -> list[FeeRate]:
    """Later rule lists replace earlier ones kind by kind (market over defaults, shop over market)."""
    by_kind: dict[str, FeeRate] = {}
    for rates in (defaults, *overrides):
        by_kind.update((rate.kind, rate) for rate in rates)
    return list(by_kind.values())


def estimate_lines(
    amounts: OrderAmounts, rates: Sequence[FeeRate], pool_map: FeePoolMap, market: str
) -> list[PooledLine]:
    """Estimated settlement lines, shaped like the settled ones so both pool and compare alike.

    Revenue is the items less the seller's discount (the platform's discount is paid by TikTok)
    plus the shipping the buyer paid; each rate adds one fee line, with taxes on fees (base "fees")
    computed last from the other fees.
    """
    cur = amounts.currency
    revenue = amounts.gross - amounts.seller_discount
    lines = [
        PooledLine("subtotal_before_discount_amount", FeeCategory.REVENUE, REVENUE, quantize(amounts.gross, cur)),
        PooledLine("seller_discount_amount", FeeCategory.REVENUE, REVENUE, -quantize(amounts.seller_discount, cur)),
        PooledLine(
            "customer_paid_shipping_fee_amount",
            FeeCategory.SHIPPING,
            pool_map.pool("customer_paid_shipping_fee_amount", FeeCategory.SHIPPING, market),
            -quantize(amounts.buyer_shipping, cur),
        ),
    ]
    base = {"revenue": revenue, "gross": amounts.gross, "shipping": amounts.buyer_shipping}
    fees: list[PooledLine] = []
    for rate in sorted(rates, key=lambda r: r.base == "fees"):
        if rate.base == "fees":
            base["fees"] = sum((line.amount for line in fees), Decimal(0))
        pool = pool_map.pool(rate.kind, FeeCategory.FEE, market)
        category = POOL_CATEGORY.get(pool, FeeCategory.FEE)
        fees.append(PooledLine(rate.kind, category, pool, quantize(base[rate.base] * rate.rate + rate.fixed, cur)))
    return [line for line in lines + fees if line.amount]
