"""Fee lines per order: estimated at order time from fee rules, settled from the platform's payouts.

Settled lines come from walking the shop's settlement batches (TikTok's daily statements, Shopee's
escrow releases): each names the orders (and adjustments) it pays; an order's own settlement is
expanded through the platform's per-order lines (every batch the order appeared on, refunds
included), an adjustment is stored as its own lines on the order it belongs to. Every write replaces
what the same source wrote before, so walking the same days again changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from backend.catalog import SCHEMAS_DIR, validated
from backend.db import Database
from backend.domain.fees import (
    BASES,
    CancelledPart,
    FeePoolMap,
    FeeRate,
    OrderAmounts,
    PooledLine,
    estimate_lines,
    merged_rates,
)
from backend.domain.money import minor_units, quantize
from backend.domain.profit import ESTIMATED, SETTLED
from backend.errors import InvalidInput
from backend.models import FeeLine, FeeRule, Order, Shop, utcnow
from backend.platforms.base import (
    FeeCategory,
    OrderMappingError,
    PlatformFeeLine,
    SettlementBatch,
    SettlementEntry,
    ShopClient,
)
from backend.services.ingest import mark_bindings_dirty, record_mapping_failures
from backend.services.shops import Platform, client_for

FIRST_WALK = timedelta(days=90)  # how far back a shop's first statement walk looks
OVERLAP = timedelta(days=1)  # re-read the last settled day: statements are idempotent to re-apply


@cache
def fee_pool_map() -> FeePoolMap:
    return FeePoolMap.from_document(validated(SCHEMAS_DIR / "fee_pools.json", "fee_pools.schema.json"))


@cache
def default_rates() -> dict[str, list[FeeRate]]:
    """Market → default estimate rates (key "" holds the rates every market starts from)."""
    doc = validated(SCHEMAS_DIR / "fee_rules.json", "fee_rules.schema.json")
    rates = {"": [FeeRate.from_document(rule) for rule in doc["defaults"]]}
    rates.update({region: [FeeRate.from_document(r) for r in rules] for region, rules in doc["markets"].items()})
    return rates


# -- fee rules ---------------------------------------------------------------------------------------


def shop_rates(session: Session, shops: Iterable[Shop]) -> dict[int, list[FeeRate]]:
    """Each shop's effective estimate rates: defaults, then its market's, then finance's own (one query)."""
    shops = list(shops)
    own: dict[int, list[FeeRate]] = {s.id: [] for s in shops}
    for rule in session.scalars(select(FeeRule).where(FeeRule.shop_id.in_(own))):
        own[rule.shop_id].append(FeeRate(rule.kind, rule.base, rule.rate, rule.fixed))
    defaults = default_rates()
    return {s.id: merged_rates(defaults[""], defaults.get(s.region.upper(), []), own[s.id]) for s in shops}


def set_fee_rule(
    session: Session, shop: Shop, *, kind: str, base: str, rate: str, fixed: str = "0", actor: str
) -> FeeRule:
    """Create or change one of a shop's estimate rates, validated as a sheet edit is (message says what to type)."""
    problems = []
    if not fee_pool_map().is_known(kind):
        problems.append(f"fee {kind!r} is not a known platform fee field (see schemas/fee_pools.json)")
    if base not in BASES:
        problems.append(f"base must be one of {', '.join(BASES)}")
    rate_value = _decimal(rate, "rate", problems)
    fixed_value = _decimal(fixed, "fixed", problems)
    if rate_value is not None and not Decimal(0) <= rate_value < 1:
        problems.append("rate is a fraction of the base: 0.06 for 6 %, from 0 up to (not including) 1")
    if fixed_value is not None and (fixed_value < 0 or fixed_value != quantize(fixed_value, shop.currency)):
        problems.append(f"fixed must be ≥ 0 with at most {minor_units(shop.currency)} decimals in {shop.currency}")
    if problems or rate_value is None or fixed_value is None:
        raise InvalidInput("; ".join(problems), field=kind)
    rule = session.scalar(select(FeeRule).where(FeeRule.shop_id == shop.id, FeeRule.kind == kind))
    if rule is None:
        rule = FeeRule(shop_id=shop.id, kind=kind)
        session.add(rule)
    rule.base, rule.rate, rule.fixed, rule.updated_by = base, rate_value, fixed_value, actor
    session.flush()
    return rule


def _decimal(text: str, name: str, problems: list[str]) -> Decimal | None:
    try:
        value = Decimal(str(text).strip())
    except ArithmeticError:
        value = None
    if value is None or not value.is_finite():
        problems.append(f"{name} {text!r} is not a number")
        return None
    return value


# -- estimates ---------------------------------------------------------------------------------------


def order_amounts(order: Order) -> OrderAmounts:
    gross = order.original_total_product_price
    if gross is None:  # older payloads: rebuild the pre-discount price from the subtotal
        gross = (order.subtotal or Decimal(0)) + (order.seller_discount or Decimal(0)) + (order.platform_discount or 0)
    return OrderAmounts(order.currency, gross, order.seller_discount or Decimal(0), order.shipping_fee or Decimal(0))


def estimates(
    session: Session,
    orders: Sequence[Order],
    shops: dict[int, Shop],
    cancelled: Mapping[int, CancelledPart] | None = None,
) -> dict[int, list[PooledLine]]:
    """Order-time estimate lines for each order, from its payment fields (less its cancelled lines,
    by order id in `cancelled`) and its shop's rates."""
    rates = shop_rates(session, shops.values())
    pools = fee_pool_map()
    less = cancelled or {}
    found = {}
    for o in orders:
        amounts = order_amounts(o) if o.id not in less else order_amounts(o).less(less[o.id])
        found[o.id] = estimate_lines(amounts, rates[o.shop_id], pools, shops[o.shop_id].region)
    return found


def record_estimates(session: Session, orders: Sequence[Order]) -> int:
    """Store (or refresh) the estimated lines of these orders; returns how many lines were written."""
    shops = {s.id: s for s in session.scalars(select(Shop).where(Shop.id.in_({o.shop_id for o in orders})))}
    by_order = estimates(session, orders, shops)
    session.execute(delete(FeeLine).where(FeeLine.order_id.in_(by_order), FeeLine.basis == ESTIMATED))
    session.add_all(
        FeeLine(
            order_id=order.id,
            pool=line.pool,
            kind=line.kind,
            category=line.category,
            amount=line.amount,
            currency=order.currency,
            basis=ESTIMATED,
        )
        for order in orders
        for line in by_order[order.id]
    )
    session.flush()
    return sum(len(lines) for lines in by_order.values())


# -- settlements -------------------------------------------------------------------------------------


@dataclass
class WalkReport:
    """What one settlement walk did; `mismatches` lists orders whose lines do not add up to the platform's amount."""

    statements: int = 0
    orders_settled: set[str] = field(default_factory=set)
    adjustments: int = 0
    unknown_orders: set[str] = field(default_factory=set)
    mismatches: list[str] = field(default_factory=list)
    failures: list[OrderMappingError] = field(default_factory=list)  # payloads kept as failed items


def walk_start(session: Session, shop: Shop, now: datetime) -> datetime:
    """From the last settled day (less an overlap), or FIRST_WALK back for a shop never walked."""
    last = session.scalar(
        select(func.max(FeeLine.settled_at)).join(Order).where(Order.shop_id == shop.id, FeeLine.basis == SETTLED)
    )
    return (last - OVERLAP) if last else now - FIRST_WALK


def settle_shop(
    session: Session, client: ShopClient, shop: Shop, *, since: datetime | None = None, until: datetime | None = None
) -> WalkReport:
    """Walk a shop's settlement batches and store every settled fee line (caller commits)."""
    report = WalkReport()
    start = since or walk_start(session, shop, utcnow())
    for batch in client.settlements(since=start, until=until, failures=report.failures):
        report.statements += 1
        ids = {entry.order_id for entry in batch.entries}
        orders = {
            o.external_id: o
            for o in session.scalars(select(Order).where(Order.shop_id == shop.id, Order.external_id.in_(ids)))
        }
        for entry in batch.entries:
            order = orders.get(entry.order_id)
            if order is None:
                report.unknown_orders.add(entry.order_id)
            elif entry.adjustment_id is None:
                try:
                    _settle_order(session, client, order, batch=batch, entry=entry, report=report)
                except OrderMappingError as exc:  # this order's fee lines are malformed; the others settle
                    report.failures.append(exc)
            else:
                _settle_adjustment(session, order, batch, entry)
                report.adjustments += 1
        session.flush()
        mark_bindings_dirty(session, shop.team_id, shop.id, [o.id for o in orders.values()])
    record_mapping_failures(session, shop.id, report.failures, source="finance")
    return report


def _settle_order(
    session: Session,
    client: ShopClient,
    order: Order,
    *,
    batch: SettlementBatch,
    entry: SettlementEntry,
    report: WalkReport,
) -> None:
    """Replace the order's settled lines with the platform's current per-order view of them."""
    lines = client.order_fee_lines(order.external_id)
    this_batch = [line for line in lines if line.statement_id == batch.batch_id]
    if settlement_of(this_batch) != entry.amount:
        report.mismatches.append(order.external_id)
    settled_at = dict(
        session.execute(
            select(FeeLine.statement_id, FeeLine.settled_at).where(
                FeeLine.order_id == order.id, FeeLine.basis == SETTLED, FeeLine.transaction_id.is_(None)
            )
        ).all()
    )
    settled_at[batch.batch_id] = batch.settled_at
    session.execute(
        delete(FeeLine).where(FeeLine.order_id == order.id, FeeLine.basis == SETTLED, FeeLine.transaction_id.is_(None))
    )
    _store(session, order, lines, settled_at, transaction_id=None)
    report.orders_settled.add(order.external_id)


def _settle_adjustment(session: Session, order: Order, batch: SettlementBatch, entry: SettlementEntry) -> None:
    """A refund or adjustment paid later: stored on its original order as its own lines."""
    session.execute(delete(FeeLine).where(FeeLine.transaction_id == entry.adjustment_id))
    _store(session, order, entry.fee_lines, {batch.batch_id: batch.settled_at}, entry.adjustment_id)


def _store(
    session: Session,
    order: Order,
    lines: Iterable[PlatformFeeLine],
    settled_at: dict[str | None, datetime | None],
    transaction_id: str | None,
) -> None:
    pools = fee_pool_map()
    region = session.get_one(Shop, order.shop_id).region
    session.add_all(
        FeeLine(
            order_id=order.id,
            pool=pools.pool(line.kind, line.category, region),
            kind=line.kind,
            category=line.category,
            amount=line.amount,
            currency=line.currency,
            basis=SETTLED,
            statement_id=line.statement_id,
            transaction_id=transaction_id,
            settled_at=settled_at.get(line.statement_id),
            sku_id=line.sku_id,
        )
        for line in lines
    )


def settlement_of(lines: Iterable[PlatformFeeLine]) -> Decimal:
    """What the platform pays for these lines: revenue lines less every cost line (PlatformFeeLine's convention)."""
    return sum((line.amount if line.category == FeeCategory.REVENUE else -line.amount for line in lines), Decimal(0))


def repool(session: Session, order_ids: Sequence[int] | None = None) -> int:
    """Re-derive every stored line's pool from schemas/fee_pools.json (after a platform adds a fee type)."""
    pools = fee_pool_map()
    query = select(FeeLine, Shop.region).join(Order, FeeLine.order_id == Order.id).join(Shop)
    if order_ids is not None:
        query = query.where(FeeLine.order_id.in_(order_ids))
    changed = 0
    for line, region in session.execute(query):
        pool = pools.pool(line.kind, line.category, region)
        if pool != line.pool:
            line.pool = pool
            changed += 1
    session.flush()
    return changed


def settle(db: Database, platform: Platform, shop_id: int, *, since: datetime | None = None) -> WalkReport:
    """Walk one shop's settlements with its own client and commit (the daily job calls this per shop)."""
    with db.session() as session:
        shop = session.get_one(Shop, shop_id)
        with client_for(db, platform, shop) as client:
            return settle_shop(session, client, shop, since=since)
