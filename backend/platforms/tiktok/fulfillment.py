"""Fulfillment types, the typed-carrier-name → shipping_provider_id match, and TikTok's logistics answers
(handover slots, per-package ship errors, tracking events) mapped onto backend.platforms.fulfilment.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from backend.errors import UnknownCarrier
from backend.platforms.base import carrier_key
from backend.platforms.fulfilment import (
    DocumentKind,
    HandoverChoices,
    HandoverMethod,
    PickupSlot,
    ShipProblem,
    TrackingEvent,
    TrackingKind,
)
from backend.platforms.tiktok.errors import ON_HOLD_CODE
from backend.platforms.tiktok.mapping import text


@dataclass(frozen=True)
class Warehouse:
    warehouse_id: str
    name: str
    is_default: bool


@dataclass(frozen=True)
class DeliveryOption:
    delivery_option_id: str
    name: str
    type: str


@dataclass(frozen=True)
class ShippingProvider:
    provider_id: str
    name: str


@dataclass(frozen=True)
class ShippingDocument:
    """A label for a TikTok-shipped package; `url` is valid for 24 hours."""

    url: str
    tracking_number: str


def map_warehouse(data: Mapping[str, Any]) -> Warehouse:
    return Warehouse(text(data, "id"), text(data, "name"), bool(data.get("is_default", False)))


def map_delivery_option(data: Mapping[str, Any]) -> DeliveryOption:
    return DeliveryOption(text(data, "id"), text(data, "name"), text(data, "type"))


def map_provider(data: Mapping[str, Any]) -> ShippingProvider:
    return ShippingProvider(text(data, "id"), text(data, "name"))


def match_provider(carrier_name: str, providers: Iterable[ShippingProvider]) -> ShippingProvider:
    providers = list(providers)
    key = carrier_key(carrier_name)
    for provider in providers:
        if carrier_key(provider.name) == key:
            return provider
    known = ", ".join(sorted(p.name for p in providers)) or "none"
    raise UnknownCarrier(f"carrier {carrier_name!r} is not a shipping provider here; known: {known}")


# -- handing packages over -----------------------------------------------------------------------------

HANDOVER_METHODS = {HandoverMethod.PICKUP: "PICKUP", HandoverMethod.DROP_OFF: "DROP_OFF"}
DOCUMENT_TYPES = {
    DocumentKind.LABEL: "SHIPPING_LABEL",
    DocumentKind.PACKING_SLIP: "PACKING_SLIP",
    DocumentKind.LABEL_AND_SLIP: "SHIPPING_LABEL_AND_PACKING_SLIP",
}
# Ship errors from the docv2 pages ship-package-202309 and batch-ship-packages (LK scrapes); the codes in
# 11021009-11021025 are address and parcel problems, of which these two are the ones the sandbox raises.
SHIP_PROBLEMS: dict[int, ShipProblem] = {
    21011040: ShipProblem.ALREADY_SHIPPED,
    21008099: ShipProblem.ALREADY_SHIPPED,
    11006021: ShipProblem.ALREADY_SHIPPED,
    21011020: ShipProblem.ALREADY_SHIPPED,
    21011053: ShipProblem.SLOT_EXPIRED,
    21004017: ShipProblem.SLOT_EXPIRED,
    21011054: ShipProblem.SLOT_MISSING,
    11021009: ShipProblem.ADDRESS,
    11021015: ShipProblem.LABEL,
    ON_HOLD_CODE: ShipProblem.ON_HOLD,
    21011041: ShipProblem.CANCELLED,
    21011007: ShipProblem.AFTER_SALE,
    21011022: ShipProblem.CARRIER,
    21011002: ShipProblem.NOT_READY,
    10007014: ShipProblem.RETRY,  # "package in freeze status"
}
NOT_SHIPPED_YET = 21023035  # "Please arrange shipment before retrieving the shipping document."
NOT_TIKTOK_SHIPPING = 11034002
COMBINE_NOT_ALLOWED = 21011035  # "split order not allowed" (and combining outside SEA and LATAM)


def ship_problem(code: int) -> ShipProblem:
    if code in SHIP_PROBLEMS:
        return SHIP_PROBLEMS[code]
    return ShipProblem.ADDRESS if 11021009 <= code <= 11021025 else ShipProblem.OTHER


def _instant(seconds: Any) -> datetime:
    return datetime.fromtimestamp(int(seconds), UTC)


def map_handover(data: Mapping[str, Any]) -> HandoverChoices:
    slots = tuple(
        PickupSlot(_instant(s["start_time"]), _instant(s["end_time"]))
        for s in data.get("pickup_slots") or ()
        if isinstance(s, Mapping) and s.get("avaliable", s.get("available", True))  # TikTok spells it "avaliable"
    )
    return HandoverChoices(
        pickup=bool(data.get("can_pickup")),
        drop_off=bool(data.get("can_drop_off")),
        slots=slots,
        drop_off_url=text(data, "drop_off_point_url"),
    )


# -- tracking ----------------------------------------------------------------------------------------

# TikTok's tracking events carry only a description; these words (first match wins) say what a scan means.
# The order's own status stays the authority on delivery: a "Delivered" scan only shows sooner.
TRACKING_WORDS: tuple[tuple[str, TrackingKind], ...] = (
    ("returned to sender", TrackingKind.RETURNED),
    ("return to sender", TrackingKind.RETURNED),
    ("attempt failed", TrackingKind.FAILED_ATTEMPT),
    ("failed delivery", TrackingKind.FAILED_ATTEMPT),
    ("out for delivery", TrackingKind.OUT_FOR_DELIVERY),
    ("delivered", TrackingKind.DELIVERED),
    ("picked up", TrackingKind.PICKED_UP),
    ("in transit", TrackingKind.IN_TRANSIT),
    ("arrived", TrackingKind.IN_TRANSIT),
    ("departed", TrackingKind.IN_TRANSIT),
)


def tracking_kind(description: str) -> TrackingKind:
    lowered = description.lower()
    return next((kind for word, kind in TRACKING_WORDS if word in lowered), TrackingKind.INFO)


def map_tracking(data: Mapping[str, Any]) -> list[TrackingEvent]:
    """`tracking[]{description, update_time_millis}` (milliseconds), oldest first."""
    events = []
    for row in data.get("tracking") or ():
        if not isinstance(row, Mapping) or not str(row.get("update_time_millis", "")).isdigit():
            continue
        at = datetime.fromtimestamp(int(row["update_time_millis"]) / 1000, UTC)
        description = text(row, "description")
        events.append(TrackingEvent(at, description, tracking_kind(description)))
    return sorted(events, key=lambda e: e.at)
