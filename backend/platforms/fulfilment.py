"""Platform-neutral fulfilment: handing packages over, their documents, carriers, tracking, combining and splitting.

Services see these types and the `ShippingCalls` every ShopClient offers (backend.platforms.base mixes them
in); each adapter maps its platform's logistics API onto them and says in `FulfilmentSupport` what its API
lets a seller do, so a sheet shows the rest read-only rather than offering an action that cannot work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class HandoverMethod(StrEnum):
    """How a platform-shipped package reaches the carrier."""

    PICKUP = "pickup"  # the carrier collects it in a slot the platform offers
    DROP_OFF = "drop_off"  # the seller takes it to a drop-off point


@dataclass(frozen=True)
class PickupSlot:
    start: datetime
    end: datetime


@dataclass(frozen=True)
class HandoverChoices:
    """What a package may be handed over with now: pickup slots (only those not yet over) and/or drop-off."""

    pickup: bool
    drop_off: bool
    slots: tuple[PickupSlot, ...] = ()
    drop_off_url: str = ""


@dataclass(frozen=True)
class Handover:
    method: HandoverMethod
    slot: PickupSlot | None = None


@dataclass(frozen=True)
class DeliveryOption:
    """A way an order may be delivered; `seller_ships` says whether the seller brings the carrier (and a
    tracking number) or the platform does (and prints the label)."""

    option_id: str
    name: str
    seller_ships: bool


@dataclass(frozen=True)
class Carrier:
    """A shipping provider the platform accepts for a delivery option."""

    carrier_id: str
    name: str


class ShipProblem(StrEnum):
    """Why a package was not shipped, whatever the platform's code; domain/fulfilment.py says what to do."""

    ALREADY_SHIPPED = "already_shipped"
    SLOT_EXPIRED = "slot_expired"
    SLOT_MISSING = "slot_missing"
    ADDRESS = "address"
    LABEL = "label"
    ON_HOLD = "on_hold"
    CANCELLED = "cancelled"
    AFTER_SALE = "after_sale"
    CARRIER = "carrier"
    NOT_READY = "not_ready"
    RETRY = "retry"  # the platform failed for now; the same request may work later
    OTHER = "other"


@dataclass(frozen=True)
class ShipOutcome:
    """One package of a handover request: shipped, or the problem and the platform's own words."""

    package_id: str
    problem: ShipProblem | None = None
    message: str = ""

    @property
    def shipped(self) -> bool:
        return self.problem is None


class DocumentKind(StrEnum):
    LABEL = "label"
    PACKING_SLIP = "packing_slip"
    LABEL_AND_SLIP = "label_and_slip"


@dataclass(frozen=True)
class Document:
    """A shipping document fetched just now (platform URLs expire, so it is never stored or linked to)."""

    content: bytes
    media_type: str  # application/pdf, or text/plain for a thermal printer's ZPL
    tracking_number: str = ""


class TrackingKind(StrEnum):
    """What a carrier scan means for the parcel, as far as OrderDeck acts on it."""

    INFO = "info"
    PICKED_UP = "picked_up"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    FAILED_ATTEMPT = "failed_attempt"
    RETURNED = "returned"


@dataclass(frozen=True)
class TrackingEvent:
    at: datetime
    description: str
    kind: TrackingKind


@dataclass(frozen=True)
class CombineGroup:
    """Open packages of one buyer the platform would ship as one; `group_id` is the platform's proposal."""

    group_id: str
    order_ids: tuple[str, ...]


@dataclass(frozen=True)
class SplitAdvice:
    order_id: str
    can_split: bool
    reason: str = ""


@dataclass(frozen=True)
class FulfilmentSupport:
    """What a channel's API lets OrderDeck do about fulfilment; `read_only` is what a sheet says about the rest.

    `document_sizes` and `document_formats` list what the platform's shipping documents come in (first =
    default); empty when it serves no documents through its API.
    """

    platform_shipping: bool  # mark platform-shipped packages ready with a handover method
    carriers: bool  # list the carriers of a delivery option (the carrier dropdown)
    documents: tuple[DocumentKind, ...]
    document_sizes: tuple[str, ...]
    document_formats: tuple[str, ...]
    tracking: bool
    combine: bool
    split: bool
    read_only: str = ""


class ShippingCalls(Protocol):
    """The fulfilment calls of one shop's client; a call the channel's support leaves out raises NotOffered."""

    def delivery_options(self, warehouse_id: str) -> list[DeliveryOption]: ...

    def carriers(self, option_id: str) -> list[Carrier]:
        """The carriers the platform accepts now for a seller-shipped delivery option."""
        ...

    def handover_choices(self, package_id: str) -> HandoverChoices: ...

    def ship_packages(self, requests: Sequence[tuple[str, Handover]]) -> list[ShipOutcome]:
        """Hand platform-shipped packages over, in batches the platform accepts; one outcome per package."""
        ...

    def shipping_document(
        self, order_id: str, package_id: str, *, kind: DocumentKind, size: str, format: str
    ) -> Document:
        """The package's document, fetched fresh (raises NotOffered, or PlatformRejected before it ships)."""
        ...

    def tracking(self, order_id: str) -> list[TrackingEvent]:
        """The carrier's events for a shipped order, oldest first."""
        ...

    def combinable(self) -> list[CombineGroup]: ...

    def combine(self, group: CombineGroup) -> list[str]:
        """Combine a proposed group into one package; the new package ids."""
        ...

    def uncombine(self, package_id: str, order_ids: Sequence[str]) -> list[str]: ...

    def split_advice(self, order_ids: Sequence[str]) -> list[SplitAdvice]: ...

    def split(self, order_id: str, groups: Sequence[Sequence[str]]) -> list[str]:
        """Split an order's line items into one package per group; the new package ids."""
        ...
