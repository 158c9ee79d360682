"""Inventory Search (POST /product/202309/inventory/search): stock per SKU and warehouse.

Shape as read in public SDKs (hsib19/tiktok-shop-sdk `SearchInventoryResponse`, SKIT
`ProductGetInventoriesResponse`): `data.inventory[]{product_id, skus[]{id, seller_sku,
total_available_quantity, total_committed_quantity, warehouse_inventory[]{warehouse_id,
available_quantity, committed_quantity}}}`. The body takes `sku_ids` or `product_ids`; the ids
per request are capped here at 100 (TikTok's exact cap is UNCONFIRMED; batching below it is safe).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from backend.errors import PlatformPayloadError
from backend.platforms.base import OrderMappingError, SkuInventory, WarehouseStock
from backend.platforms.tiktok.mapping import check_shape, text

IDS_PER_REQUEST = 100


def _count(data: Mapping[str, Any], key: str, where: str) -> int:
    value = data.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise PlatformPayloadError(f"inventory {where}: {key} is not a whole non-negative number: {value!r}")
    return int(value)


def map_inventory(data: Mapping[str, Any], failures: list[OrderMappingError] | None = None) -> list[SkuInventory]:
    """Every SKU of the answer; a product that departs from its schema is added to `failures` (the rest
    go on), or, without that list, refused with PlatformPayloadError."""
    found: list[SkuInventory] = []
    for product in data.get("inventory") or ():
        try:
            check_shape("inventory_product", product, key="product_id")
        except OrderMappingError as exc:
            if failures is None:
                raise PlatformPayloadError(f"inventory of product {exc.order_id or '?'}: {exc}") from None
            failures.append(exc)
            continue
        product_id = text(product, "product_id")
        for sku in product.get("skus") or ():
            where = f"of SKU {text(sku, 'id')}"
            warehouses = tuple(
                WarehouseStock(
                    text(w, "warehouse_id"),
                    _count(w, "available_quantity", where),
                    _count(w, "committed_quantity", where),
                )
                for w in sku.get("warehouse_inventory") or ()
            )
            found.append(
                SkuInventory(
                    product_id=product_id,
                    sku_id=text(sku, "id"),
                    seller_sku=text(sku, "seller_sku"),
                    available=_count(sku, "total_available_quantity", where),
                    committed=_count(sku, "total_committed_quantity", where),
                    warehouses=warehouses,
                )
            )
    return found


def batches(ids: Iterable[str]) -> list[list[str]]:
    """Distinct ids in request-sized batches, first-seen order."""
    unique = list(dict.fromkeys(i for i in ids if i))
    return [unique[i : i + IDS_PER_REQUEST] for i in range(0, len(unique), IDS_PER_REQUEST)]
