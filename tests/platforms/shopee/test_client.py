"""The Shopee adapter against the sandbox over real HTTP: windows, paging, batches, tokens, statuses,
shipping, escrow, stock, returns and failures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from backend.domain.status import OrderStatus
from backend.errors import (
    Action,
    AuthorizationLost,
    InvalidAuthCode,
    PlatformRejected,
    PlatformUnavailable,
    SignatureRejected,
    UnknownCarrier,
)
from backend.platforms.base import FeeCategory, PlatformOrder, SkuRef
from backend.platforms.http import RetryPolicy
from backend.platforms.shopee.auth import ShopeeAuthClient, ShopRefresher
from backend.platforms.shopee.client import WINDOW, ShopeeClient, unix
from backend.platforms.shopee.mapping import STATUSES
from backend.platforms.tokens import RotatingTokens
from backend.sandbox.shopee import ShopeeSandbox
from backend.sandbox.shopee.world import NON_INTEGRATED, Shop
from tests.platforms.shopee.conftest import Connection, retry_policy, shop_client

SINCE = datetime.now(UTC) - timedelta(days=45)


def synced(connection: Connection, since: datetime = SINCE) -> dict[str, PlatformOrder]:
    orders: dict[str, PlatformOrder] = {}
    for page in connection.shopee.iter_order_pages(updated_from=since):
        assert not page.failures, page.failures
        orders |= {o.order_id: o for o in page.orders}
    return orders


def queried(connection: Connection, path: str) -> list[dict[str, str]]:
    return [r.query for r in connection.sandbox.log if r.path == path]


def test_a_wide_range_is_read_in_15_day_windows_and_every_order_arrives_once(my: Connection) -> None:
    orders = synced(my)

    now = my.sandbox.now()
    assert set(orders) == {sn for sn, o in my.shop.orders.items() if o.create_time <= now}
    assert all(o.status == STATUSES[my.shop.orders[o.order_id].status_at(now)] or o.status in (
        OrderStatus.PARTIALLY_SHIPPING, OrderStatus.AWAITING_COLLECTION) for o in orders.values())  # fmt: skip
    lists = queried(my, "/api/v2/order/get_order_list")
    assert max(int(q["time_to"]) - int(q["time_from"]) for q in lists) <= WINDOW.total_seconds()
    assert {unix(SINCE + k * WINDOW) for k in range(4)} <= {int(q["time_from"]) for q in lists}
    assert my.sandbox.counters.by_code.get("order.order_list_invalid_time", 0) == 0


def test_detail_and_tracking_go_50_at_a_time_and_a_window_over_a_page_is_halved_until_each_half_fits_one(
    my: Connection,
) -> None:
    synced(my)

    details = queried(my, "/api/v2/order/get_order_detail")
    assert details and max(len(q["order_sn_list"].split(",")) for q in details) == 50
    lists = queried(my, "/api/v2/order/get_order_list")
    assert {int(q["time_to"]) - int(q["time_from"]) for q in lists} >= {WINDOW.total_seconds() // 2}
    assert not [q for q in lists if q.get("cursor")], "no span is read by a cursor that moves under it"
    assert {"item_list", "package_list", "recipient_address"} <= set(details[0]["response_optional_fields"].split(","))


def test_an_order_changed_while_a_window_is_listed_costs_no_other_order(
    sandbox: ShopeeSandbox, connect: Callable[[Shop], Connection]
) -> None:
    """Shopee's cursor is a position: an order leaving the window between two pages made the next page
    start one order late, and the order skipped was behind the watermark for good."""
    shop = sandbox.add_shop("Busy MY", "MY", orders=350, history_days=10)
    connection = connect(shop)
    delivered: set[str] = set()
    changed = ""
    for page in connection.shopee.iter_order_pages(updated_from=SINCE):
        delivered |= {o.order_id for o in page.orders}
        if page.orders and not changed:  # the seller edits the first listed order in Seller Centre
            sandbox.advance(2)
            changed = min(shop.orders)
            shop.orders[changed].touched = sandbox.now()

    assert delivered >= set(shop.orders) - {changed}  # the changed one is the next sync's


def test_more_than_a_page_of_changes_in_one_second_is_paged_by_the_cursor(my: Connection) -> None:
    second = my.sandbox.now() - 60
    for order in sorted(my.shop.orders.values(), key=lambda o: o.order_sn)[:150]:
        order.touched = second  # a bulk edit in Seller Centre

    assert set(synced(my)) == set(my.shop.orders)
    assert [q for q in queried(my, "/api/v2/order/get_order_list") if q.get("cursor")]


def test_a_sync_can_only_move_past_a_window_once_its_last_page_is_stored(my: Connection) -> None:
    pages = list(my.shopee.iter_order_pages(updated_from=SINCE))
    resume = [page.resume_from for page in pages if page.resume_from is not None]
    assert len(resume) == len(pages)
    assert resume == sorted(resume), "the resume point never goes back"
    assert resume[-1] >= max(o.update_time for page in pages for o in page.orders)


def test_statuses_move_on_the_sandbox_clock_and_map_onto_the_vocabulary(my: Connection) -> None:
    before = synced(my)
    waiting = [sn for sn, o in before.items() if o.status == OrderStatus.AWAITING_SHIPMENT]
    my.sandbox.advance(40 * 3600)
    after = my.shopee.get_orders(waiting)

    moved = {o.status for o in after.orders}
    assert moved & {OrderStatus.AWAITING_COLLECTION, OrderStatus.IN_TRANSIT}
    shipped = next(o for o in after.orders if o.status == OrderStatus.IN_TRANSIT)
    assert shipped.packages and shipped.packages[0].tracking_number
    assert all(
        o.update_time > before[o.order_id].update_time for o in after.orders if o.status != before[o.order_id].status
    )


def test_an_expired_access_token_is_refreshed_once_and_the_spent_refresh_token_is_dead(my: Connection) -> None:
    first = my.tokens.tokens
    my.sandbox.expire_access_tokens()
    my.sandbox.reset_counters()

    assert my.api.shop_info()["shop_name"] == "Acme MY"
    assert my.api.stats.refreshes == 1 and len(my.rotated) == 1
    assert my.rotated[0].refresh_token != first.refresh_token
    assert my.sandbox.counters.by_path["/api/v2/auth/access_token/get"] == 1
    with pytest.raises(AuthorizationLost, match="refresh_token"):
        my.auth.refresh(first.refresh_token, str(my.shop.shop_id))  # single use


def test_the_old_access_token_still_works_for_five_minutes_after_a_refresh(my: Connection) -> None:
    first = my.tokens.tokens
    my.tokens.refresh(first.access_token)
    stale = RotatingTokens(ShopRefresher(my.auth, str(my.shop.shop_id)), first)
    with shop_client(my.sandbox, my.server, my.shop, stale) as client:
        assert client.api.shop_info()["region"] == "MY"
        my.sandbox.advance(6 * 60)
        with pytest.raises(AuthorizationLost):  # stale now, and its refresh token was spent by the refresh
            client.api.shop_info()


def test_a_revoked_shop_needs_reauthorization_without_a_retry_loop(my: Connection) -> None:
    my.sandbox.revoke(my.shop.shop_id)
    my.sandbox.reset_counters()

    with pytest.raises(AuthorizationLost, match="reconnect") as caught:
        my.api.shop_info()

    assert caught.value.action is Action.REAUTHORIZE
    assert my.sandbox.counters.total == 2  # the call, one refresh; nothing more
    assert not my.sleeps


def test_a_main_account_names_its_shops_signs_merchant_calls_and_splits_tokens_per_shop(
    sandbox: ShopeeSandbox, connect: Callable[[Shop], Connection]
) -> None:
    shops = [sandbox.add_shop("Cross MY", "MY", orders=3), sandbox.add_shop("Cross SG", "SG", orders=3)]
    account = sandbox.add_main_account(shops, "Shenzhen Cross Co.")
    my = connect(sandbox.add_shop("Other", "MY"))
    grant = my.auth.exchange_code(sandbox.authorize_main_account(account), main_account_id=account)

    assert set(grant.shop_ids) == {str(s.shop_id) for s in shops} and len(grant.merchant_ids) == 1
    tokens = RotatingTokens(ShopRefresher(my.auth, ""), grant.tokens)
    merchant = ShopeeClient(
        sandbox.partner_id, sandbox.partner_key, tokens, merchant_id=grant.merchant_ids[0], base_url=my.server.url
    )
    with merchant:
        assert merchant.merchant_info()["merchant_name"] == "Shenzhen Cross Co."
    # The shared first refresh token refreshes each shop once, and each gets a pair of its own.
    pairs = [my.auth.refresh(grant.tokens.refresh_token, str(s.shop_id)) for s in shops]
    assert pairs[0].refresh_token != pairs[1].refresh_token
    with pytest.raises(AuthorizationLost):
        my.auth.refresh(grant.tokens.refresh_token, str(shops[0].shop_id))
    borrowed = RotatingTokens(ShopRefresher(my.auth, str(shops[1].shop_id)), pairs[0])
    with shop_client(sandbox, my.server, shops[1], borrowed) as wrong_shop, pytest.raises(AuthorizationLost):
        wrong_shop.api.shop_info()  # shop 0's token does not open shop 1


def test_five_minutes_of_clock_skew_is_corrected_from_the_date_header(my: Connection) -> None:
    my.sandbox.clock.offset += 7 * 60

    assert my.api.shop_info()["shop_name"] == "Acme MY"
    assert my.api.stats.skew_corrections == 1


def test_a_wrong_partner_key_is_a_signature_error_never_retried(sandbox: ShopeeSandbox, my: Connection) -> None:
    sleeps: list[float] = []
    shop_id, url = str(my.shop.shop_id), my.server.url
    wrong = ShopeeClient(
        sandbox.partner_id, "not-the-key", my.tokens, shop_id=shop_id, base_url=url, retry=retry_policy(sleeps)
    )
    with wrong, pytest.raises(SignatureRejected, match="Wrong sign"):
        wrong.shop_info()
    assert not sleeps


def test_throttling_and_outages_are_retried_then_reported(my: Connection) -> None:
    my.sandbox.faults.every, my.sandbox.faults.statuses = 3, (429, 503)
    assert len(synced(my)) > 200  # every third call refused, all of them retried
    assert my.api.stats.retries > 0

    my.sandbox.faults.every, my.sandbox.faults.burst = 1, 1
    my.sandbox.faults.statuses = (503,)
    with pytest.raises(PlatformUnavailable) as caught:
        my.api.shop_info()
    assert caught.value.action is Action.RETRY and len(my.sleeps) >= 5


def test_a_malformed_order_is_a_failure_with_its_reason_and_the_page_goes_on(my: Connection) -> None:
    bad, *_ = sorted(my.shop.orders)
    my.sandbox.damage[bad] = {"item_list": [{"item_id": 1, "model_quantity_purchased": "two"}]}

    pages = list(my.shopee.iter_order_pages(updated_from=SINCE))
    failures = [f for page in pages for f in page.failures]
    assert [(f.order_id, f.field_name) for f in failures] == [(bad, "item_list[].model_quantity_purchased")]
    # By id: an order the sandbox's clock moves while the windows are read is listed in two of them.
    assert {o.order_id for page in pages for o in page.orders} == set(my.shop.orders) - {bad}


def test_a_seller_shipped_order_takes_the_typed_tracking_number(my: Connection) -> None:
    orders = synced(my)
    sn = next(
        sn
        for sn, o in orders.items()
        if o.status == OrderStatus.AWAITING_SHIPMENT
        and my.shop.orders[sn].channel[1] == NON_INTEGRATED
        and len(my.shop.orders[sn].packages) == 1
    )
    package = orders[sn].packages[0].package_id

    with pytest.raises(UnknownCarrier, match="Seller Own Fleet"):
        my.shopee.ship(order_id=sn, package_id=package, carrier="Pony Express", tracking_number="PX1234")
    shipment = my.shopee.ship(order_id=sn, package_id=package, carrier=" seller own fleet ", tracking_number="SOF12345")

    assert shipment.carrier == "Seller Own Fleet"
    [after] = my.shopee.get_orders([sn]).orders
    assert after.status == OrderStatus.AWAITING_COLLECTION
    assert after.packages[0].tracking_number == "SOF12345"


def test_shopee_arranged_orders_refuse_a_typed_tracking_number(my: Connection) -> None:
    orders = synced(my)
    sn = next(sn for sn, o in orders.items() if o.status == OrderStatus.AWAITING_SHIPMENT
              and my.shop.orders[sn].channel[1] != NON_INTEGRATED)  # fmt: skip
    with pytest.raises(PlatformRejected, match="Seller Centre"):
        my.shopee.ship(order_id=sn, package_id=orders[sn].packages[0].package_id, carrier="J&T Express",
                       tracking_number="JT1234")  # fmt: skip


def test_escrow_releases_become_fee_lines_that_add_up_to_the_payout(my: Connection) -> None:
    batches = list(my.shopee.settlements(since=SINCE))
    assert batches and all(len(b.entries) == 1 for b in batches)
    other = 0
    for batch in batches[:25]:
        [entry] = batch.entries
        lines = my.shopee.order_fee_lines(entry.order_id)
        revenue = sum((line.amount for line in lines if line.category == FeeCategory.REVENUE), Decimal(0))
        costs = sum((line.amount for line in lines if line.category != FeeCategory.REVENUE), Decimal(0))
        assert revenue - costs == entry.amount, entry.order_id
        assert all(line.statement_id == batch.batch_id and line.currency == "MYR" for line in lines)
        other += any(line.kind == "escrow_other" for line in lines)
    assert other, "a programme fee the formula's '…' covers lands in escrow_other"


def test_stock_per_model_holds_back_what_unshipped_orders_reserve(my: Connection) -> None:
    model = my.shop.models[0]
    found = my.shopee.stock([SkuRef(str(model.item_id), str(model.model_id))])

    reserved = my.shop.reserved(model.model_id, my.sandbox.now())
    assert [(f.sku_id, f.seller_sku, f.committed) for f in found] == [(str(model.model_id), model.model_sku, reserved)]
    assert found[0].available == my.shop.on_hand[model.model_id] - reserved


def test_returns_are_listed_in_15_day_windows(my: Connection) -> None:
    start = datetime.now(UTC) - timedelta(days=45)
    returns = list(my.api.returns(start, datetime.now(UTC) + timedelta(days=1)))

    assert {r["order_sn"] for r in returns} == set(my.shop.returns)
    spans = [
        int(q["update_time_to"]) - int(q["update_time_from"]) for q in queried(my, "/api/v2/returns/get_return_list")
    ]
    assert max(spans) <= 15 * 24 * 3600


def test_an_auth_code_works_once(sandbox: ShopeeSandbox, my: Connection) -> None:
    auth = ShopeeAuthClient(sandbox.partner_id, sandbox.partner_key, base_url=my.server.url, retry=RetryPolicy())
    code = sandbox.authorize_shop(my.shop.shop_id)
    with pytest.raises(InvalidAuthCode):  # the code names another shop than the one asked
        auth.exchange_code(code, shop_id="1")
    auth.exchange_code(code, shop_id=str(my.shop.shop_id))
    with pytest.raises(InvalidAuthCode, match="Invalid code") as caught:
        auth.exchange_code(code, shop_id=str(my.shop.shop_id))
    assert caught.value.action is Action.REAUTHORIZE
    auth.close()
