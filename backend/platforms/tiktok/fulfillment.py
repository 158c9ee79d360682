"""Fulfillment types and the typed-carrier-name → shipping_provider_id match."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from backend.errors import UnknownCarrier
from backend.platforms.base import carrier_key
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
