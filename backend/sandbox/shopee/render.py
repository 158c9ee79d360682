"""Sandbox orders and escrows as Shopee's JSON (v2.order.get_order_detail, v2.payment.get_escrow_detail).

Money is written as JSON numbers, as Shopee writes it; every amount has the market's decimals.
"""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal
from typing import Any

from backend.sandbox.shopee.world import DAYS_TO_SHIP, HANDED_OVER, NON_INTEGRATED, Order, Shop, money

DAY = 24 * 3600
# What get_order_detail returns without being asked; everything else must be in response_optional_fields.
DEFAULT_FIELDS = frozenset(
    {"order_sn", "region", "currency", "cod", "order_status", "message_to_seller", "create_time", "update_time",
     "days_to_ship", "ship_by_date"}
)  # fmt: skip
LOGISTICS = {"PROCESSED": "LOGISTICS_REQUEST_CREATED", "SHIPPED": "LOGISTICS_PICKUP_DONE"}


def number(value: Decimal) -> float:
    """JSON has no decimal type: Shopee sends floats; the shortest float repr keeps the written digits."""
    return float(value)


def _package(order: Order, index: int, now: int) -> dict[str, Any]:
    package = order.packages[index]
    status = order.status_at(now)
    handed = package.handed_over is not None and package.handed_over <= now
    if status in ("TO_CONFIRM_RECEIVE", "TO_RETURN", "COMPLETED"):
        logistics = "LOGISTICS_DELIVERY_DONE"
    elif status == "CANCELLED":
        logistics = "LOGISTICS_INVALID"
    else:
        logistics = LOGISTICS.get(status, "LOGISTICS_REQUEST_CREATED" if handed else "LOGISTICS_READY")
    return {
        "package_number": package.package_number,
        "logistics_status": logistics,
        "shipping_carrier": order.channel[0],
        "item_list": [
            {"item_id": line.model.item_id, "model_id": line.model.model_id, "model_quantity": line.quantity}
            for line in package.lines
        ],
    }


def render_order(shop: Shop, order: Order, now: int, wanted: Collection[str]) -> dict[str, Any]:
    """One order as get_order_detail answers it, with only the optional fields asked for."""
    market = shop.market
    status = order.status_at(now)
    paid = order.time_of("READY_TO_SHIP", now)
    sub_total = sum((line.discounted * line.quantity for line in order.lines), Decimal(0))
    data: dict[str, Any] = {
        "order_sn": order.order_sn,
        "region": market.region,
        "currency": market.currency,
        "cod": False,
        "order_status": status,
        "message_to_seller": order.message,
        "create_time": order.create_time,
        "update_time": order.update_time(now),
        "days_to_ship": DAYS_TO_SHIP,
        "ship_by_date": paid + DAYS_TO_SHIP * DAY if paid else 0,
        "buyer_user_id": order.buyer_user_id,
        "buyer_username": order.buyer_username,
        "estimated_shipping_fee": number(order.shipping_fee),
        "total_amount": number(sub_total + order.shipping_fee) if paid else 0,
        "pay_time": paid or 0,
        "note": order.note,
        "split_up": len(order.packages) > 1,
        "fulfillment_flag": "fulfilled_by_local_seller",
        "shipping_carrier": order.channel[0],
        "payment_method": "Online Banking",
        "pickup_done_time": order.time_of("SHIPPED", now) or 0,
        "item_list": [
            {
                "item_id": line.model.item_id,
                "item_name": line.model.item_name,
                "item_sku": line.model.item_sku,
                "model_id": line.model.model_id,
                "model_name": line.model.model_name,
                "model_sku": line.model.model_sku,
                "model_quantity_purchased": line.quantity,
                "model_original_price": number(line.model.price),
                "model_discounted_price": number(line.discounted),
                "weight": 0.3,
            }
            for line in order.lines
        ],
        "package_list": [_package(order, i, now) for i in range(len(order.packages))] if paid else [],
        "recipient_address": _address(shop, order) if paid else {},
    }
    if order.cancel and status in ("IN_CANCEL", "CANCELLED"):
        data |= {"cancel_by": order.cancel[0], "cancel_reason": order.cancel[1] if status == "CANCELLED" else ""}
        if order.cancel[0] == "buyer":
            data["buyer_cancel_reason"] = order.cancel[1]
    return {k: v for k, v in data.items() if k in DEFAULT_FIELDS or k in wanted}


def _address(shop: Shop, order: Order) -> dict[str, Any]:
    market, n = shop.market, order.buyer_user_id % 1000
    return {
        "name": f"Pembeli {n}",
        "phone": f"60{n:09d}",
        "town": "",
        "district": f"District {n % 20}",
        "city": market.city[0],
        "state": market.city[1],
        "region": market.region,
        "zipcode": f"{50000 + n}",
        "full_address": f"{n} Jalan Sandbox, {market.city[0]}, {market.city[1]}",
    }


def escrow_income(shop: Shop, order: Order, now: int) -> dict[str, Any]:
    """order_income: the terms of the escrow_amount formula (the v2 reference's description), positive."""
    market = shop.market
    original = sum((line.model.price * line.quantity for line in order.lines), Decimal(0))
    goods = sum((line.discounted * line.quantity for line in order.lines), Decimal(0))
    carrier_cost = money(order.shipping_fee + market.shipping_fee, market)
    terms = {
        "original_price": original,
        "seller_discount": original - goods,
        "original_cost_of_goods_sold": goods,
        "buyer_paid_shipping_fee": order.shipping_fee,
        "actual_shipping_fee": carrier_cost,
        "shopee_shipping_rebate": market.shipping_fee,
        "commission_fee": money(goods * Decimal("0.06"), market),
        "service_fee": money(goods * Decimal("0.03"), market),
        "seller_transaction_fee": money((goods + order.shipping_fee) * Decimal("0.02"), market),
        "seller_return_refund": -order.refund if order.status_at(now) in ("TO_RETURN", "COMPLETED") else Decimal(0),
    }
    program = money(goods * Decimal("0.01"), market) if order.program_fee else Decimal(0)
    escrow = (
        terms["original_cost_of_goods_sold"] + terms["seller_return_refund"] + terms["buyer_paid_shipping_fee"]
        - terms["actual_shipping_fee"] + terms["shopee_shipping_rebate"] - terms["seller_transaction_fee"]
        - terms["service_fee"] - terms["commission_fee"] - program
    )  # fmt: skip
    income: dict[str, Any] = {k: number(v) for k, v in terms.items()}
    income |= {"escrow_amount": number(escrow), "buyer_total_amount": number(goods + order.shipping_fee)}
    if program:
        income["fbs_fee"] = number(program)
    income["items"] = [
        {"item_id": line.model.item_id, "model_id": line.model.model_id, "model_sku": line.model.model_sku,
         "quantity_purchased": line.quantity, "discounted_price": number(line.discounted * line.quantity)}
        for line in order.lines
    ]  # fmt: skip
    return income


def escrow_amount(shop: Shop, order: Order, now: int) -> Decimal:
    return Decimal(str(escrow_income(shop, order, now)["escrow_amount"]))


def is_handed_over(order: Order, now: int) -> bool:
    return order.status_at(now) in HANDED_OVER


def needs_tracking_from_seller(order: Order) -> bool:
    return order.channel[1] == NON_INTEGRATED
