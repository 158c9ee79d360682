"""Shopee escrow (the money of one order) → fee lines with OrderDeck's one sign convention.

v2.payment.get_escrow_detail answers `order_income`, whose `escrow_amount` description gives the
formula Shopee pays by (for shops that are not cross-border SIP affiliates):
escrow = original_cost_of_goods_sold − original_shopee_discount + shopee_discount + seller_return_refund
− voucher_from_seller − seller_coin_cash_back + buyer_paid_shipping_fee − actual_shipping_fee
+ shopee_shipping_rebate + shipping_fee_discount_from_3pl − reverse_shipping_fee − seller_transaction_fee
− service_fee − commission_fee − campaign_fee − order_ams_commission_fee − escrow_tax − withholding_tax − …
The terms below are its named ones; what the "…" adds (programme fees, market taxes) is kept as one
`escrow_other` line, so the lines always add up to what Shopee pays. Amounts are positive as Shopee
sends them; the table's sign says how each counts (see PlatformFeeLine).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from backend.platforms.base import FeeCategory, OrderMappingError, PlatformFeeLine, SettlementBatch, SettlementEntry
from backend.platforms.shopee.mapping import amount, optional_timestamp, text

# kind → (category, sign): REVENUE lines are signed contributions; the others are costs (positive reduces profit).
TERMS: dict[str, tuple[FeeCategory, int]] = {
    "original_cost_of_goods_sold": (FeeCategory.REVENUE, 1),
    "original_shopee_discount": (FeeCategory.REVENUE, -1),
    "shopee_discount": (FeeCategory.REVENUE, 1),
    "seller_return_refund": (FeeCategory.REVENUE, 1),  # negative when money went back to the buyer
    "voucher_from_seller": (FeeCategory.REVENUE, -1),
    "seller_coin_cash_back": (FeeCategory.REVENUE, -1),
    "buyer_paid_shipping_fee": (FeeCategory.SHIPPING, -1),
    "actual_shipping_fee": (FeeCategory.SHIPPING, 1),
    "shopee_shipping_rebate": (FeeCategory.SHIPPING, -1),
    "shipping_fee_discount_from_3pl": (FeeCategory.SHIPPING, -1),
    "reverse_shipping_fee": (FeeCategory.SHIPPING, 1),
    "seller_transaction_fee": (FeeCategory.FEE, 1),
    "service_fee": (FeeCategory.FEE, 1),
    "commission_fee": (FeeCategory.FEE, 1),
    "campaign_fee": (FeeCategory.FEE, 1),
    "order_ams_commission_fee": (FeeCategory.FEE, 1),
    "escrow_tax": (FeeCategory.TAX, 1),
    "withholding_tax": (FeeCategory.TAX, 1),
}
OTHER = "escrow_other"


def batch_id(order_sn: str) -> str:
    """Shopee pays each order by its own escrow release: the release is the settlement batch."""
    return f"escrow:{order_sn}"


def map_escrow_release(row: Mapping[str, Any], currency: str) -> SettlementBatch:
    """One row of v2.payment.get_escrow_list: one order's escrow, released (paid) at one time."""
    order_id = text(row, "order_sn")
    if not order_id:
        raise OrderMappingError(None, "order_sn", "is missing")
    released = optional_timestamp(row, "escrow_release_time", order_id)
    entry = SettlementEntry(order_id, "ORDER", amount(row, "payout_amount", order_id))
    return SettlementBatch(batch_id(order_id), released, currency, (entry,))


def escrow_fee_lines(data: Mapping[str, Any], currency: str) -> list[PlatformFeeLine]:
    """The lines of one get_escrow_detail answer, adding up to its escrow_amount."""
    order_id = text(data, "order_sn")
    income = data.get("order_income")
    if not order_id or not isinstance(income, Mapping):
        raise OrderMappingError(order_id or None, "order_income", "is missing")
    statement = batch_id(order_id)
    lines: list[PlatformFeeLine] = []
    paid = Decimal(0)
    for kind, (category, sign) in TERMS.items():
        value = amount(income, kind, order_id, "order_income.") * sign
        if value:
            lines.append(PlatformFeeLine(order_id, kind, category, value, currency, statement, None))
            paid += value if category == FeeCategory.REVENUE else -value
    other = paid - amount(income, "escrow_amount", order_id, "order_income.")
    if other:
        lines.append(PlatformFeeLine(order_id, OTHER, FeeCategory.ADJUSTMENT, other, currency, statement, None))
    return lines
