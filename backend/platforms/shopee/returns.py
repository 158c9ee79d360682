"""Shopee returns (v2.returns.get_return_list / get_return_detail) → platform-neutral cases. Pure.

Shopee's return statuses (REQUESTED, PROCESSING, ACCEPTED, JUDGING, SELLER_DISPUTE, CANCELLED, CLOSED)
land on OrderDeck's case vocabulary; `due_date` is when Shopee decides for a seller who did not answer.
Only a REQUESTED return waits for the seller's first answer here: a dispute needs evidence a sheet
cannot carry, so it stays in Seller Centre (the sheet says so).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from backend.domain.status import CaseStatus, CaseType, SellerStep
from backend.platforms.base import CaseItem, CasePageResult, OrderMappingError, PlatformCase
from backend.platforms.shopee.mapping import PLATFORM, amount, as_sent, optional_timestamp, text, timestamp

STATUSES = {
    "REQUESTED": CaseStatus.REQUESTED,
    "PROCESSING": CaseStatus.AWAITING_BUYER_SHIPMENT,
    "ACCEPTED": CaseStatus.APPROVED,
    "JUDGING": CaseStatus.REJECTED,  # the seller disputed it; Shopee judges
    "SELLER_DISPUTE": CaseStatus.REJECTED,
    "CANCELLED": CaseStatus.CANCELLED,
    "CLOSED": CaseStatus.COMPLETED,
}
SOLUTIONS = {0: CaseType.RETURN_AND_REFUND, 1: CaseType.REFUND}


def map_return(data: Mapping[str, Any]) -> PlatformCase:
    """A return as get_return_detail sends it (the list's fields are a subset)."""
    case_id = text(data, "return_sn")
    if not case_id:
        raise OrderMappingError(None, "return_sn", "is missing")
    raw_status = text(data, "status")
    status = STATUSES.get(raw_status)
    if status is None:
        raise OrderMappingError(case_id, "status", f"is not a status OrderDeck knows: {raw_status!r}")
    solution = data.get("return_solution")
    case_type = SOLUTIONS.get(solution if isinstance(solution, int) else 0, CaseType.RETURN_AND_REFUND)
    waiting = status is CaseStatus.REQUESTED
    items = tuple(
        CaseItem(
            line_id="",
            sku_id=text(item, "model_id") or text(item, "item_id"),
            seller_sku=text(item, "variation_sku") or text(item, "item_sku"),
            product_name=text(item, "name"),
            sku_name="",
            refund=amount(item, "item_price", case_id) if item.get("item_price") is not None else None,
        )
        for item in data.get("item") or ()
        if isinstance(item, Mapping)
    )
    return PlatformCase(
        platform=PLATFORM,
        case_id=case_id,
        order_id=text(data, "order_sn"),
        type=case_type,
        status=status,
        platform_status=raw_status,
        initiator="BUYER",
        reason=text(data, "reason"),
        buyer_words=text(data, "text_reason"),
        create_time=timestamp(data.get("create_time"), "create_time", case_id),
        update_time=timestamp(data.get("update_time") or data.get("create_time"), "update_time", case_id),
        step=SellerStep.RESPOND if waiting else None,
        deadline=optional_timestamp(data, "due_date", case_id) if waiting else None,
        currency=text(data, "currency"),
        refund_total=amount(data, "refund_amount", case_id) if data.get("refund_amount") is not None else None,
        items=items,
        return_tracking=text(data, "tracking_number"),
        raw=as_sent(data),
    )


def map_returns(rows: Iterable[Mapping[str, Any]]) -> CasePageResult:
    cases, failures = [], []
    for row in rows:
        try:
            cases.append(map_return(row))
        except OrderMappingError as exc:
            failures.append(exc)
    return CasePageResult(tuple(cases), tuple(failures))
