"""Stock, allocation and review against the TikTok Shop sandbox over HTTP, pushed session by session."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func, select

from backend import runtime
from backend.models import ExceptionCase, Member, Notification, Order, OrderEvent, StockLevel, Team
from backend.platforms.http import RetryPolicy
from backend.services import stock, sync
from backend.services.shops import Platform
from backend.services.stock import StockEditAccepted, StockEditRejected, apply_stock_edit
from backend.services.views import order_views, team_shops
from tests import factories
from tests.conftest import Live

PROCUREMENT = "buyer@acme.test"


def platform(live: Live) -> Platform:
    with live.app.app_context():
        return Platform(runtime.config(), runtime.secret_box(), retry=RetryPolicy(sleep=lambda _s: None))


@pytest.fixture
def shop(live: Live) -> int:
    [shop_id] = live.connect_shop(orders=150)
    sync.sync_shop(live.db, platform(live), shop_id)
    with live.db.session() as session:
        session.add(Member(team_id=live.team_id, email=PROCUREMENT, role="procurement"))
    return shop_id


def sandbox_units(live: Live, statuses: set[str]) -> Counter[str]:
    """Unshipped units per seller SKU of the sandbox's orders in `statuses`, read off the sandbox itself."""
    now = live.sandbox.now()
    units: Counter[str] = Counter()
    for shop in live.sandbox.shops.values():
        for order in shop.orders.values():
            if order.create_time <= now and order.status_at(now) in statuses:
                shipped = {p for p in order.package_ids() if (t := shop.packages[p].ship_time) and t <= now}
                units.update(ln.sku.seller_sku for ln in order.lines if ln.package_id not in shipped)
    return units


def sandbox_ids(live: Live, status: str) -> set[str]:
    now = live.sandbox.now()
    return {o.order_id for s in live.sandbox.shops.values() for o in s.orders.values() if o.status_at(now) == status}


def push(live: Live) -> tuple[stock.TeamStock, dict[str, Any]]:
    """What one push computes: a fresh session, the team's allocation, and the order views it overlays."""
    with live.db.session() as session:
        team_stock = stock.prepare(session, live.team_id)
        views = stock.overlay(session, order_views(session, team_shops(session, live.team_id, [])))
        return team_stock, {v.external_id: v for v in views}


def edit(live: Live, row: dict[str, object], who: str = PROCUREMENT) -> StockEditAccepted | StockEditRejected:
    with live.db.session() as session:
        return apply_stock_edit(session, session.get_one(Team, live.team_id), who, row)


def test_pick_list_counts_every_unit_of_pickable_sandbox_orders_and_never_on_hold_or_cancelled(
    live: Live, shop: int
) -> None:
    assert stock.refresh_inventory(live.db, platform(live), shop) > 0
    team_stock, views = push(live)

    picks = {p.seller_sku: p.quantity for p in team_stock.allocation.picks}
    expected = sandbox_units(live, {"AWAITING_SHIPMENT", "PARTIALLY_SHIPPING"})
    assert expected and picks == dict(expected)
    assert all(p.short_units == 0 for p in team_stock.allocation.picks)  # the sandbox's shelves are full
    packed = {oid for row in team_stock.packs for oid in row.orders}
    on_hold, cancelled = sandbox_ids(live, "ON_HOLD"), sandbox_ids(live, "CANCELLED")
    assert on_hold and cancelled
    assert not packed & (on_hold | cancelled)
    assert packed == sandbox_ids(live, "AWAITING_SHIPMENT") | sandbox_ids(live, "PARTIALLY_SHIPPING")
    # TikTok's count is what is on the shelf: available + committed to unshipped orders.
    sandbox_shop = next(iter(live.sandbox.shops.values()))
    on_hand = {s.seller_sku: sandbox_shop.on_hand[s.sku_id] for s in sandbox_shop.catalog}
    with live.db.session() as session:
        levels = session.scalars(select(StockLevel)).all()
        assert levels and all(level.platform_quantity == on_hand[level.seller_sku] for level in levels)
    assert any("buyer message" in v.review_flags for v in views.values())


def test_a_count_typed_in_the_sheet_reallocates_and_stock_outs_follow_exactly_once(live: Live, shop: int) -> None:
    stock.refresh_inventory(live.db, platform(live), shop)
    first, _ = push(live)
    sku = max(first.allocation.picks, key=lambda p: (p.orders, p.seller_sku)).seller_sku
    wanting = {oid for row in first.packs for oid in row.orders if sku in row.lines}
    with live.app.app_context(), live.db.session() as session:
        factories.low_stock_channel(session, session.get_one(Team, live.team_id), "founder@acme.test")

    accepted = edit(live, {"stock_sku": sku, "stock_on_hand": "0", "stock_reorder_point": 3})
    assert isinstance(accepted, StockEditAccepted) and accepted.row["stock_on_hand"] == 0

    def state() -> tuple[int, int, int, int]:
        """Open and resolved stock-outs, exception raises recorded on orders, low-stock alerts enqueued."""
        with live.db.session() as session:
            found = (
                select(func.count()).select_from(ExceptionCase).where(ExceptionCase.status == "open"),
                select(func.count()).select_from(ExceptionCase).where(ExceptionCase.status == "resolved"),
                select(func.count()).select_from(OrderEvent).where(OrderEvent.kind == "exception_raised"),
                select(func.count()).select_from(Notification).where(Notification.kind == "low_stock"),
            )
            a, b, c, d = (session.scalar(q) or 0 for q in found)
            return a, b, c, d

    _, views = push(live)
    labels = {oid: views[oid].stock_short for oid in wanting}
    assert all(label.startswith("short: ") and label.endswith(f"× {sku}") for label in labels.values())
    assert {o for o, v in views.items() if v.stock_short} == wanting
    assert state() == (len(wanting), 0, len(wanting), 1)
    push(live)
    assert state() == (len(wanting), 0, len(wanting), 1)  # the next push raises and alerts nothing again

    edit(live, {"stock_key": sku, "stock_on_hand": 10_000})
    _, views = push(live)
    assert not any(v.stock_short for v in views.values())
    assert state() == (0, len(wanting), len(wanting), 1)
    push(live)
    assert state() == (0, len(wanting), len(wanting), 1)

    edit(live, {"stock_sku": sku, "stock_on_hand": ""})  # back to TikTok's count: plenty
    again, _ = push(live)
    assert again.allocation.shortfalls == {}


def test_an_address_changed_after_payment_is_flagged_on_the_next_push(live: Live, shop: int) -> None:
    _, views = push(live)
    paid = next(v for v in views.values() if v.status == "AWAITING_SHIPMENT" and v.recipient_address)
    assert "address changed after payment" not in paid.review_flags
    with live.db.session() as session:
        order = session.get_one(Order, paid.order_id)
        order.recipient_address = "99 Other Road, Springfield"
    _, views = push(live)
    assert "address changed after payment" in views[paid.external_id].review_flags


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ({"stock_sku": "US-P01-X", "stock_on_hand": 3}, "stock_sku", "did you mean 'US-P01-"),
        ({"stock_sku": "US-P01-S", "stock_on_hand": "-3"}, "stock_on_hand", "whole number of units, 0 or more"),
        ({"stock_sku": "US-P01-S", "stock_on_hand": "12.5"}, "stock_on_hand", "got '12.5'"),
        ({"stock_sku": "US-P01-S", "stock_reorder_point": "ten"}, "stock_reorder_point", "got 'ten'"),
        ({"stock_sku": "US-P01-S", "stock_warehouse": "WH-TYPO"}, "stock_warehouse", "unknown warehouse 'WH-TYPO'"),
        ({"stock_sku": "US-P01-S", "stock_location": "x" * 200}, "stock_location", "at most 128 characters"),
    ],
)
def test_a_bad_stock_row_is_refused_with_a_clear_message(
    live: Live, shop: int, row: dict[str, object], column: str, message: str
) -> None:
    result = edit(live, row)
    assert isinstance(result, StockEditRejected)
    assert result.column == column
    assert message in result.message
    with live.db.session() as session:
        assert session.scalar(select(func.count()).select_from(StockLevel)) == 0


def test_only_procurement_or_an_admin_may_edit_stock_and_whole_floats_are_accepted(live: Live, shop: int) -> None:
    with live.db.session() as session:
        session.add(Member(team_id=live.team_id, email="pack@acme.test", role="warehouse"))
    refused = edit(live, {"stock_sku": "US-P01-S", "stock_on_hand": 4}, who="pack@acme.test")
    assert isinstance(refused, StockEditRejected) and "warehouse role cannot edit stock" in refused.message
    accepted = edit(live, {"stock_sku": "US-P01-S", "stock_on_hand": 4.0, "stock_location": " R1 "})
    assert isinstance(accepted, StockEditAccepted)
    assert accepted.row["stock_on_hand"] == 4 and accepted.row["stock_location"] == "R1"
    assert accepted.row["stock_warehouse"]  # the shop's one warehouse, filled in
