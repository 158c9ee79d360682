"""Seller Center's order export (Orders > Export, CSV) read into the same PlatformOrder the API gives.

The export differs from the API in every way that matters: one row per SKU with a Quantity (the API
sends one line item per unit), local times without a zone, money with thousands separators, human
status words, and no update time at all. This module bridges the two without touching the database,
so the import service can feed the one idempotent ingest the API sync uses. Column spellings, status
words and time formats are tables below, not branches: a new market's export is a new table entry.

A bad cell fails its order (every row of it), never the file (backend.platforms.exports).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from backend.domain.status import OrderStatus
from backend.platforms.base import (
    PlatformCancellation,
    PlatformLineItem,
    PlatformOrder,
    PlatformPayment,
    PlatformRecipient,
    PlatformSla,
    packages_from_lines,
)
from backend.platforms.exports import (
    RAW_KEY,
    CellError,
    ExportRow,
    ExportUnreadable,
    ParsedExport,
    amount,
    check_lengths,
    column_index,
    group_orders,
    local_time,
    normal,
    quantity,
    split_evenly,
)

PLATFORM = "tiktok"

# Our name for a column → the header spellings Seller Center exports use for it (VN, ID, US, UK).
COLUMNS: dict[str, tuple[str, ...]] = {
    "order_id": ("Order ID",),
    "status": ("Order Status",),
    "substatus": ("Order Substatus",),
    "sku_id": ("SKU ID",),
    "seller_sku": ("Seller SKU",),
    "product_name": ("Product Name",),
    "variation": ("Variation",),
    "quantity": ("Quantity",),
    "unit_original_price": ("SKU Unit Original Price",),
    "subtotal_before_discount": ("SKU Subtotal Before Discount",),
    "platform_discount": ("SKU Platform Discount",),
    "seller_discount": ("SKU Seller Discount",),
    "subtotal_after_discount": ("SKU Subtotal After Discount",),
    "shipping_fee": ("Shipping Fee After Discount",),
    "original_shipping_fee": ("Original Shipping Fee",),
    "taxes": ("Taxes",),
    "order_amount": ("Order Amount",),
    "created_time": ("Created Time",),
    "paid_time": ("Paid Time",),
    "rts_time": ("RTS Time",),
    "shipped_time": ("Shipped Time",),
    "delivered_time": ("Delivered Time",),
    "cancelled_time": ("Cancelled Time", "Canceled Time"),
    "cancel_by": ("Cancel By",),
    "cancel_reason": ("Cancel Reason",),
    "fulfillment_type": ("Fulfillment Type",),
    "tracking_id": ("Tracking ID",),
    "delivery_option": ("Delivery Option",),
    "shipping_provider": ("Shipping Provider Name",),
    "buyer_message": ("Buyer Message",),
    "seller_note": ("Seller Note",),
    "package_id": ("Package ID",),
    "recipient": ("Recipient",),
    "phone": ("Phone #", "Phone"),
    "country": ("Country",),
    "state": ("State", "Province"),
    "city": ("City", "Regency and City", "District"),
    "locality": ("Districts", "Commune", "Villages"),
    "postal_code": ("Zipcode", "Postcode", "Zip Code", "Postal Code"),
    "house": ("House Name or Number",),
    "street": ("Detail Address", "Street Name"),
    "address_extra": ("Additional address information",),
}
REQUIRED = ("order_id", "status", "quantity", "created_time")
MONEY_COLUMNS = (
    "unit_original_price",
    "subtotal_before_discount",
    "platform_discount",
    "seller_discount",
    "subtotal_after_discount",
    "shipping_fee",
    "original_shipping_fee",
    "taxes",
    "order_amount",
)
TIME_COLUMNS = ("created_time", "paid_time", "rts_time", "shipped_time", "delivered_time", "cancelled_time")
# Parts of the recipient's address, most specific first, as they are joined into one line.
ADDRESS_PARTS = ("house", "street", "address_extra", "locality", "city", "state", "postal_code", "country")

# Status words in exports (Order Status and Order Substatus, lower case) → API status.
STATUSES: dict[str, OrderStatus] = {
    "unpaid": OrderStatus.UNPAID,
    "awaiting payment": OrderStatus.UNPAID,
    "on hold": OrderStatus.ON_HOLD,
    "to ship": OrderStatus.AWAITING_SHIPMENT,
    "awaiting shipment": OrderStatus.AWAITING_SHIPMENT,
    "partially shipped": OrderStatus.PARTIALLY_SHIPPING,
    "partially shipping": OrderStatus.PARTIALLY_SHIPPING,
    "awaiting collection": OrderStatus.AWAITING_COLLECTION,
    "shipped": OrderStatus.IN_TRANSIT,
    "in transit": OrderStatus.IN_TRANSIT,
    "delivered": OrderStatus.DELIVERED,
    "completed": OrderStatus.COMPLETED,
    "cancelled": OrderStatus.CANCELLED,
    "canceled": OrderStatus.CANCELLED,
}
# A substatus refines its status ("To ship" / "Awaiting collection"), except after these.
FINAL_STATUSES = frozenset({OrderStatus.CANCELLED, OrderStatus.COMPLETED})
# Export column → where its text is kept ("table.column"): a longer cell fails its row, the rest imports.
KEPT_IN = {
    "sku_id": "order_lines.sku_id",
    "seller_sku": "order_lines.seller_sku",
    "product_name": "order_lines.product_name",
    "variation": "order_lines.sku_name",
    "package_id": "packages.external_id",
    "tracking_id": "order_lines.tracking_number",
    "shipping_provider": "order_lines.shipping_provider_name",
    "cancel_reason": "orders.cancel_reason",
    "delivery_option": "orders.delivery_option_name",
    "recipient": "orders.recipient_name",
    "phone": "orders.recipient_phone",
    "postal_code": "orders.recipient_postal_code",
}
FULFILLMENT_TYPES = {
    "fulfillment by seller": "FULFILLMENT_BY_SELLER",
    "fulfilled by seller": "FULFILLMENT_BY_SELLER",
    "fulfillment by tiktok": "FULFILLMENT_BY_TIKTOK",
    "fulfilled by tiktok": "FULFILLMENT_BY_TIKTOK",
}
CANCEL_INITIATORS = {"buyer": "BUYER", "seller": "SELLER", "system": "SYSTEM", "operator": "OPERATOR"}

# Local time formats; which of day/month comes first is decided once per file (see _day_first).
MONTH_FIRST_FORMATS = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M")
DAY_FIRST_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %I:%M:%S %p", "%d/%m/%Y %H:%M", "%d/%m/%Y %I:%M %p")
ISO_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M")

_SLASH_DATE = re.compile(r"\s*([0-9]{1,2})/([0-9]{1,2})/[0-9]{4}")
_ORDER_ID = re.compile(r"[0-9]{6,24}")
_SCIENTIFIC = re.compile(r"[0-9](?:\.[0-9]+)?[eE]\+[0-9]+")
_XLSX_MAGIC = b"PK\x03\x04"


# (line number, our column name → cell, the export's header → cell)
_Named = tuple[int, dict[str, str], dict[str, str]]


def read_export(source: str | Path | IO[str] | IO[bytes]) -> tuple[list[str], list[list[str]]]:
    """The header and the records of a CSV export (a path or an open file, text or bytes)."""
    name = str(source) if isinstance(source, str | Path) else getattr(source, "name", "the file")
    if isinstance(source, str | Path):
        try:
            data: str | bytes = Path(source).read_bytes()
        except OSError as exc:
            raise ExportUnreadable(f"cannot read {name}: {exc.strerror or exc}") from None
    else:
        data = source.read()
    if isinstance(data, bytes):
        if data.startswith(_XLSX_MAGIC):
            raise ExportUnreadable(f"{name} is an Excel workbook; export the orders as CSV instead")
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ExportUnreadable(
                f"{name} is not UTF-8 text (byte {exc.start}); save it as 'CSV UTF-8' and try again"
            ) from None
    try:
        records = list(csv.reader(io.StringIO(data.removeprefix("\ufeff"), newline="")))
    except csv.Error as exc:
        raise ExportUnreadable(f"{name} is not a readable CSV file: {exc}") from None
    if not records:
        raise ExportUnreadable(f"{name} is empty")
    return records[0], records[1:]


def _column_index(header: Sequence[str]) -> dict[str, int]:
    """Our column name → its position; refuses a file that lacks what an order needs."""
    index = column_index(header, COLUMNS)
    missing = [COLUMNS[name][0] for name in REQUIRED if name not in index]
    if "sku_id" not in index and "seller_sku" not in index:
        missing.append("SKU ID")
    if missing:
        raise ExportUnreadable(f"not a Seller Center order export: no column {', '.join(map(repr, missing))}")
    return index


def _day_first(values: Iterable[str]) -> bool:
    """Whether dates read day/month: most cells with a part above 12 decide; else AM/PM clocks mean US month/day."""
    day_first = month_first = 0
    twelve_hour = False
    for value in values:
        match = _SLASH_DATE.match(value)
        if match is None:
            continue
        first, second = int(match[1]), int(match[2])
        day_first += first > 12 >= second
        month_first += second > 12 >= first
        twelve_hour = twelve_hour or value.rstrip().upper().endswith(("AM", "PM"))
    return day_first > month_first if day_first != month_first else not twelve_hour


def _order_id(value: str) -> str:
    text = value.strip().lstrip("'").strip()
    if _ORDER_ID.fullmatch(text):
        return text
    if _SCIENTIFIC.fullmatch(text):
        raise CellError(
            f"Order ID {value.strip()!r} was rounded by a spreadsheet program; "
            "use the file exactly as Seller Center exported it"
        )
    raise CellError(f"Order ID {value.strip()!r} is not an order id" if text else "Order ID is empty")


def _status(status: str, substatus: str) -> OrderStatus:
    main = STATUSES.get(normal(status))
    if main is None:
        raise CellError(f"Order Status {status.strip()!r} is not a status this importer knows")
    finer = STATUSES.get(normal(substatus))
    return finer if finer and main not in FINAL_STATUSES else main


def _row(
    line: int,
    cells: dict[str, str],
    raw: dict[str, str],
    zone: ZoneInfo,
    formats: Sequence[str],
    *,
    max_lengths: Mapping[str, int],
) -> ExportRow:
    """Check and convert one row; raises CellError naming the first bad cell."""
    order_id = _order_id(cells.get("order_id", ""))
    check_lengths(cells, KEPT_IN, max_lengths, COLUMNS)
    if not (cells.get("sku_id", "").strip() or cells.get("seller_sku", "").strip()):
        raise CellError("SKU ID and Seller SKU are both empty")
    status = _status(cells.get("status", ""), cells.get("substatus", ""))
    units = quantity(cells.get("quantity", ""))
    money = {name: amount(cells.get(name, ""), COLUMNS[name][0]) for name in MONEY_COLUMNS}
    times = {name: local_time(cells.get(name, ""), COLUMNS[name][0], zone, formats) for name in TIME_COLUMNS}
    if times["created_time"] is None:
        raise CellError("Created Time is empty")
    return ExportRow(line, cells, raw, order_id, status, units, money, times)


def _line_items(order_id: str, rows: Sequence[ExportRow], currency: str) -> list[PlatformLineItem]:
    """One item per unit with ids `csv:<order>:<sku>:<n>`, stable across imports of the same export."""
    items: list[PlatformLineItem] = []
    counts: dict[str, int] = {}
    for row in rows:
        sku_id, seller_sku = row.text("sku_id").strip(), row.text("seller_sku").strip()
        key = sku_id or seller_sku
        shares = {
            name: split_evenly(abs(row.money[name]), row.quantity)
            for name in ("subtotal_after_discount", "seller_discount", "platform_discount")
        }
        cancelled = row.status == "CANCELLED"
        for unit in range(row.quantity):
            counts[key] = counts.get(key, 0) + 1
            items.append(
                PlatformLineItem(
                    line_id=f"csv:{order_id}:{key}:{counts[key]}",
                    sku_id=sku_id,
                    product_id="",
                    product_name=row.text("product_name").strip(),
                    sku_name=row.text("variation").strip(),
                    seller_sku=seller_sku,
                    currency=currency,
                    original_price=row.money["unit_original_price"],
                    sale_price=shares["subtotal_after_discount"][unit],
                    seller_discount=shares["seller_discount"][unit],
                    platform_discount=shares["platform_discount"][unit],
                    display_status=row.status,
                    package_id=row.text("package_id").strip() or None,
                    tracking_number=row.text("tracking_id").strip() or None,
                    shipping_provider_name=row.text("shipping_provider").strip() or None,
                    cancel_reason=(row.text("cancel_reason").strip() or None) if cancelled else None,
                    cancel_user=_initiator(row.text("cancel_by")) or None if cancelled else None,
                    is_gift=False,
                )
            )
    return items


def _initiator(value: str) -> str:
    text = value.strip()
    return CANCEL_INITIATORS.get(text.casefold(), text.upper())


def _recipient(row: ExportRow) -> PlatformRecipient | None:
    """Personal data: the export's address columns, whatever the market calls them."""
    parts = {name: " ".join(row.text(name).split()) for name in ADDRESS_PARTS}
    name, phone = row.text("recipient").strip(), row.text("phone").strip()
    if not (name or phone or any(value for key, value in parts.items() if key != "country")):
        return None  # unpaid and on-hold orders carry no address, though the export may name the country
    country = parts["country"]
    return PlatformRecipient(
        name=name,
        first_name="",
        last_name="",
        phone_number=phone,
        full_address=", ".join(value for value in parts.values() if value),
        address_lines=tuple(parts[k] for k in ("house", "street", "address_extra") if parts[k]),
        postal_code=parts["postal_code"],
        region_code=country.upper() if len(country) == 2 and country.isalpha() else "",
        city=parts["city"],
        state=parts["state"],
    )


def _order(rows: Sequence[ExportRow], currency: str) -> PlatformOrder:
    """One order from its rows; order-level cells (status, times, shipping, total) come from its first row."""
    first = rows[0]
    items = _line_items(first.order_id, rows, currency)
    times = first.times
    created = times["created_time"]
    assert created is not None
    cancel_time = times["cancelled_time"]
    cancellation = None
    if first.status == "CANCELLED" or first.text("cancel_reason").strip() or cancel_time:
        cancellation = PlatformCancellation(
            reason=first.text("cancel_reason").strip(),
            initiator=_initiator(first.text("cancel_by")),
            cancel_time=cancel_time,
            is_buyer_request_cancel=False,
            request_cancel_time=None,
        )

    def total(name: str) -> Decimal:
        return sum((abs(row.money[name]) for row in rows), Decimal(0))

    return PlatformOrder(
        platform=PLATFORM,
        order_id=first.order_id,
        status=first.status,
        create_time=created,
        # The export has no update time: the latest milestone it shows is when the order last moved.
        update_time=max(t for t in times.values() if t is not None),
        paid_time=times["paid_time"],
        rts_time=times["rts_time"],
        collection_time=times["shipped_time"],
        delivery_time=times["delivered_time"],
        is_on_hold=first.status == "ON_HOLD",
        buyer_user_id="",
        buyer_message=first.text("buyer_message").strip(),
        seller_note=first.text("seller_note").strip(),
        fulfillment_type=FULFILLMENT_TYPES.get(
            normal(first.text("fulfillment_type")), first.text("fulfillment_type").strip()
        ),
        shipping_type="",
        delivery_option_name=first.text("delivery_option").strip(),
        warehouse_id="",
        split_or_combine_tag="",
        payment=PlatformPayment(
            currency=currency,
            sub_total=total("subtotal_after_discount"),
            shipping_fee=first.money["shipping_fee"],
            seller_discount=total("seller_discount"),
            platform_discount=total("platform_discount"),
            tax=first.money["taxes"],
            total_amount=first.money["order_amount"],
            original_total_product_price=total("subtotal_before_discount"),
            original_shipping_fee=first.money["original_shipping_fee"],
        ),
        sla=PlatformSla(),
        line_items=tuple(items),
        packages=packages_from_lines(items),
        cancellation=cancellation,
        recipient=_recipient(first),
        raw={RAW_KEY: [row.raw for row in rows]},
    )


def parse_export(
    source: str | Path | IO[str] | IO[bytes],
    *,
    time_zone: str,
    currency: str,
    day_first: bool | None = None,
    max_lengths: Mapping[str, int] | None = None,
) -> ParsedExport:
    """Orders and bad rows of an export whose times are in `time_zone` and amounts in `currency`.

    `day_first` forces how 03/04/2026 reads; by default the file itself decides (see _day_first).
    `max_lengths` ("table.column" → characters) fails a row whose cell is longer than where it is kept.
    Raises ExportUnreadable only when the file as a whole cannot be read.
    """
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ExportUnreadable(f"the shop's time zone {time_zone!r} is unknown") from None
    header, records = read_export(source)
    index = _column_index(header)
    named: list[_Named] = []
    for number, record in enumerate(records, start=2):
        if not any(cell.strip() for cell in record):
            continue
        cells = {name: record[i] if i < len(record) else "" for name, i in index.items()}
        # The export's own spelling of every column is kept as the order's raw payload.
        named.append((number, cells, dict(zip(header, record, strict=False))))
    if named and named[0][0] == 2 and not _loose_order_id(named[0][1]["order_id"]):
        named = named[1:]  # US/UK exports describe each column in a second header row
    if day_first is None:
        day_first = _day_first(cells[name] for _, cells, _ in named for name in TIME_COLUMNS if name in cells)
    formats = (DAY_FIRST_FORMATS if day_first else MONTH_FIRST_FORMATS) + ISO_FORMATS
    return _group(named, zone, formats, currency, max_lengths or {})


def _group(
    named: Sequence[_Named], zone: ZoneInfo, formats: Sequence[str], currency: str, max_lengths: Mapping[str, int]
) -> ParsedExport:
    """Rows grouped by order id in file order; one bad row keeps its whole order out."""
    rows = [(line, _loose_order_id(cells["order_id"]), raw, cells) for line, cells, raw in named]
    orders, errors = group_orders(
        rows,
        lambda line, cells, raw: _row(line, cells, raw, zone, formats, max_lengths=max_lengths),
        lambda row: row.order_id,
        lambda rows: _order(rows, currency),
    )
    return ParsedExport(orders, errors, len(named))


def _loose_order_id(value: str) -> str:
    text = value.strip().lstrip("'").strip()
    return text if _ORDER_ID.fullmatch(text) else ""
