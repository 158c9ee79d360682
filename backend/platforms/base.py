"""Platform-neutral order, shop, fee and token types, and the protocol every sales-channel client meets.

Services and the domain see only these types, so adding Taobao means writing one more client and
mapper, not touching sync or sheets. Money is Decimal, times are aware UTC, and each record keeps the
platform's raw payload so an event can be replayed or re-mapped after a mapping fix.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol


class FeeCategory(StrEnum):
    """Which settlement block a fee line came from; decides how its amount counts toward profit."""

    REVENUE = "revenue"
    SHIPPING = "shipping"
    FEE = "fee"
    TAX = "tax"
    ADJUSTMENT = "adjustment"


@dataclass(frozen=True)
class TokenSet:
    """An access/refresh token pair; expiries are absolute aware-UTC instants as the platform reports them."""

    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime
    open_id: str = ""
    seller_name: str = ""
    seller_base_region: str = ""
    granted_scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlatformShop:
    """One shop a token may act for; `cipher` must accompany every shop-scoped call."""

    platform: str
    shop_id: str
    cipher: str
    code: str
    name: str
    region: str
    seller_type: str


@dataclass(frozen=True)
class PlatformRecipient:
    """Personal delivery data, kept apart so only roles allowed personal data ever see it."""

    name: str
    first_name: str
    last_name: str
    phone_number: str
    full_address: str
    address_lines: tuple[str, ...]
    postal_code: str
    region_code: str
    city: str
    state: str


@dataclass(frozen=True)
class PlatformLineItem:
    """One unit of one SKU, exactly as the platform sends it (2 shirts = 2 line items)."""

    line_id: str
    sku_id: str
    product_id: str
    product_name: str
    sku_name: str
    seller_sku: str
    currency: str
    original_price: Decimal
    sale_price: Decimal
    seller_discount: Decimal
    platform_discount: Decimal
    display_status: str
    package_id: str | None
    tracking_number: str | None
    shipping_provider_name: str | None
    cancel_reason: str | None
    cancel_user: str | None
    is_gift: bool


@dataclass(frozen=True)
class PlatformPackage:
    """A shipment: its id, the line items inside it and what the carrier knows about it."""

    package_id: str
    line_ids: tuple[str, ...]
    tracking_number: str | None
    shipping_provider_id: str | None
    shipping_provider_name: str | None


@dataclass(frozen=True)
class PlatformSla:
    """Every deadline the platform publishes for the order; None where it sent none for this market."""

    rts_sla_time: datetime | None = None
    tts_sla_time: datetime | None = None
    delivery_sla_time: datetime | None = None
    cancel_order_sla_time: datetime | None = None
    shipping_due_time: datetime | None = None
    collection_due_time: datetime | None = None
    delivery_due_time: datetime | None = None
    pick_up_cut_off_time: datetime | None = None
    fast_dispatch_sla_time: datetime | None = None
    recommended_shipping_time: datetime | None = None


@dataclass(frozen=True)
class PlatformCancellation:
    """Why and when an order was (or is being asked to be) cancelled."""

    reason: str
    initiator: str
    cancel_time: datetime | None
    is_buyer_request_cancel: bool
    request_cancel_time: datetime | None


@dataclass(frozen=True)
class PlatformPayment:
    """The order's money as the buyer saw it, in the order currency."""

    currency: str
    sub_total: Decimal
    shipping_fee: Decimal
    seller_discount: Decimal
    platform_discount: Decimal
    tax: Decimal
    total_amount: Decimal
    original_total_product_price: Decimal
    original_shipping_fee: Decimal


@dataclass(frozen=True)
class PlatformOrder:
    """A platform order mapped to neutral types; `raw` is the payload it came from, unchanged."""

    platform: str
    order_id: str
    status: str
    create_time: datetime
    update_time: datetime
    paid_time: datetime | None
    rts_time: datetime | None
    collection_time: datetime | None
    delivery_time: datetime | None
    is_on_hold: bool
    buyer_user_id: str
    buyer_message: str
    seller_note: str
    fulfillment_type: str
    shipping_type: str
    delivery_option_name: str
    warehouse_id: str
    split_or_combine_tag: str
    payment: PlatformPayment
    sla: PlatformSla
    line_items: tuple[PlatformLineItem, ...]
    packages: tuple[PlatformPackage, ...]
    cancellation: PlatformCancellation | None
    recipient: PlatformRecipient | None
    raw: Mapping[str, Any] = field(repr=False, compare=False, hash=False)

    def quantities(self) -> dict[str, int]:
        """Units per SKU, counted from the per-unit line items (the platform sends no quantity)."""
        return dict(Counter(item.sku_id for item in self.line_items))


@dataclass(frozen=True)
class PlatformFeeLine:
    """One settlement component of one order.

    Sign convention: REVENUE lines are signed contributions to revenue (discounts negative); every
    other category is a cost stored as a POSITIVE amount that reduces profit (a negative amount is a
    refund of that cost). So settlement = sum(revenue lines) - sum(other lines), whatever signs the
    platform payload used. `kind` is the platform's own field name, so fee pools are data elsewhere.
    """

    order_id: str
    kind: str
    category: FeeCategory
    amount: Decimal
    currency: str
    statement_id: str | None
    sku_id: str | None


@dataclass(frozen=True)
class OrderPageResult:
    """One page of orders: the mapped ones and those that failed mapping (recorded, not fatal)."""

    orders: tuple[PlatformOrder, ...]
    failures: tuple[OrderMappingError, ...]
    next_page_token: str
    total_count: int


class OrderMappingError(ValueError):
    """A payload could not be mapped; names the order (if known) and the offending field."""

    def __init__(self, order_id: str | None, field_name: str, problem: str) -> None:
        self.order_id = order_id
        self.field_name = field_name
        self.problem = problem
        super().__init__(f"order {order_id or '?'}: field {field_name!r} {problem}")


class PlatformClient(Protocol):
    """What sync, ingest and fulfillment need from any sales channel."""

    platform: str

    def authorized_shops(self) -> list[PlatformShop]: ...

    def iter_order_pages(
        self, shop_cipher: str, *, updated_from: datetime, updated_to: datetime | None = None
    ) -> Iterator[OrderPageResult]: ...

    def get_orders(self, shop_cipher: str, order_ids: Sequence[str]) -> OrderPageResult: ...

    def order_fee_lines(self, shop_cipher: str, order_id: str) -> list[PlatformFeeLine]: ...

    def ship_package(
        self, shop_cipher: str, package_id: str, *, tracking_number: str, shipping_provider_id: str
    ) -> None: ...
