"""Inventory Search through the real client against the sandbox: shape, batching, TikTok's limits."""

from __future__ import annotations

import pytest

from backend.errors import PlatformPayloadError, PlatformRejected
from backend.platforms.base import OrderMappingError
from backend.platforms.tiktok.inventory import IDS_PER_REQUEST, map_inventory
from tests.platforms.conftest import Connection

PATH = "/product/202309/inventory/search"


def test_stock_per_sku_and_warehouse_with_units_held_by_unshipped_orders(us: Connection) -> None:
    shop = us.sandbox.shops[us.shop.shop_id]
    now = us.sandbox.now()
    found = {
        s.sku_id: s for s in us.client.search_inventory(us.shop.shop_ref, sku_ids=[s.sku_id for s in shop.catalog])
    }

    assert set(found) == {s.sku_id for s in shop.catalog}
    held = 0
    for sku in shop.catalog:
        item = found[sku.sku_id]
        committed = shop.committed(sku.sku_id, now)
        held += committed
        assert item.seller_sku == sku.seller_sku and item.product_id == sku.product_id
        assert (item.available, item.committed) == (shop.on_hand[sku.sku_id] - committed, committed)
        [warehouse] = item.warehouses
        assert warehouse.warehouse_id == shop.warehouse_id
        assert (warehouse.available, warehouse.committed) == (item.available, item.committed)
    assert held > 0  # some paid orders wait for shipment and hold stock


def test_a_seller_count_change_shows_on_the_next_search(us: Connection) -> None:
    shop = us.sandbox.shops[us.shop.shop_id]
    sku = shop.catalog[0]
    us.sandbox.set_stock(shop.shop_id, sku.seller_sku, 0)
    found = us.client.search_inventory(us.shop.shop_ref, product_ids=[sku.product_id])
    assert {i.sku_id for i in found} == {s.sku_id for s in shop.catalog if s.product_id == sku.product_id}
    assert next(i for i in found if i.sku_id == sku.sku_id).available == 0


def test_many_ids_go_in_batches_tiktok_accepts(us: Connection) -> None:
    shop = us.sandbox.shops[us.shop.shop_id]
    ids = [s.sku_id for s in shop.catalog] + [f"9{n:017d}" for n in range(2 * IDS_PER_REQUEST)]  # unknown: skipped
    us.sandbox.reset_counters()
    found = us.client.search_inventory(us.shop.shop_ref, sku_ids=ids + ids[:10])  # repeats are asked once
    assert len(found) == len(shop.catalog)
    assert us.sandbox.counters.by_path[PATH] == 3


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "one of sku_ids or product_ids is required"),
        ({"sku_ids": [str(n) for n in range(IDS_PER_REQUEST + 1)]}, "at most 100 ids"),
        ({"sku_ids": "123"}, "must be a list of id strings"),
    ],
)
def test_the_sandbox_refuses_what_tiktok_refuses(us: Connection, body: dict[str, object], message: str) -> None:
    with pytest.raises(PlatformRejected, match=message) as caught:
        us.client.call("search_inventory", shop_cipher=us.shop.shop_ref, body=body)
    assert caught.value.platform_code == 36009004


def test_a_count_that_is_not_a_whole_number_is_refused_by_the_mapper() -> None:
    payload = {"inventory": [{"product_id": "1", "skus": [{"id": "2", "total_available_quantity": "1.5"}]}]}
    with pytest.raises(PlatformPayloadError, match="total_available_quantity"):
        map_inventory(payload)


def test_with_a_failures_list_a_malformed_product_is_kept_there_and_the_others_are_mapped() -> None:
    good = {"product_id": "1", "skus": [{"id": "2", "seller_sku": "A", "total_available_quantity": 4}]}
    bad = {"product_id": "3", "skus": [{"id": "4", "total_committed_quantity": 10**30}]}
    failures: list[OrderMappingError] = []
    found = map_inventory({"inventory": [bad, good, "not a product"]}, failures)
    assert [(s.sku_id, s.available) for s in found] == [("2", 4)]
    assert [f.order_id for f in failures] == ["3", None]
    assert failures[0].field_name == "skus[0].total_committed_quantity"
