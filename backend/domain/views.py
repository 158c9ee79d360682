"""The plain data a column reads: one order as the sheets see it, with no session or model attached.

Built by backend/services/views.py from the models; everything here is immutable so projection,
diffing and tests work on values only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from backend.domain.profit import LedgerEntry


@dataclass(frozen=True)
class SkuLine:
    """The units of one SKU in an order (TikTok sends one line per unit; two shirts are two lines)."""

    seller_sku: str
    sku_id: str
    product_name: str
    sku_name: str
    quantity: int
    unit_price: Decimal | None
    amount: Decimal | None

    @property
    def key(self) -> str:
        return self.seller_sku or self.sku_id


@dataclass(frozen=True)
class PackageView:
    external_id: str
    status: str
    tracking_number: str
    carrier: str
    shipped_at: datetime | None = None


@dataclass(frozen=True)
class Deadlines:
    """Every deadline the channel sent for the order (aware UTC); the SLA picks among them."""

    rts_sla_at: datetime | None = None
    tts_sla_at: datetime | None = None
    shipping_due_at: datetime | None = None
    collection_due_at: datetime | None = None
    delivery_due_at: datetime | None = None
    delivery_sla_at: datetime | None = None
    cancel_order_sla_at: datetime | None = None
    pick_up_cut_off_at: datetime | None = None
    fast_dispatch_sla_at: datetime | None = None


@dataclass(frozen=True)
class OrderView:
    """One order with its shop, lines per SKU, packages, open exceptions and profit ledger."""

    order_id: int
    external_id: str
    shop_id: int
    shop_name: str
    shop_time_zone: str
    currency: str
    status: str
    created_at: datetime
    updated_at: datetime
    platform: str = ""  # the sales channel, as a person reads it ("TikTok Shop", "Shopee")
    paid_at: datetime | None = None
    is_on_hold: bool = False
    deadlines: Deadlines = field(default_factory=Deadlines)
    carrier: str = ""
    tracking_number: str = ""
    delivery_option: str = ""
    fulfillment_type: str = ""
    buyer_message: str = ""
    seller_note: str = ""
    cancel_reason: str = ""
    recipient_name: str = ""
    recipient_phone: str = ""
    recipient_address: str = ""
    recipient_postal_code: str = ""
    region_code: str = ""
    subtotal: Decimal | None = None
    shipping_fee: Decimal | None = None
    seller_discount: Decimal | None = None
    platform_discount: Decimal | None = None
    tax: Decimal | None = None
    total_amount: Decimal | None = None
    lines: tuple[SkuLine, ...] = ()
    packages: tuple[PackageView, ...] = ()
    exceptions: tuple[str, ...] = ()
    ledger: LedgerEntry | None = None
    stock_short: str = ""  # "short: 2 × SKU" when stock on hand cannot fill the order (services/stock.py)
    review_flags: tuple[str, ...] = ()

    @property
    def units(self) -> int:
        return sum(line.quantity for line in self.lines)


@dataclass(frozen=True)
class SkuCostView:
    """A seller SKU for the finance input tab: its current unit cost, if one was entered."""

    seller_sku: str
    product_name: str = ""
    unit_cost: Decimal | None = None
    currency: str = ""
    effective_from: date | None = None


@dataclass(frozen=True)
class FxRateView:
    """A currency pair for the finance rates tab: its newest rate (if any) and why the team needs it."""

    pair: str
    rate: Decimal | None = None
    day: date | None = None
    source: str = ""
    needed_for: str = ""
