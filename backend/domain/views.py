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
class TrackingView:
    """What the carrier's events say about a shipped order (backend/services/tracking.py)."""

    latest: str = ""
    latest_at: datetime | None = None
    days: int | None = None  # days since it shipped, until delivery
    problem: str | None = None  # failed_delivery | returned (backend/domain/tracking.py)


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
    tracking: TrackingView | None = None
    label: str = ""  # a link to the label of its platform-shipped package (personal: it shows the address)
    carrier_list: str = ""  # the list key of the carriers its delivery option accepts (the carrier dropdown)

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


@dataclass(frozen=True)
class PurchaseLineView:
    """One item bought from a supplier, as the procurement purchase tab shows it (order-level values repeated)."""

    key: str  # "1688:3812345678901/1": platform, the supplier's order number, the line
    platform: str
    supplier: str
    supplier_order_no: str
    item_title: str = ""
    item_link: str = ""
    item_spec: str = ""
    seller_sku: str = ""
    quantity_ordered: int = 0
    quantity_received: int | None = None
    unit_price: Decimal | None = None
    currency: str = ""
    domestic_shipping: Decimal | None = None
    paid_on: date | None = None
    tracking: str = ""
    status: str = ""
    consolidation: str = ""
    warehouse: str = ""
    expected_on: date | None = None
    arrived_on: date | None = None
    weight_kg: Decimal | None = None
    volumetric_kg: Decimal | None = None
    landed_unit_cost: Decimal | None = None
    landed_note: str = ""


@dataclass(frozen=True)
class ConsolidationView:
    """One consolidated shipment for the procurement consolidations tab."""

    name: str
    forwarder: str = ""
    tracking: str = ""
    status: str = ""
    warehouse: str = ""
    expected_on: date | None = None
    arrived_on: date | None = None
    weight_kg: Decimal | None = None
    volumetric_kg: Decimal | None = None
    chargeable_kg: Decimal | None = None
    freight: Decimal | None = None
    duties: Decimal | None = None
    import_vat: Decimal | None = None
    fees: Decimal | None = None
    currency: str = ""
    paid_on: date | None = None
    duties_paid_on: date | None = None
    lines: int = 0
    units: int = 0


@dataclass(frozen=True)
class PurchasingRows:
    """The rows of the purchase and consolidation tabs (services/purchases.py builds them)."""

    lines: tuple[PurchaseLineView, ...] = ()
    consolidations: tuple[ConsolidationView, ...] = ()
