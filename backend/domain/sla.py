"""Which deadline an order is racing, and how urgent it is, from the order's own SLA fields.

TikTok's rules change, so no hours are hard-coded here: the deadlines are the ones the channel sent
for the order (DESIGN.md). Only the warning tiers (red under 4 h, amber under 24 h) are ours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from backend.domain.status import OrderStatus
from backend.domain.views import Deadlines, OrderView

RED = timedelta(hours=4)
AMBER = timedelta(hours=24)
ON_HOLD = OrderStatus.ON_HOLD
DO_NOT_PICK = "ON HOLD - do not pick"

# Status → the deadline fields that apply, most specific first (the first one present wins).
DEADLINES_BY_STATUS: dict[str, tuple[tuple[str, str], ...]] = {
    OrderStatus.AWAITING_SHIPMENT: (
        ("rts_sla_at", "ship by"),
        ("shipping_due_at", "ship by"),
        ("fast_dispatch_sla_at", "ship by"),
        ("tts_sla_at", "hand over by"),
    ),
    OrderStatus.PARTIALLY_SHIPPING: (
        ("rts_sla_at", "ship by"),
        ("shipping_due_at", "ship by"),
        ("tts_sla_at", "hand over by"),
    ),
    OrderStatus.AWAITING_COLLECTION: (
        ("collection_due_at", "collected by"),
        ("pick_up_cut_off_at", "collected by"),
        ("tts_sla_at", "hand over by"),
    ),
    OrderStatus.IN_TRANSIT: (("delivery_due_at", "delivered by"), ("delivery_sla_at", "delivered by")),
    ON_HOLD: (("rts_sla_at", "ship by"), ("shipping_due_at", "ship by")),
}
SHIP_BY_FIELDS = ("rts_sla_at", "shipping_due_at", "fast_dispatch_sla_at", "tts_sla_at")


class Urgency(StrEnum):
    OVERDUE = "overdue"
    RED = "red"
    AMBER = "amber"
    OK = "ok"
    NONE = "none"


@dataclass(frozen=True)
class Deadline:
    field: str
    label: str
    at: datetime


def _first(deadlines: Deadlines, names: tuple[str, ...]) -> tuple[str, datetime] | None:
    for name in names:
        value: datetime | None = getattr(deadlines, name)
        if value is not None:
            return name, value
    return None


def ship_by(view: OrderView) -> datetime | None:
    """The dispatch deadline: rts_sla_time, falling back through shipping_due_time and the others."""
    found = _first(view.deadlines, SHIP_BY_FIELDS)
    return found[1] if found else None


def next_deadline(view: OrderView) -> Deadline | None:
    """The deadline the order's current status is racing; None once nothing is due (delivered, cancelled)."""
    status = ON_HOLD if view.is_on_hold else view.status
    for name, label in DEADLINES_BY_STATUS.get(status, ()):
        value: datetime | None = getattr(view.deadlines, name)
        if value is not None:
            return Deadline(name, label, value)
    return None


def urgency(deadline: datetime | None, now: datetime) -> Urgency:
    if deadline is None:
        return Urgency.NONE
    left = deadline - now
    if left <= timedelta(0):
        return Urgency.OVERDUE
    if left < RED:
        return Urgency.RED
    if left < AMBER:
        return Urgency.AMBER
    return Urgency.OK


def pick_status(view: OrderView) -> str:
    """The status as the warehouse reads it: an order on hold must not be picked yet."""
    if view.is_on_hold or view.status == ON_HOLD:
        return DO_NOT_PICK
    return view.status
