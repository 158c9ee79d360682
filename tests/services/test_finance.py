"""Settled fee lines from the TikTok sandbox's statements, over HTTP, through the real sync and client."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, select, update

from backend import runtime
from backend.domain.profit import POOLS, SETTLED
from backend.errors import InvalidInput
from backend.models import FeeLine, Order, SheetBinding, Shop, SkuCost, Team, utcnow
from backend.services import bindings, finance, sync
from backend.services.ledger import ledger_entries
from backend.services.shops import Platform, client_for

LONG_AGO = date(2020, 1, 1)
FOUNDER = "founder@acme.test"

if TYPE_CHECKING:
    from tests.conftest import Live


@pytest.fixture
def settled_shop(live: Live) -> tuple[Live, int]:
    """A US shop with 60 sandbox orders synced into the database and a cost for every seller SKU."""
    [shop_id] = live.connect_shop("Acme US", "US", orders=60)
    with live.app.app_context():
        platform = Platform(runtime.config(), runtime.secret_box())
        sync.sync_shop(live.db, platform, shop_id)
    with live.db.session() as session:
        skus = {line.seller_sku for order in session.scalars(select(Order)) for line in order.lines}
        session.add_all(
            SkuCost(
                team_id=live.team_id, seller_sku=sku, unit_cost=Decimal("3.10"), currency="USD", effective_from=LONG_AGO
            )
            for sku in skus
        )
    return live, shop_id


def _walk(live: Live, shop_id: int) -> finance.WalkReport:
    with live.app.app_context():
        return finance.settle(live.db, Platform(runtime.config(), runtime.secret_box()), shop_id)


def _tiktok_settlements(live: Live, shop_id: int) -> dict[str, Decimal]:
    """TikTok's own settlement amount per order, summed over every statement transaction."""
    amounts: dict[str, Decimal] = defaultdict(Decimal)
    with live.app.app_context(), live.db.session() as session:
        shop = session.get_one(Shop, shop_id)
        with client_for(live.db, Platform(runtime.config(), runtime.secret_box()), shop) as client:
            for batch in client.settlements(since=utcnow() - finance.FIRST_WALK):
                for entry in batch.entries:
                    amounts[entry.order_id] += entry.amount
    return amounts


def test_every_settled_order_reconciles_to_the_cent_with_tiktoks_settlement(settled_shop: tuple[Live, int]) -> None:
    live, shop_id = settled_shop
    report = _walk(live, shop_id)
    tiktok = _tiktok_settlements(live, shop_id)

    assert report.statements > 0 and not report.mismatches and not report.unknown_orders
    assert report.orders_settled == set(tiktok) and len(tiktok) >= 5
    with live.db.session() as session:
        orders = session.scalars(select(Order)).all()
        entries = ledger_entries(session, orders)
        by_external = {o.external_id: entries[o.id] for o in orders}
        for order_id, settlement in tiktok.items():
            entry = by_external[order_id]
            assert entry.basis == SETTLED and entry.settled_at is not None
            assert entry.cogs is not None and entry.net_profit is not None
            assert set(entry.pools) == set(POOLS)
            assert entry.revenue - sum(entry.pools.values()) - entry.cogs == entry.net_profit
            assert entry.net_profit == settlement - entry.cogs
            assert entry.estimated_net_profit is not None  # the order-time estimate stays beside it
        unsettled = [e for ext, e in by_external.items() if ext not in tiktok]
        assert {e.basis for e in unsettled} <= {"estimated", "unpaid", "cancelled"}
        assert any(e.basis == "estimated" for e in unsettled)


def test_fees_are_never_negative_the_shipping_the_seller_is_paid_is_revenue(settled_shop: tuple[Live, int]) -> None:
    live, shop_id = settled_shop
    _walk(live, shop_id)
    with live.db.session() as session:
        orders = session.scalars(select(Order)).all()
        entries = ledger_entries(session, orders).values()
        settled = [e for e in entries if e.basis == SETTLED]
        assert settled and all(e.pools["logistics"] == Decimal("5.20") for e in settled)  # the carrier's charge
        assert all(amount >= 0 for e in entries for amount in e.pools.values())
        income = ("customer_paid_shipping_fee_amount", "shipping_fee_discount_amount")
        shipping = next(
            line for line in session.scalars(select(FeeLine).where(FeeLine.kind.in_(income))) if line.amount
        )
        assert shipping.pool == "revenue"
        entry = next(e for o, e in zip(orders, entries, strict=True) if o.id == shipping.order_id)
        subtotal = sum(
            line.amount
            for line in session.scalars(select(FeeLine).where(FeeLine.order_id == shipping.order_id))
            if line.category == "revenue"
        )
        assert entry.revenue == subtotal - shipping.amount  # stored as a negative cost, counted as income


def test_walking_the_same_statements_again_changes_nothing(settled_shop: tuple[Live, int]) -> None:
    live, shop_id = settled_shop
    _walk(live, shop_id)
    with live.db.session() as session:
        first = sorted(session.execute(select(FeeLine.order_id, FeeLine.kind, FeeLine.amount, FeeLine.pool)).all())

    again = _walk(live, shop_id)  # from the last settled day, less the overlap

    assert again.statements >= 1
    with live.db.session() as session:
        assert (
            sorted(session.execute(select(FeeLine.order_id, FeeLine.kind, FeeLine.amount, FeeLine.pool)).all()) == first
        )


def test_fee_lines_land_in_pools_and_sum_to_the_pool_totals(settled_shop: tuple[Live, int]) -> None:
    live, shop_id = settled_shop
    _walk(live, shop_id)
    with live.db.session() as session:
        lines = session.scalars(select(FeeLine).where(FeeLine.basis == SETTLED)).all()
        pools = {line.kind: line.pool for line in lines}
        assert pools["platform_commission_amount"] == pools["referral_fee_amount"] == "platform"
        assert pools["transaction_fee_amount"] == "payment"
        assert pools["actual_shipping_fee_amount"] == "logistics"
        assert all(line.amount > 0 for line in lines if line.kind == "transaction_fee_amount")  # costs positive
        order = session.get_one(Order, lines[0].order_id)
        entry = ledger_entries(session, [order])[order.id]
        per_pool: dict[str, Decimal] = defaultdict(Decimal)
        for line in lines:
            if line.order_id == order.id and line.pool != "revenue":
                per_pool[line.pool] += line.amount
        assert {p: a for p, a in entry.pools.items() if a} == dict(per_pool)
        assert entry.fees_total == sum(per_pool.values())


def test_an_unknown_fee_type_is_kept_in_other_and_repooled_when_the_table_learns_it(
    settled_shop: tuple[Live, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    live, shop_id = settled_shop
    original = finance.fee_pool_map()
    monkeypatch.setattr(
        finance,
        "fee_pool_map",
        lambda: type(original)(
            original.category_defaults,
            {k: v for k, v in original.kinds.items() if k != "transaction_fee_amount"},
            original.markets,
            original.affiliate_kinds,
        ),
    )
    _walk(live, shop_id)
    with live.db.session() as session:
        assert set(session.scalars(select(FeeLine.pool).where(FeeLine.kind == "transaction_fee_amount"))) == {"other"}
        monkeypatch.undo()
        changed = finance.repool(session)
        assert changed > 0
        assert set(session.scalars(select(FeeLine.pool).where(FeeLine.kind == "transaction_fee_amount"))) == {"payment"}


def test_estimates_are_stored_once_and_refreshed_from_the_shops_rules(settled_shop: tuple[Live, int]) -> None:
    live, shop_id = settled_shop
    with live.db.session() as session:
        shop = session.get_one(Shop, shop_id)
        orders = session.scalars(select(Order)).all()
        written = finance.record_estimates(session, orders)
        assert finance.record_estimates(session, orders) == written
        count = session.scalar(select(func.count()).select_from(FeeLine).where(FeeLine.basis == "estimated"))
        order = next(o for o in orders if o.original_total_product_price)
        before = ledger_entries(session, [order])[order.id]

        finance.set_fee_rule(session, shop, kind="referral_fee_amount", base="revenue", rate="0.08", actor="fin@x.test")
        finance.record_estimates(session, orders)
        after = ledger_entries(session, [order])[order.id]

    assert count == written > 0
    revenue = before.revenue
    assert after.pools["platform"] - before.pools["platform"] == (revenue * Decimal("0.02")).quantize(Decimal("0.01"))


@pytest.mark.parametrize(
    ("kind", "base", "rate", "fixed", "problem"),
    [
        ("made_up_fee", "revenue", "0.05", "0", "not a known platform fee"),
        ("referral_fee_amount", "profit", "0.05", "0", "base must be one of"),
        ("referral_fee_amount", "revenue", "6", "0", "fraction of the base"),
        ("referral_fee_amount", "revenue", "abc", "0", "'abc' is not a number"),
        ("referral_fee_amount", "revenue", "0.05", "0.001", "at most 2 decimals in USD"),
    ],
)
def test_a_bad_fee_rule_is_refused_with_what_to_type(
    settled_shop: tuple[Live, int], kind: str, base: str, rate: str, fixed: str, problem: str
) -> None:
    live, shop_id = settled_shop
    with live.db.session() as session, pytest.raises(InvalidInput, match=problem):
        finance.set_fee_rule(
            session, session.get_one(Shop, shop_id), kind=kind, base=base, rate=rate, fixed=fixed, actor="fin@x.test"
        )


def test_sync_settle_walks_the_statements_without_the_worker(settled_shop: tuple[Live, int]) -> None:
    live, shop_id = settled_shop
    runner = live.app.test_cli_runner()
    with live.app.app_context():
        plain = runner.invoke(args=["sync", "--shop", str(shop_id)])
        assert plain.exit_code == 0, plain.output
        with live.db.session() as session:
            assert session.scalar(select(func.count()).select_from(FeeLine)) == 0  # a plain sync settles nothing
            team = session.get_one(Team, live.team_id)
            bindings.bind(session, team, "financeSheet000000000001", "Ledger", "profit_ledger", actor=FOUNDER)
            session.execute(update(SheetBinding).values(dirty=False))

        result = runner.invoke(args=["sync", "--settle", "--shop", str(shop_id)])

    assert result.exit_code == 0, result.output
    tiktok = _tiktok_settlements(live, shop_id)
    assert f"shop {shop_id}: " in result.output and f"{len(tiktok)} order(s) settled" in result.output
    with live.db.session() as session:
        orders = session.scalars(select(Order)).all()
        entries = ledger_entries(session, orders)
        assert {o.external_id for o in orders if entries[o.id].basis == SETTLED} == set(tiktok)
        assert session.scalars(select(SheetBinding.dirty)).all() == [True]  # the settled figures reach the sheet
