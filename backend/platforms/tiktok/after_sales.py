"""TikTok Shop Return & Refund payloads (202309) → platform-neutral cases, and the decisions it takes.

Sources: TikTok Shop Partner Center, "Return, refund, and cancel API overview" and the Search
Cancellations / Search Returns / Approve / Reject pages (docv2). Each request carries
`seller_next_action_response[]{action, deadline}`: the decision the seller owes and the Unix second by
which TikTok decides for them (it approves a request nobody answered). Pure functions, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from backend.domain.status import CaseStatus, CaseType, Decision, SellerStep
from backend.platforms.base import CaseItem, CasePageResult, OrderMappingError, PlatformCase
from backend.platforms.tiktok.mapping import PLATFORM, money, optional_timestamp, text, timestamp

CANCEL_STATUSES = {
    "CANCELLATION_REQUEST_PENDING": CaseStatus.REQUESTED,
    "CANCELLATION_REQUEST_SUCCESS": CaseStatus.APPROVED,
    "CANCELLATION_REQUEST_COMPLETE": CaseStatus.COMPLETED,
    "CANCELLATION_REQUEST_CANCEL": CaseStatus.CANCELLED,
    "CANCELLATION_REQUEST_CANCELLED": CaseStatus.CANCELLED,  # the search response's spelling
}
RETURN_STATUSES = {
    "RETURN_OR_REFUND_REQUEST_PENDING": CaseStatus.REQUESTED,
    "AWAITING_BUYER_RESPONSE": CaseStatus.REQUESTED,  # the seller offered a partial refund; the buyer answers
    "REFUND_OR_RETURN_REQUEST_REJECT": CaseStatus.REJECTED,
    "RETURN_OR_REFUND_REQUEST_REJECT": CaseStatus.REJECTED,
    "AWAITING_BUYER_SHIP": CaseStatus.AWAITING_BUYER_SHIPMENT,
    "BUYER_SHIPPED_ITEM": CaseStatus.BUYER_SHIPPED,
    "REJECT_RECEIVE_PACKAGE": CaseStatus.PACKAGE_REJECTED,
    "RETURN_OR_REFUND_REQUEST_SUCCESS": CaseStatus.APPROVED,
    "RETURN_OR_REFUND_REQUEST_CANCEL": CaseStatus.CANCELLED,
    "RETURN_OR_REFUND_REQUEST_COMPLETE": CaseStatus.COMPLETED,
    "REPLACEMENT_REQUEST_PENDING": CaseStatus.REQUESTED,
    "REPLACEMENT_REQUEST_REJECT": CaseStatus.REJECTED,
    "REPLACEMENT_REQUEST_REFUND_SUCCESS": CaseStatus.APPROVED,
    "REPLACEMENT_REQUEST_CANCEL": CaseStatus.CANCELLED,
    "REPLACEMENT_REQUEST_COMPLETE": CaseStatus.COMPLETED,
}
RETURN_TYPES = {
    "REFUND": CaseType.REFUND,
    "RETURN_AND_REFUND": CaseType.RETURN_AND_REFUND,
    "REPLACEMENT": CaseType.REPLACEMENT,
}
# seller_next_action_response[].action → the decision it asks for.
NEXT_ACTIONS = {
    "SELLER_RESPOND_CANCEL": SellerStep.RESPOND,
    "SELLER_RESPOND_REFUND": SellerStep.RESPOND,
    "SELLER_RESPOND_RETURN": SellerStep.RESPOND,
    "SELLER_RESPOND_REPLACEMENT": SellerStep.RESPOND,
    "SELLER_RESPOND_RECEIVE_PACKAGE": SellerStep.RECEIVE_PACKAGE,
}
# (type, step, decision) → the `decision` field of Approve/Reject Return; cancellations have no field.
RETURN_DECISIONS: dict[tuple[CaseType, SellerStep, Decision], str] = {
    (CaseType.REFUND, SellerStep.RESPOND, Decision.APPROVE): "APPROVE_REFUND",
    (CaseType.REFUND, SellerStep.RESPOND, Decision.REJECT): "REJECT_REFUND",
    (CaseType.RETURN_AND_REFUND, SellerStep.RESPOND, Decision.APPROVE): "APPROVE_RETURN",
    (CaseType.RETURN_AND_REFUND, SellerStep.RESPOND, Decision.REJECT): "REJECT_RETURN",
    (CaseType.RETURN_AND_REFUND, SellerStep.RECEIVE_PACKAGE, Decision.APPROVE): "APPROVE_RECEIVED_PACKAGE",
    (CaseType.RETURN_AND_REFUND, SellerStep.RECEIVE_PACKAGE, Decision.REJECT): "REJECT_RECEIVED_PACKAGE",
    (CaseType.REPLACEMENT, SellerStep.RESPOND, Decision.APPROVE): "APPROVE_REPLACEMENT",
    (CaseType.REPLACEMENT, SellerStep.RESPOND, Decision.REJECT): "REJECT_REPLACEMENT",
    (CaseType.REPLACEMENT, SellerStep.RECEIVE_PACKAGE, Decision.APPROVE): "APPROVE_RECEIVED_PACKAGE",
    (CaseType.REPLACEMENT, SellerStep.RECEIVE_PACKAGE, Decision.REJECT): "REJECT_RECEIVED_PACKAGE",
}
CANCEL_DECISIONS = frozenset({(CaseType.CANCEL, SellerStep.RESPOND, d) for d in Decision})


def _refund(block: Mapping[str, Any] | None, case_id: str) -> tuple[str, Decimal | None]:
    if not isinstance(block, Mapping) or block.get("refund_total") in (None, ""):
        return (text(block, "currency") if isinstance(block, Mapping) else ""), None
    return text(block, "currency"), money(block, "refund_total", case_id, "refund_amount.")


def _items(rows: Iterable[Mapping[str, Any]], case_id: str) -> tuple[CaseItem, ...]:
    items = []
    for row in rows:
        if not isinstance(row, Mapping):
            raise OrderMappingError(case_id, "line_items", "holds something that is not an object")
        items.append(
            CaseItem(
                line_id=text(row, "order_line_item_id"),
                sku_id=text(row, "sku_id"),
                seller_sku=text(row, "seller_sku"),
                product_name=text(row, "product_name"),
                sku_name=text(row, "sku_name"),
                refund=_refund(row.get("refund_amount"), case_id)[1],
            )
        )
    return tuple(items)


def _next_action(data: Mapping[str, Any], case_id: str) -> tuple[SellerStep | None, Any]:
    """The first next action TikTok names that we know, and its deadline (raw)."""
    for action in data.get("seller_next_action_response") or ():
        if isinstance(action, Mapping) and (step := NEXT_ACTIONS.get(text(action, "action"))) is not None:
            return step, optional_timestamp(action, "deadline", case_id)
    return None, None


def _case(
    data: Mapping[str, Any], *, case_id: str, case_type: CaseType, status_field: str, table: Mapping[str, CaseStatus]
) -> PlatformCase:
    raw_status = text(data, status_field)
    status = table.get(raw_status)
    if status is None:
        raise OrderMappingError(case_id, status_field, f"is not a status OrderDeck knows: {raw_status!r}")
    prefix = "cancel" if case_type is CaseType.CANCEL else "return"
    step, deadline = _next_action(data, case_id)
    currency, total = _refund(data.get("refund_amount"), case_id)
    return PlatformCase(
        platform=PLATFORM,
        case_id=case_id,
        order_id=text(data, "order_id"),
        type=case_type,
        status=status,
        platform_status=raw_status,
        initiator=text(data, "role") or "BUYER",
        reason=text(data, f"{prefix}_reason"),
        buyer_words=text(data, f"{prefix}_reason_text"),
        create_time=timestamp(data.get("create_time"), "create_time", case_id),
        update_time=timestamp(data.get("update_time") or data.get("create_time"), "update_time", case_id),
        step=step if status in (CaseStatus.REQUESTED, CaseStatus.BUYER_SHIPPED) else None,
        deadline=deadline if status in (CaseStatus.REQUESTED, CaseStatus.BUYER_SHIPPED) else None,
        currency=currency,
        refund_total=total,
        items=_items(data.get(f"{prefix}_line_items") or (), case_id),
        return_tracking=text(data, "return_tracking_number"),
        raw=dict(data),
    )


def map_cancellation(data: Mapping[str, Any]) -> PlatformCase:
    case_id = text(data, "cancel_id")
    if not case_id:
        raise OrderMappingError(None, "cancel_id", "is missing")
    return _case(data, case_id=case_id, case_type=CaseType.CANCEL, status_field="cancel_status", table=CANCEL_STATUSES)


def map_return(data: Mapping[str, Any]) -> PlatformCase:
    case_id = text(data, "return_id")
    if not case_id:
        raise OrderMappingError(None, "return_id", "is missing")
    case_type = RETURN_TYPES.get(text(data, "return_type"))
    if case_type is None:
        raise OrderMappingError(case_id, "return_type", f"is not a type OrderDeck knows: {text(data, 'return_type')!r}")
    return _case(data, case_id=case_id, case_type=case_type, status_field="return_status", table=RETURN_STATUSES)


def map_case_page(
    cancellations: Iterable[Mapping[str, Any]] = (), returns: Iterable[Mapping[str, Any]] = ()
) -> CasePageResult:
    """Map what we can; a payload that fails is reported, not fatal."""
    cases, failures = [], []
    for mapper, rows in ((map_cancellation, cancellations), (map_return, returns)):
        for row in rows:
            try:
                cases.append(mapper(row))
            except OrderMappingError as exc:
                failures.append(exc)
    return CasePageResult(tuple(cases), tuple(failures))


def return_decision(case_type: CaseType, step: SellerStep, decision: Decision) -> str:
    """The `decision` value of Approve/Reject Return for this case and answer (KeyError if TikTok has none)."""
    return RETURN_DECISIONS[(case_type, step, decision)]
