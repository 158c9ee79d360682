"""Mapping edge cases: malformed orders name the field; money stays Decimal; fee signs are normalized."""

from __future__ import annotations

from decimal import Decimal

import pytest

from backend.platforms.base import FeeCategory, OrderMappingError
from backend.platforms.tiktok.finance import map_order_fee_lines
from backend.platforms.tiktok.mapping import map_order, map_order_page

GOOD = {
    "id": "576",
    "status": "AWAITING_SHIPMENT",
    "create_time": 1718305585,
    "update_time": 1718309185,
    "payment": {"currency": "GBP", "sub_total": "35.97", "total_amount": "38.96"},
    "line_items": [{"id": "1", "sku_id": "A", "sale_price": "11.99"}] * 3,
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": ""}, "id"),
        ({"update_time": None}, "update_time"),
        ({"create_time": 1718305585000}, "create_time"),  # milliseconds: the year 56000
        ({"payment": {"sub_total": 35.97}}, "payment.sub_total"),
        ({"line_items": [{"id": "1", "sale_price": "abc"}]}, "line_items[0].sale_price"),
    ],
)
def test_malformed_orders_name_the_field(change: dict[str, object], field: str) -> None:
    with pytest.raises(OrderMappingError) as caught:
        map_order(GOOD | change)
    assert caught.value.field_name == field


def test_a_bad_order_does_not_sink_its_page() -> None:
    page = map_order_page([GOOD, GOOD | {"update_time": None}], "", 2)
    assert [o.order_id for o in page.orders] == ["576"]
    assert page.failures[0].order_id == "576"


def test_money_is_decimal_and_units_are_counted() -> None:
    order = map_order(GOOD)
    assert order.payment.sub_total == Decimal("35.97")
    assert order.quantities() == {"A": 3}


@pytest.mark.parametrize("cost_sign", [-1, 1])
def test_fee_lines_are_positive_costs_whatever_sign_tiktok_uses(cost_sign: int) -> None:
    def amount(value: str) -> str:
        return str(Decimal(value) * cost_sign)

    sku = {
        "sku_id": "A",
        "statement_id": "S1",
        "revenue_amount": "100.00",
        "revenue_breakdown": {"subtotal_before_discount_amount": "110.00", "seller_discount_amount": "-10.00"},
        "shipping_cost_amount": amount("-5.00"),
        "fee_tax_amount": amount("-8.00"),
        "fee_tax_breakdown": {"fee": {"platform_commission_amount": amount("-6.00"),
                                      "transaction_fee_amount": amount("-2.00")}, "tax": {}},
        "settlement_amount": "87.00",
    }  # fmt: skip
    lines = map_order_fee_lines({"order_id": "576", "currency": "USD", "sku_transactions": [sku]})
    by_kind = {line.kind: line for line in lines}
    assert by_kind["platform_commission_amount"].amount == Decimal("6.00")
    assert by_kind["shipping_cost_amount"].category is FeeCategory.SHIPPING
    assert by_kind["seller_discount_amount"].amount == Decimal("-10.00")
    revenue = sum(x.amount for x in lines if x.category is FeeCategory.REVENUE)
    assert revenue - sum(x.amount for x in lines if x.category is not FeeCategory.REVENUE) == Decimal("87.00")


def test_a_block_that_does_not_reconcile_is_a_mapping_error() -> None:
    sku = {"revenue_amount": "100", "shipping_cost_amount": "-5", "fee_tax_amount": "-8", "settlement_amount": "50"}
    with pytest.raises(OrderMappingError, match="settlement_amount"):
        map_order_fee_lines({"order_id": "576", "sku_transactions": [sku]})
