"""The cancellation and return exception templates, filled from the order's after-sales case: a case raised
from the sheet's dropdown starts with the refund, the SKU, the quantity and the buyer's reason the platform
already sent, instead of empty fields someone must look up."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.domain.after_sales import case_lines
from backend.domain.status import OrderStatus
from backend.domain.templates import Template
from backend.models import AfterSaleCase, Order, Shop
from backend.services.after_sales.views import refund_of

# Template key → the kind of case that fills it.
TEMPLATE_KINDS = {"customer_cancellation": "cancellation", "return_request": "return"}
# Words in a buyer's cancel reason → the customer_cancellation template's reason choice (first match wins).
REASON_WORDS = (
    (("mistake", "wrong", "twice", "duplicate"), "ordered_by_mistake"),
    (("slow", "late", "delivery", "shipping time", "long"), "delivery_too_slow"),
    (("cheaper", "price", "better deal"), "found_cheaper"),
    (("no longer", "changed", "don't want", "not needed"), "changed_mind"),
)
NOT_SHIPPED = frozenset({OrderStatus.UNPAID, OrderStatus.ON_HOLD, OrderStatus.AWAITING_SHIPMENT})


def _reason_choice(reason: str) -> str | None:
    lowered = reason.casefold()
    return next((choice for words, choice in REASON_WORDS if any(w in lowered for w in words)), None)


def prefill(session: Session, order: Order, template: Template) -> dict[str, Any]:
    """Field values for `template` from the order's newest case of its kind (nothing when it has none)."""
    kind = TEMPLATE_KINDS.get(template.key)
    if kind is None:
        return {}
    case = session.scalar(
        select(AfterSaleCase)
        .where(AfterSaleCase.order_id == order.id, AfterSaleCase.kind == kind)
        .order_by(AfterSaleCase.platform_create_time.desc())
        .limit(1)
    )
    if case is None:
        return {}
    lines = case_lines(case.items)
    values: dict[str, Any] = {
        "refund_amount": str(refund) if (refund := refund_of(case)) is not None else None,
        "reason": _reason_choice(case.reason),
        "already_shipped": order.status not in NOT_SHIPPED,
        "seller_sku": lines[0].seller_sku if lines else None,
        "quantity": lines[0].quantity if lines else None,
    }
    if case.deadline_at is not None:
        zone = ZoneInfo(session.get_one(Shop, order.shop_id).time_zone)
        values["return_by"] = case.deadline_at.astimezone(zone).date().isoformat()
    names = {f.name for f in template.fields}
    return {name: value for name, value in values.items() if name in names and value is not None}
