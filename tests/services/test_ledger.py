"""The ledger over stored orders: settled beats estimated, costs by date, batch queries for big pushes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from backend.domain.reports import by_month, by_sku
from backend.models import FeeLine, Order, OrderLine, Shop, SkuCost, Team
from backend.services.ledger import ledger_entries, report_orders

D = Decimal


def make_shop(session: Session, region: str = "US", currency: str = "USD", zone: str = "America/Los_Angeles") -> Shop:
    team = Team(name=f"Team {region} {session.query(Team).count()}")
    session.add(team)
    session.flush()
    shop = Shop(team_id=team.id, external_id=f"shop-{team.id}", region=region, currency=currency, time_zone=zone)
    session.add(shop)
    session.flush()
    return shop


def make_order(
    session: Session,
    shop: Shop,
    external_id: str,
    created: datetime,
    skus: list[str],
    *,
    price: str = "30.00",
    bundle: list[dict[str, Any]] | None = None,
) -> Order:
    """An order with one line per unit (as TikTok sends them) and its payment fields."""
    gross = D(price) * len(skus)
    order = Order(
        shop_id=shop.id,
        external_id=external_id,
        status="COMPLETED",
        platform_update_time=created,
        platform_create_time=created,
        currency=shop.currency,
        original_total_product_price=gross,
        seller_discount=D(0),
        shipping_fee=D(0),
        raw={},
    )
    order.lines = [
        OrderLine(
            external_id=f"{external_id}-{i}",
            sku_id=f"id-{sku}",
            seller_sku=sku,
            currency=shop.currency,
            sale_price=D(price),
            combined_listing_skus=bundle or [],
        )
        for i, sku in enumerate(skus)
    ]
    session.add(order)
    session.flush()
    return order


def settle(session: Session, order: Order, lines: dict[str, tuple[str, str]], when: datetime) -> None:
    """Settled lines: kind → (pool, amount), revenue lines with pool "revenue"."""
    session.add_all(
        FeeLine(
            order_id=order.id,
            kind=kind,
            pool=pool,
            amount=D(amount),
            currency=order.currency,
            basis="settled",
            category="revenue" if pool == "revenue" else "fee",
            statement_id="S1",
            settled_at=when,
        )
        for kind, (pool, amount) in lines.items()
    )
    session.flush()


def add_cost(session: Session, shop: Shop, sku: str, cost: str, since: date, currency: str = "USD") -> None:
    session.add(
        SkuCost(team_id=shop.team_id, seller_sku=sku, unit_cost=D(cost), currency=currency, effective_from=since)
    )
    session.flush()


MARCH = datetime(2026, 3, 10, 18, tzinfo=UTC)
SETTLED = datetime(2026, 3, 20, tzinfo=UTC)


def test_a_settled_order_shows_settled_figures_beside_its_estimate(session: Session) -> None:
    shop = make_shop(session)
    order = make_order(session, shop, "A1", MARCH, ["MUG", "MUG"])
    add_cost(session, shop, "MUG", "4.00", date(2026, 1, 1))
    before = ledger_entries(session, [order])[order.id]
    settle(
        session,
        order,
        {
            "subtotal_before_discount_amount": ("revenue", "60.00"),
            "referral_fee_amount": ("platform", "3.60"),
            "transaction_fee_amount": ("payment", "1.74"),
            "affiliate_commission_amount": ("marketing", "6.00"),
            "actual_shipping_fee_amount": ("logistics", "5.20"),
        },
        SETTLED,
    )

    entry = ledger_entries(session, [order])[order.id]

    assert before.basis == "estimated" and before.net_profit == D("60.00") - D("3.60") - D("1.74") - D("8.00")
    assert entry.basis == "settled" and entry.settled_at == SETTLED
    assert entry.pools == {
        "platform": D("3.60"),
        "payment": D("1.74"),
        "logistics": D("5.20"),
        "marketing": D("6.00"),
        "tax": D("0.00"),
        "other": D("0.00"),
    }
    assert entry.cogs == D("8.00") and entry.net_profit == D("35.46")
    assert entry.estimated_net_profit == before.net_profit
    assert entry.estimate_change == D("35.46") - before.net_profit


def test_a_later_refund_on_the_same_order_lowers_its_profit(session: Session) -> None:
    shop = make_shop(session)
    order = make_order(session, shop, "A2", MARCH, ["MUG"])
    add_cost(session, shop, "MUG", "4.00", date(2026, 1, 1))
    settle(session, order, {"subtotal_before_discount_amount": ("revenue", "30.00")}, SETTLED)
    settle(
        session,
        order,
        {
            "refund_subtotal_before_discount_amount": ("revenue", "-30.00"),
            "refund_administration_fee_amount": ("platform", "0.36"),
        },
        datetime(2026, 4, 2, tzinfo=UTC),
    )

    entry = ledger_entries(session, [order])[order.id]

    assert entry.revenue == D("0.00") and entry.net_profit == D("-4.36")
    assert entry.settled_at == datetime(2026, 4, 2, tzinfo=UTC)
    assert entry.margin is None  # no revenue, no margin


def test_cost_date_is_the_shops_local_order_date_and_bundles_cost_their_parts(session: Session) -> None:
    shop = make_shop(session)  # Los Angeles: 2026-03-01 03:00 UTC is still February 28 there
    late_feb = make_order(session, shop, "B1", datetime(2026, 3, 1, 3, tzinfo=UTC), ["MUG"])
    bundle = make_order(
        session,
        shop,
        "B2",
        MARCH,
        ["SET"],
        bundle=[
            {"seller_sku": "MUG", "sku_id": "id-MUG", "count": 2},
            {"seller_sku": "LID", "sku_id": "id-LID", "count": 1},
        ],
    )
    add_cost(session, shop, "MUG", "4.00", date(2026, 1, 1))
    add_cost(session, shop, "MUG", "5.00", date(2026, 3, 1))

    entries = ledger_entries(session, [late_feb, bundle])

    assert entries[late_feb.id].cogs == D("4.00")
    assert entries[bundle.id].missing_cost_skus == ("LID",) and entries[bundle.id].net_profit is None
    add_cost(session, shop, "LID", "0.50", date(2026, 1, 1))
    assert ledger_entries(session, [bundle])[bundle.id].cogs == D("10.50")


@contextmanager
def counted(session: Session) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(str(args[2]))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_ledger_queries_do_not_grow_with_the_number_of_orders(session: Session) -> None:
    shop = make_shop(session)
    add_cost(session, shop, "MUG", "4.00", date(2026, 1, 1))
    orders = [make_order(session, shop, f"N{i}", MARCH, ["MUG"]) for i in range(40)]
    for order in orders[:20]:
        settle(session, order, {"subtotal_before_discount_amount": ("revenue", "30.00")}, SETTLED)

    with counted(session) as few:
        ledger_entries(session, orders[:2])
    with counted(session) as many:
        entries = ledger_entries(session, orders)

    assert len(entries) == 40
    assert len(many) == len(few) <= 8


def test_month_and_sku_summaries_total_per_currency(session: Session) -> None:
    us = make_shop(session)
    jp = make_shop(session, "JP", "JPY", "Asia/Tokyo")
    add_cost(session, us, "MUG", "4.00", date(2026, 1, 1))
    add_cost(session, us, "LID", "1.00", date(2026, 1, 1))
    a = make_order(session, us, "R1", MARCH, ["MUG", "LID"], price="20.00")
    b = make_order(session, us, "R2", datetime(2026, 4, 2, tzinfo=UTC), ["MUG"])
    c = make_order(session, jp, "R3", MARCH, ["TEA"], price="1500")  # no cost: flagged, not zero
    settle(
        session,
        a,
        {"subtotal_before_discount_amount": ("revenue", "40.00"), "affiliate_commission_amount": ("marketing", "4.00")},
        SETTLED,
    )
    settle(
        session,
        b,
        {"subtotal_before_discount_amount": ("revenue", "30.00"), "transaction_fee_amount": ("payment", "0.87")},
        SETTLED,
    )

    inputs = report_orders(session, [a, b, c])
    months = {(r.key, r.currency): r for r in by_month(inputs)}
    skus = {(r.key, r.currency): r for r in by_sku(inputs)}

    assert set(months) == {
        ("2026-03", "USD"),
        ("2026-04", "USD"),
        ("2026-03", "JPY"),
        ("TOTAL", "JPY"),
        ("TOTAL", "USD"),
    }
    total = months[("TOTAL", "USD")]
    assert total.revenue == D("70.00") and total.cogs == D("9.00") and total.net_profit == D("56.13")
    assert total.pools["marketing"] == D("4.00") and total.pools["payment"] == D("0.87")
    assert total.affiliate_orders == 1 and total.affiliate_net_profit == D("31.00")
    assert total.organic_net_profit == D("25.13") and total.margin == D("0.8019")
    jpy = months[("TOTAL", "JPY")]
    assert jpy.missing_cost_orders == 1 and jpy.net_profit == 0 and jpy.margin is None
    assert skus[("MUG", "USD")].orders == 2 and skus[("LID", "USD")].revenue == D("20.00")
    assert skus[("TOTAL", "USD")].net_profit == total.net_profit
