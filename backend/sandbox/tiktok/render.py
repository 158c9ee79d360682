"""Sandbox orders and settlements as TikTok's JSON (202309 order object, 202501 finance shapes)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from backend.sandbox.tiktok.world import (
    DAY,
    HOUR,
    LINE_STATUS,
    NO_ADDRESS,
    Order,
    Shop,
    sku_settlements,
    sum_amounts,
)


def _money(value: Decimal) -> str:
    return str(value)


def _sla(shop: Shop, order: Order, paid: int | None) -> dict[str, int]:
    """Deadlines relative to payment, as TikTok publishes them per order (SEA-only ones for SEA)."""
    if paid is None:
        return {"cancel_order_sla_time": order.create_time + DAY}
    ready = paid + (HOUR if shop.market.has_on_hold else 0)
    sla = {
        "rts_sla_time": ready + 2 * DAY,
        "tts_sla_time": ready + 3 * DAY,
        "delivery_sla_time": ready + 10 * DAY,
        "shipping_due_time": ready + 5 * DAY,
        "collection_due_time": ready + 7 * DAY,
        "delivery_due_time": ready + 20 * DAY,
    }
    if shop.market.sea_sla:
        sla |= {
            "pick_up_cut_off_time": ready + DAY,
            "fast_dispatch_sla_time": ready + DAY // 2,
            "recommended_shipping_time": ready + DAY // 4,
        }
    return sla


def render_order(shop: Shop, order: Order, now: int) -> dict[str, Any]:
    status = order.status_at(now)
    paid = order.time_of("ON_HOLD", now) or order.time_of("AWAITING_SHIPMENT", now)
    currency = shop.market.currency
    packages = [shop.packages[p] for p in order.package_ids() if p in shop.packages]
    shipped = {p.package_id: p for p in packages if p.ship_time is not None and p.ship_time <= now}
    line_items = []
    for line in order.lines:
        package = shipped.get(line.package_id)
        item: dict[str, Any] = {
            "id": line.line_id,
            "sku_id": line.sku.sku_id,
            "product_id": line.sku.product_id,
            "product_name": line.sku.product_name,
            "sku_name": line.sku.sku_name,
            "seller_sku": line.sku.seller_sku,
            "sku_image": f"https://p16-oec.example/{line.sku.sku_id}.jpg",
            "currency": currency,
            "original_price": _money(line.sku.price),
            "sale_price": _money(line.sku.price - line.seller_discount - line.platform_discount),
            "seller_discount": _money(line.seller_discount),
            "platform_discount": _money(line.platform_discount),
            "display_status": "CANCELLED" if line.line_id in order.cancelled_lines else LINE_STATUS.get(status, status),
            "is_gift": False,
        }
        if package:  # US/UK: package_id only appears once the package ships
            item |= {
                "package_id": package.package_id,
                "tracking_number": package.tracking_number,
                "shipping_provider_id": package.provider_id,
                "shipping_provider_name": package.provider_name,
                "rts_time": package.ship_time,
            }
            if status == "PARTIALLY_SHIPPING":
                item["display_status"] = "AWAITING_COLLECTION"
        if status == "CANCELLED" and order.cancel:
            item |= {"cancel_user": order.cancel[0], "cancel_reason": order.cancel[1]}
        line_items.append(item)
    sub_total = sum((Decimal(i["sale_price"]) for i in line_items), Decimal(0))
    original = sum((line.sku.price for line in order.lines), Decimal(0))
    seller_discount = sum((line.seller_discount for line in order.lines), Decimal(0))
    platform_discount = sum((line.platform_discount for line in order.lines), Decimal(0))
    shipping_original = order.shipping_fee_paid + order.shipping_platform_discount
    data: dict[str, Any] = {
        "id": order.order_id,
        "status": status,
        "create_time": order.create_time,
        "update_time": order.update_time(now),
        "user_id": order.user_id,
        "buyer_email": f"v{order.user_id[-8:]}@scs.tiktokw.us",
        "buyer_message": order.buyer_message,
        "is_on_hold_order": status == "ON_HOLD",
        "fulfillment_type": "FULFILLMENT_BY_SELLER",
        "shipping_type": packages[0].shipping_type if packages else "SELLER",
        "delivery_type": "HOME_DELIVERY",
        "delivery_option_id": packages[0].delivery_option_id if packages else "",
        "delivery_option_name": shop.option_name(packages[0].delivery_option_id) if packages else "",
        "warehouse_id": shop.warehouse_id,
        "split_or_combine_tag": "COMBINED" if order.combined else ("SPLIT" if len(packages) > 1 else ""),
        "packages": [{"id": p.package_id} for p in packages] if paid else [],
        "payment_method_name": "Credit card",
        "payment": {
            "currency": currency,
            "original_total_product_price": _money(original),
            "seller_discount": _money(seller_discount),
            "platform_discount": _money(platform_discount),
            "sub_total": _money(sub_total),
            "original_shipping_fee": _money(shipping_original),
            "shipping_fee_seller_discount": "0",
            "shipping_fee_platform_discount": _money(order.shipping_platform_discount),
            "shipping_fee": _money(order.shipping_fee_paid),
            "tax": _money(order.tax),
            "product_tax": _money(order.tax),
            "total_amount": _money(sub_total + order.shipping_fee_paid + order.tax),
        },
        "line_items": line_items,
        **_sla(shop, order, paid),
    }
    if paid:
        data["paid_time"] = paid
    for field, when in (
        ("rts_time", order.time_of("AWAITING_COLLECTION", now)),
        ("collection_time", order.time_of("IN_TRANSIT", now)),
        ("delivery_time", order.time_of("DELIVERED", now)),
    ):
        if when:
            data[field] = when
    if shipped:
        first = next(iter(shipped.values()))
        data |= {
            "tracking_number": first.tracking_number,
            "shipping_provider": first.provider_name,
            "shipping_provider_id": first.provider_id,
        }
    if status not in NO_ADDRESS:
        data["recipient_address"] = recipient(shop, order)
    if order.seller_note:
        data["seller_note"] = order.seller_note
    if status == "CANCELLED" and order.cancel:
        data |= {
            "cancel_reason": order.cancel[1],
            "cancellation_initiator": order.cancel[0],
            "cancel_time": order.time_of("CANCELLED", now),
        }
    return data | order.damage


def recipient(shop: Shop, order: Order) -> dict[str, Any]:
    market = shop.market
    number = int(order.user_id[-3:])
    street = order.street or f"{number} Market Street"
    return {
        "name": f"{market.first_name} Buyer{number}",
        "first_name": market.first_name,
        "last_name": f"Buyer{number}",
        "phone_number": f"(+1)555-01{number:03d}"[:16],
        "address_line1": street,
        "address_detail": f"Unit {number % 40}",
        "full_address": f"{street}, Unit {number % 40}, {market.city[0]}",
        "postal_code": f"{10000 + number}",
        "region_code": market.region,
        "district_info": [
            {"address_level": "L0", "address_level_name": "Country", "address_name": market.region},
            {"address_level": "L1", "address_level_name": "State", "address_name": market.city[1]},
            {"address_level": "L3", "address_level_name": "City", "address_name": market.city[0]},
        ],
    }


def order_settlement(shop: Shop, order: Order, statement_id: str | None) -> dict[str, Any]:
    """Per-order 202501 shape: order totals plus `sku_transactions[]` tagged with their statement."""
    skus = sku_settlements(shop, order)
    totals = sum_amounts(skus)
    return {
        "order_id": order.order_id,
        "order_create_time": order.create_time,
        "currency": shop.market.currency,
        "revenue_amount": totals["revenue_amount"],
        "shipping_cost_amount": totals["shipping_cost_amount"],
        "fee_and_tax_amount": totals["fee_tax_amount"],
        "settlement_amount": totals["settlement_amount"],
        "sku_transactions": [{**sku, "statement_id": statement_id or ""} for sku in skus],
    }


def order_transaction(shop: Shop, order: Order, prefix: str) -> dict[str, Any]:
    """One ORDER transaction of a statement (or an unsettled estimate): order-level summed blocks."""
    totals = sum_amounts(
        {k: v for k, v in sku.items() if k.endswith(("amount", "breakdown"))} for sku in sku_settlements(shop, order)
    )
    return {
        "id": f"{prefix}{order.order_id}",
        "type": "ORDER",
        "order_id": order.order_id,
        "order_create_time": order.create_time,
        "currency": shop.market.currency,
        **totals,
    }
