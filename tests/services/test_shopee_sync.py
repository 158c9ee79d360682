"""Shopee shops through the same services as TikTok's: connect (CLI), sync, tokens, pushes, settlement."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from backend import runtime
from backend.domain import retention as domain_retention
from backend.domain.fees import PooledLine, pool_sums
from backend.errors import PlatformUnavailable, ReauthorizationNeeded
from backend.models import FeeLine, Order, Shop, ShopStatus, SyncRun, utcnow
from backend.platforms.http import RetryPolicy
from backend.platforms.shopee.mapping import STATUSES
from backend.sandbox.shopee.render import escrow_amount
from backend.sandbox.tiktok.records import Faults
from backend.services import finance, retention, shop_round, sync
from backend.services.shops import Platform
from tests.conftest import Live


def platform(live: Live) -> Platform:
    with live.app.app_context():
        return Platform(runtime.config(), runtime.secret_box(), retry=RetryPolicy(sleep=lambda _s: None))


def stored(live: Live, shop_id: int) -> dict[str, str]:
    with live.db.session() as session:
        rows = session.execute(select(Order.external_id, Order.status).where(Order.shop_id == shop_id))
        return {sn: status for sn, status in rows}


def truth(live: Live, shop_id: int) -> dict[str, str]:
    assert live.shopee is not None
    with live.db.session() as session:
        shop = session.get_one(Shop, shop_id)
    world, now = live.shopee.shops[int(shop.external_id)], live.shopee.now()
    return {sn: str(STATUSES[o.status_at(now)]) for sn, o in world.orders.items() if o.create_time <= now}


def test_the_command_line_connects_shopee_shops_and_sync_covers_every_platform(two_channels: Live) -> None:
    live = two_channels
    assert live.shopee is not None
    live.connect_shop("Acme US", "US", orders=5)
    own = live.shopee.add_shop("Acme SG", "SG", orders=6)
    cross = [live.shopee.add_shop("Cross MY", "MY", orders=4), live.shopee.add_shop("Cross PH", "PH", orders=3)]
    account = live.shopee.add_main_account(cross, "Shenzhen Cross Co.")
    runner = live.app.test_cli_runner()
    base = ["shop", "connect", "--platform", "shopee", "--team", "Acme Trading", "--auth-code"]
    with live.app.app_context():
        one = runner.invoke(args=[*base, live.shopee.authorize_shop(own.shop_id), "--shop-id", str(own.shop_id)])
        main = runner.invoke(args=[*base, live.shopee.authorize_main_account(account), "--main-account-id", account])
        neither = runner.invoke(args=[*base, live.shopee.authorize_shop(own.shop_id)])
        with live.shopee.clock.stopped():  # an order Shopee moves after its window's end is the next sync's
            synced = runner.invoke(args=["sync"])
        status = runner.invoke(args=["shop", "status", "--team", "Acme Trading"])

    assert one.exit_code == 0 and "connected Acme SG (SG, SGD, Asia/Singapore)" in one.output, one.output
    assert main.exit_code == 0 and "Cross MY (MY, MYR" in main.output and "Cross PH (PH, PHP" in main.output
    assert neither.exit_code == 1 and "shop id or its main account id" in neither.output
    assert synced.exit_code == 0, synced.output
    assert synced.output.count(": new ") == 4  # every active shop of every platform
    for new in ("new 5,", "new 6,", "new 4,", "new 3,"):
        assert new in synced.output
    with live.db.session() as session:
        sellers = set(session.scalars(select(Shop.seller_name).where(Shop.platform == "shopee")))
    assert "Shenzhen Cross Co." in sellers
    assert "Acme US (TikTok Shop, US) — ok" in status.output and "Acme SG (Shopee, SG) — ok" in status.output


def test_a_shopee_sync_stopped_mid_window_resumes_with_nothing_lost_or_doubled(two_channels: Live) -> None:
    live, shopee = two_channels, two_channels.shopee
    assert shopee is not None
    shop_id = live.connect_shopee_shop(orders=600)

    def shopee_goes_down(progress: sync.SyncProgress) -> None:
        if progress.seen >= 150:  # mid-sync, after what is stored so far, whatever the machine's speed
            shopee.faults = Faults(every=1, statuses=(503,))

    with pytest.raises(PlatformUnavailable):
        sync.sync_shop(live.db, platform(live), shop_id, on_page=shopee_goes_down)
    partial = len(stored(live, shop_id))
    assert 0 < partial < 600
    with live.db.session() as session:
        assert session.scalar(select(SyncRun.status).where(SyncRun.shop_id == shop_id)) == "failed"

    shopee.faults = Faults()
    with shopee.clock.stopped():  # orders Shopee moves after the resume read are the next sync's
        report = sync.sync_shop(live.db, platform(live), shop_id)
        assert stored(live, shop_id) == truth(live, shop_id)
    assert report.result.new == 600 - partial


def test_a_rotated_token_is_stored_before_use_and_a_revoked_shop_stops_without_a_loop(two_channels: Live) -> None:
    live = two_channels
    assert live.shopee is not None
    shop_id = live.connect_shopee_shop(orders=5)
    with live.db.session() as session:
        before = session.get_one(Shop, shop_id).refresh_token_sealed
    live.shopee.expire_access_tokens()
    sync.sync_shop(live.db, platform(live), shop_id)
    with live.db.session() as session:
        shop = session.get_one(Shop, shop_id)
        assert shop.refresh_token_sealed != before and shop.status == ShopStatus.ACTIVE
    assert live.shopee.counters.by_path["/api/v2/auth/access_token/get"] == 1
    sync.sync_shop(live.db, platform(live), shop_id)  # the stored pair works: no second refresh
    assert live.shopee.counters.by_path["/api/v2/auth/access_token/get"] == 1

    with live.db.session() as session:
        shop_key = int(session.get_one(Shop, shop_id).external_id)
    live.shopee.revoke(shop_key)
    live.shopee.expire_access_tokens()
    with pytest.raises(ReauthorizationNeeded, match="reconnect"):
        sync.sync_shop(live.db, platform(live), shop_id)
    with live.db.session() as session:
        assert session.get_one(Shop, shop_id).status == ShopStatus.REAUTHORIZATION_NEEDED
    calls = live.shopee.counters.total
    with pytest.raises(ReauthorizationNeeded):
        sync.sync_shop(live.db, platform(live), shop_id)
    assert live.shopee.counters.total == calls


def test_shopee_escrows_settle_into_the_fee_pools_and_add_up_to_the_payout(two_channels: Live) -> None:
    live = two_channels
    assert live.shopee is not None
    shop_id = live.connect_shopee_shop(orders=60)
    sync.sync_shop(live.db, platform(live), shop_id)

    report = finance.settle(live.db, platform(live), shop_id)

    assert report.statements > 0 and not report.mismatches and not report.unknown_orders
    with live.db.session() as session:
        shop = session.get_one(Shop, shop_id)
        world, now = live.shopee.shops[int(shop.external_id)], live.shopee.now()
        pools = set(session.scalars(select(FeeLine.pool).join(Order).where(Order.shop_id == shop_id)))
        assert {"revenue", "platform", "payment", "logistics"} <= pools
        for sn in sorted(report.orders_settled)[:10]:
            lines = session.scalars(
                select(FeeLine).join(Order).where(Order.external_id == sn, FeeLine.basis == "settled")
            )
            revenue, fees = pool_sums(PooledLine(f.kind, f.category, f.pool, f.amount) for f in lines)
            assert revenue - sum(fees.values()) == escrow_amount(world, world.orders[sn], now), sn
            assert all(fee >= 0 for fee in fees.values()), (sn, fees)  # shipping paid to the seller is revenue


def test_a_deauthorization_push_stops_the_shop(two_channels: Live) -> None:
    live = two_channels
    assert live.shopee is not None
    shop_id = live.connect_shopee_shop(orders=2)
    with live.db.session() as session:
        shop_key = int(session.get_one(Shop, shop_id).external_id)
    live.shopee.revoke(shop_key)
    assert live.shopee.deliver_pushes() == 1
    live.drain()
    with live.app.app_context():
        shop_round.drain_events(live.db, platform(live), shop_id)
    with live.db.session() as session:
        shop = session.get_one(Shop, shop_id)
        assert shop.status == ShopStatus.DEAUTHORIZED and "Shopee" in (shop.status_reason or "")
        assert session.scalar(select(func.count(Order.id)).where(Order.shop_id == shop_id)) == 0


def test_when_retention_ends_a_shopee_order_loses_its_buyer_in_columns_and_payload(two_channels: Live) -> None:
    live = two_channels
    assert live.shopee is not None
    shop_id = live.connect_shopee_shop(orders=40)
    sync.sync_shop(live.db, platform(live), shop_id)
    with live.db.session() as session:
        report = retention.mask_expired(session, utcnow() + timedelta(days=400))
        session.commit()
    with live.db.session() as session:
        ended = session.scalars(select(Order).where(Order.shop_id == shop_id, Order.status.in_(domain_retention.ENDED)))
        orders = list(ended)
    assert orders and report.orders == len(orders)
    for order in orders:
        assert order.recipient_name in (domain_retention.MASK, None) and order.personal_masked_at is not None
        assert all(order.raw.get(key) is None for key in ("buyer_username", "buyer_user_id", "recipient_address"))
        assert order.raw["order_status"] and order.raw["item_list"]  # what is no one's stays
