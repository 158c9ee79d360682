"""TikTokClient against the sandbox over real HTTP: paging under faults, tokens, clock, shipping, finance."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from backend.errors import Action, AuthorizationLost, ClockSkewError, OrderOnHold, UnknownCarrier
from backend.platforms.base import FeeCategory, PlatformOrder
from backend.sandbox.tiktok_shop import TikTokShopSandbox

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.platforms.conftest import Connection

EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def all_orders(connection: Connection, status: str | None = None) -> list[PlatformOrder]:
    pages = connection.client.iter_order_pages(connection.shop.shop_ref, updated_from=EPOCH, status=status)
    return [order for page in pages for order in page.orders]


def test_5000_orders_under_a_429_503_burst_every_7th_call(
    sandbox: TikTokShopSandbox, connect: Callable[[list[str]], Connection]
) -> None:
    shop = sandbox.add_shop("Big US", "US", orders=5000)
    connection = connect([shop.shop_id])
    sandbox.faults.every = 7
    sandbox.reset_counters()

    orders = all_orders(connection)

    ids = [o.order_id for o in orders]
    assert len(ids) == len(set(ids)) == 5000
    assert set(ids) == set(shop.orders)
    stats = connection.client.stats
    minimum = math.ceil(5000 / 100)
    assert stats.retries == sandbox.counters.faults_injected > 0
    assert minimum <= stats.first_attempts <= minimum * 1.1
    assert connection.sleeps and max(connection.sleeps) <= 60


def test_expired_access_token_is_refreshed_once_and_rotation_reported(us: Connection) -> None:
    old_refresh = us.tokens.tokens.refresh_token
    us.sandbox.expire_access_tokens()

    assert us.client.authorized_shops() == us.shops
    assert us.client.stats.refreshes == 1
    assert len(us.rotated) == 1 and us.rotated[0].refresh_token != old_refresh
    assert us.rotated[0].access_expires_at > datetime.now(UTC) + timedelta(days=6)


def test_revoked_authorization_needs_reauthorization_without_looping(us: Connection) -> None:
    us.sandbox.revoke()
    us.sandbox.reset_counters()

    with pytest.raises(AuthorizationLost, match="reconnect") as caught:
        us.client.authorized_shops()

    assert caught.value.action is Action.REAUTHORIZE
    assert us.sandbox.counters.by_path["/api/v2/token/refresh"] == 1
    assert us.sandbox.counters.total == 2


def test_five_minutes_of_clock_skew_is_corrected_from_the_date_header(us: Connection) -> None:
    us.sandbox.clock.offset += 6 * 60  # TikTok's clock is ahead: our timestamps look 6 minutes old

    assert us.client.authorized_shops() == us.shops
    assert us.client.stats.skew_corrections == 1
    assert us.client.clock.skew == pytest.approx(360, abs=2)


def test_uncorrectable_skew_fails_naming_it(us: Connection) -> None:
    us.sandbox.send_date_header = False
    us.sandbox.clock.offset -= 120  # our timestamps are two minutes in TikTok's future
    us.sandbox.reset_counters()

    with pytest.raises(ClockSkewError, match=r"Date header.*window"):
        us.client.authorized_shops()
    assert us.sandbox.counters.total == 1


def _order_in(connection: Connection, status: str, shipping_type: str = "SELLER") -> PlatformOrder:
    return next(o for o in all_orders(connection, status=status) if o.shipping_type == shipping_type)


def test_on_hold_order_cannot_be_shipped(us: Connection) -> None:
    order = _order_in(us, "ON_HOLD")
    provider = us.client.resolve_shipping_provider(us.shop.shop_ref, "usps", package_id=order.packages[0].package_id)

    with pytest.raises(OrderOnHold, match="ON_HOLD"):
        us.client.ship_package(
            us.shop.shop_ref,
            order.packages[0].package_id,
            tracking_number="9400",
            shipping_provider_id=provider.provider_id,
        )
    assert us.client.get_orders(us.shop.shop_ref, [order.order_id]).orders[0].status == "ON_HOLD"


def test_typed_carrier_name_ships_a_seller_package_and_tracking_can_be_corrected(us: Connection) -> None:
    order = _order_in(us, "AWAITING_SHIPMENT")
    package_id = order.packages[0].package_id
    provider = us.client.resolve_shipping_provider(us.shop.shop_ref, " fed EX ", package_id=package_id)
    assert provider.name == "FedEx"
    with pytest.raises(UnknownCarrier, match="USPS"):
        us.client.resolve_shipping_provider(us.shop.shop_ref, "Pony Express", package_id=package_id)

    us.client.ship_package(
        us.shop.shop_ref, package_id, tracking_number="FX123", shipping_provider_id=provider.provider_id
    )
    us.client.update_shipping_info(
        us.shop.shop_ref, package_id, tracking_number="FX124", shipping_provider_id=provider.provider_id
    )

    shipped = us.client.get_orders(us.shop.shop_ref, [order.order_id]).orders[0]
    assert shipped.status in ("AWAITING_COLLECTION", "PARTIALLY_SHIPPING")
    assert shipped.packages[0].tracking_number == "FX124"
    assert shipped.packages[0].shipping_provider_name == "FedEx"


def test_order_detail_goes_in_batches_of_50(us: Connection) -> None:
    ids = list(us.sandbox.shops[us.shop.shop_id].orders)[:120]
    us.sandbox.reset_counters()

    result = us.client.get_orders(us.shop.shop_ref, ids)

    assert [o.order_id for o in result.orders] == ids
    assert us.sandbox.counters.by_path["/order/202309/orders"] == 3


def test_settled_fee_lines_reconcile_with_one_sign_convention(us: Connection) -> None:
    statements = list(us.client.statements(us.shop.shop_ref, since=datetime.now(UTC) - timedelta(days=60)))
    assert statements
    checked = 0
    for statement in statements[:3]:
        transactions = list(us.client.statement_transactions(us.shop.shop_ref, statement))
        total = Decimal(0)
        for transaction in transactions:
            revenue = sum(f.amount for f in transaction.fee_lines if f.category is FeeCategory.REVENUE)
            costs = sum(f.amount for f in transaction.fee_lines if f.category is not FeeCategory.REVENUE)
            assert revenue - costs == transaction.settlement_amount
            total += transaction.settlement_amount
            lines = us.client.order_fee_lines(us.shop.shop_ref, transaction.order_id)
            commission = [f for f in lines if f.kind == "platform_commission_amount"]
            assert commission and all(f.amount > 0 and f.statement_id == statement.statement_id for f in commission)
            checked += 1
        assert total == statement.settlement_amount
    assert checked


def test_unsettled_orders_have_estimates_and_no_settled_lines(us: Connection) -> None:
    estimates = list(us.client.unsettled_transactions(us.shop.shop_ref, since=datetime.now(UTC) - timedelta(days=3)))
    assert estimates and all(e.estimated and e.statement_id is None for e in estimates)
    assert us.client.order_fee_lines(us.shop.shop_ref, estimates[0].order_id) == []


def test_seeded_orders_look_like_tiktok_orders(us: Connection) -> None:
    orders = all_orders(us)
    statuses = Counter(o.status for o in orders)
    assert {"UNPAID", "ON_HOLD", "AWAITING_SHIPMENT", "COMPLETED", "CANCELLED"} <= set(statuses)
    on_hold = next(o for o in orders if o.status == "ON_HOLD")
    assert on_hold.recipient is None and on_hold.is_on_hold
    shipped = next(o for o in orders if o.status == "DELIVERED")
    assert shipped.recipient is not None and shipped.sla.rts_sla_time is not None
    assert any(o.buyer_message.startswith("=IMPORTXML(") for o in orders)
    assert any(sum(o.quantities().values()) > len(o.quantities()) for o in orders)  # multi-unit lines
    cancelled = next(o for o in orders if o.status == "CANCELLED")
    assert cancelled.cancellation is not None and cancelled.cancellation.reason
    assert all(o.payment.currency == "USD" and o.update_time.tzinfo is UTC for o in orders)
