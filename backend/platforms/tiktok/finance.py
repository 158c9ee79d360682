"""TikTok finance payloads → statements and fee lines with one sign convention.

TikTok's samples send costs as negative strings while its formula text subtracts positive ones
(reference §5, sign semantics UNCONFIRMED). So each block's convention is read from the block itself:
whichever of `revenue + shipping + fee_tax` or `revenue − shipping − fee_tax` equals the settlement
decides it, and every cost line is then stored positive (see PlatformFeeLine). A block matching
neither is reported as a mapping error rather than guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from backend.platforms.base import FeeCategory, OrderMappingError, PlatformFeeLine
from backend.platforms.tiktok.mapping import check_shape, money, optional_timestamp, text

# Reference-only sub-blocks that are not part of the summed totals.
NOT_SUMMED = frozenset({"supplementary_component"})


@dataclass(frozen=True)
class Statement:
    """A daily statement (generated 00:00 UTC); amounts as TikTok signs them."""

    statement_id: str
    statement_time: datetime | None
    currency: str
    settlement_amount: Decimal
    revenue_amount: Decimal
    fee_amount: Decimal
    shipping_cost_amount: Decimal
    adjustment_amount: Decimal
    net_sales_amount: Decimal
    payment_status: str
    payment_id: str


@dataclass(frozen=True)
class SettlementTransaction:
    """One settled (or, from the unsettled endpoint, estimated) transaction and its fee lines."""

    transaction_id: str
    type: str
    order_id: str
    currency: str
    statement_id: str | None
    settlement_amount: Decimal
    fee_lines: tuple[PlatformFeeLine, ...]
    estimated: bool


def map_statement(data: Mapping[str, Any]) -> Statement:
    check_shape("statement", data)
    amounts = (
        "settlement_amount",
        "revenue_amount",
        "fee_amount",
        "shipping_cost_amount",
        "adjustment_amount",
        "net_sales_amount",
    )
    return Statement(
        statement_id=text(data, "id"),
        statement_time=optional_timestamp(data, "statement_time"),
        currency=text(data, "currency"),
        payment_status=text(data, "payment_status"),
        payment_id=text(data, "payment_id"),
        **{name: money(data, name) for name in amounts},
    )


def _cost_sign(block: Mapping[str, Any], order_id: str) -> int:
    """-1 when costs arrive as negative contributions, +1 when they arrive as positive costs."""
    revenue = money(block, "revenue_amount", order_id)
    costs = money(block, "shipping_cost_amount", order_id) + _fee_tax(block, order_id)
    settlement = money(block, "settlement_amount", order_id) - money(block, "adjustment_amount", order_id)
    if revenue + costs == settlement:
        return -1
    if revenue - costs == settlement:
        return 1
    raise OrderMappingError(
        order_id, "settlement_amount", f"{settlement} does not reconcile with revenue {revenue} and costs {costs}"
    )


def _fee_tax(block: Mapping[str, Any], order_id: str) -> Decimal:
    key = "fee_tax_amount" if "fee_tax_amount" in block else "fee_and_tax_amount"
    return money(block, key, order_id)


def _breakdown(breakdown: Mapping[str, Any] | None) -> list[tuple[str, Any]]:
    """Flatten one level of nested breakdown dicts (fee_tax_breakdown.fee / .tax), skipping references."""
    items: list[tuple[str, Any]] = []
    for key, value in (breakdown or {}).items():
        if key in NOT_SUMMED:
            continue
        items.extend(value.items() if isinstance(value, Mapping) else [(key, value)])
    return items


def block_fee_lines(
    block: Mapping[str, Any], *, order_id: str, currency: str, statement_id: str | None, sku_id: str | None
) -> list[PlatformFeeLine]:
    """Fee lines of one settlement block (an order, an SKU of it, or a statement transaction)."""
    sign = _cost_sign(block, order_id)
    fee_tax = block.get("fee_tax_breakdown") or {}
    fees = list((fee_tax.get("fee") or {}).items())
    taxes = list((fee_tax.get("tax") or {}).items())
    fee_total = "fee_tax_amount" if "fee_tax_amount" in block else "fee_and_tax_amount"
    groups: list[tuple[FeeCategory, list[tuple[str, Any]], str, int]] = [
        (FeeCategory.REVENUE, _breakdown(block.get("revenue_breakdown")), "revenue_amount", 1),
        (FeeCategory.SHIPPING, _breakdown(block.get("shipping_cost_breakdown")), "shipping_cost_amount", sign),
        (FeeCategory.FEE, fees, "" if taxes else fee_total, sign),
        (FeeCategory.TAX, taxes, "", sign),
        (FeeCategory.ADJUSTMENT, [], "adjustment_amount", -1),
    ]
    lines = []
    for category, breakdown, total_field, factor in groups:
        items = breakdown
        if not items and total_field and block.get(total_field) not in (None, ""):
            items = [(total_field, block[total_field])]  # no breakdown sent: keep the total itself
        for kind, raw in items:
            amount = money({kind: raw}, kind, order_id) * factor
            if amount:
                lines.append(PlatformFeeLine(order_id, kind, category, amount, currency, statement_id, sku_id))
    return lines


def map_order_fee_lines(data: Mapping[str, Any]) -> list[PlatformFeeLine]:
    """Per-order statement transactions (202501): one block per SKU, each tied to its statement."""
    check_shape("order_statement_transactions", data, key="order_id")
    order_id = text(data, "order_id")
    currency = text(data, "currency")
    lines: list[PlatformFeeLine] = []
    for sku in data.get("sku_transactions") or ():
        lines += block_fee_lines(
            sku,
            order_id=order_id,
            currency=text(sku, "currency") or currency,
            statement_id=sku.get("statement_id") or None,
            sku_id=sku.get("sku_id") or None,
        )
    return lines


def map_transaction(
    data: Mapping[str, Any], *, currency: str, statement_id: str | None, estimated: bool
) -> SettlementTransaction:
    check_shape("statement_transaction", data, key="order_id")
    order_id = text(data, "order_id") or text(data, "adjustment_order_id")
    currency = text(data, "currency") or currency
    return SettlementTransaction(
        transaction_id=text(data, "id"),
        type=text(data, "type"),
        order_id=order_id,
        currency=currency,
        statement_id=statement_id,
        settlement_amount=money(data, "settlement_amount", order_id),
        fee_lines=tuple(
            block_fee_lines(data, order_id=order_id, currency=currency, statement_id=statement_id, sku_id=None)
        ),
        estimated=estimated,
    )
