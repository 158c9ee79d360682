"""Shopee Seller Centre's order export (My Orders > Export, an .xlsx workbook) read into PlatformOrders.

Like TikTok's export it has one row per SKU with a Quantity, local times without a zone and status
words, no update time and no model ids; column spellings differ by the seller centre's language (the
English and Indonesian ones are listed). Read with openpyxl (read-only, values not formulas); a bad
cell fails its order, never the file (backend.platforms.exports).
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

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

PLATFORM = "shopee"
COLUMNS: dict[str, tuple[str, ...]] = {
    "order_id": ("Order ID", "No. Pesanan"),
    "status": ("Order Status", "Status Pesanan"),
    "created_time": ("Order Creation Date", "Waktu Pesanan Dibuat"),
    "paid_time": ("Order Paid Time", "Waktu Pembayaran Dilakukan"),
    "ship_time": ("Ship Time", "Waktu Pengiriman Diatur"),
    "complete_time": ("Order Complete Time", "Waktu Pesanan Selesai"),
    "sku": ("SKU Reference No.", "Nomor Referensi SKU"),
    "parent_sku": ("Parent SKU Reference No.", "SKU Induk"),
    "product_name": ("Product Name", "Nama Produk"),
    "variation": ("Variation Name", "Nama Variasi"),
    "original_price": ("Original Price", "Harga Awal"),
    "deal_price": ("Deal Price", "Harga Setelah Diskon"),
    "quantity": ("Quantity", "Jumlah"),
    "tracking": ("Tracking Number*", "Tracking Number", "No. Resi"),
    "shipping_option": ("Shipping Option", "Opsi Pengiriman"),
    "buyer_paid_shipping": ("Buyer Paid Shipping Fee", "Ongkos Kirim Dibayar oleh Pembeli"),
    "grand_total": ("Grand Total", "Total Pembayaran"),
    "buyer_message": ("Remark from buyer", "Catatan dari Pembeli"),
    "note": ("Note", "Catatan"),
    "cancel_reason": ("Cancel reason", "Alasan Pembatalan"),
    "recipient": ("Receiver Name", "Nama Penerima"),
    "phone": ("Phone Number", "No. Telepon"),
    "address": ("Delivery Address", "Alamat Pengiriman"),
    "city": ("City", "Kota/Kabupaten"),
    "state": ("Province", "Provinsi"),
    "postal_code": ("Zip Code", "Kode Pos"),
    "country": ("Country", "Negara"),
}
# Our column → where its text is kept ("table.column"): a longer cell fails its row, the rest imports.
KEPT_IN = {
    "sku": "order_lines.seller_sku",
    "parent_sku": "order_lines.seller_sku",
    "product_name": "order_lines.product_name",
    "variation": "order_lines.sku_name",
    "tracking": "order_lines.tracking_number",
    "shipping_option": "order_lines.shipping_provider_name",
    "cancel_reason": "orders.cancel_reason",
    "recipient": "orders.recipient_name",
    "phone": "orders.recipient_phone",
    "postal_code": "orders.recipient_postal_code",
}
REQUIRED = ("order_id", "status", "quantity", "created_time", "sku")
MONEY = ("original_price", "deal_price", "buyer_paid_shipping", "grand_total")
TIMES = ("created_time", "paid_time", "ship_time", "complete_time")
FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%d-%m-%Y %H:%M", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S")
# Seller Centre's tabs, as the export's Order Status words (English, Indonesian) → OrderDeck's statuses.
STATUSES: dict[str, OrderStatus] = {
    "unpaid": OrderStatus.UNPAID,
    "belum bayar": OrderStatus.UNPAID,
    "to ship": OrderStatus.AWAITING_SHIPMENT,
    "perlu dikirim": OrderStatus.AWAITING_SHIPMENT,
    "shipping": OrderStatus.IN_TRANSIT,
    "dikirim": OrderStatus.IN_TRANSIT,
    "to receive": OrderStatus.IN_TRANSIT,
    "delivered": OrderStatus.DELIVERED,
    "completed": OrderStatus.COMPLETED,
    "selesai": OrderStatus.COMPLETED,
    "cancelled": OrderStatus.CANCELLED,
    "batal": OrderStatus.CANCELLED,
}


def _cell(value: object) -> str:
    """A cell as text; numbers as written (no float noise), dates in the file's own local form."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f")
    return str(value)


def read_workbook(source: str | Path | IO[str] | IO[bytes]) -> tuple[list[str], list[list[str]]]:
    """The header and records of the first sheet, every cell as text."""
    name = str(source) if isinstance(source, str | Path) else getattr(source, "name", "the file")
    try:
        workbook = load_workbook(source, read_only=True, data_only=True)  # type: ignore[arg-type]
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, InvalidFileException) as exc:
        raise ExportUnreadable(f"{name} is not an Excel workbook (.xlsx) as Seller Centre exports: {exc}") from None
    try:
        sheet = workbook.worksheets[0]
        records = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()
    if not records:
        raise ExportUnreadable(f"{name} is empty")
    return records[0], records[1:]


def _order_id(value: str) -> str:
    text = value.strip()
    if not text.isalnum() or not 8 <= len(text) <= 32:
        raise CellError(f"Order ID {value.strip()!r} is not an order number" if text else "Order ID is empty")
    return text.upper()


def _row(
    line: int, cells: dict[str, str], raw: dict[str, str], zone: ZoneInfo, max_lengths: Mapping[str, int]
) -> ExportRow:
    order_id = _order_id(cells.get("order_id", ""))
    check_lengths(cells, KEPT_IN, max_lengths, COLUMNS)
    status = STATUSES.get(normal(cells.get("status", "")))
    if status is None:
        raise CellError(f"Order Status {cells.get('status', '').strip()!r} is not a status this importer knows")
    if not (cells.get("sku", "").strip() or cells.get("parent_sku", "").strip()):
        raise CellError("SKU Reference No. and Parent SKU Reference No. are both empty")
    units = quantity(cells.get("quantity", ""))
    money = {name: amount(cells.get(name, ""), COLUMNS[name][0]) for name in MONEY}
    times = {name: local_time(cells.get(name, ""), COLUMNS[name][0], zone, FORMATS) for name in TIMES}
    if times["created_time"] is None:
        raise CellError("Order Creation Date is empty")
    return ExportRow(line, cells, raw, order_id, status, units, money, times)


def _units(row: ExportRow, counts: dict[str, int], currency: str) -> list[PlatformLineItem]:
    sku = row.text("sku").strip() or row.text("parent_sku").strip()
    deal = row.money["deal_price"] or row.money["original_price"]
    items = []
    for share in split_evenly(deal * row.quantity, row.quantity):
        counts[sku] = counts.get(sku, 0) + 1
        items.append(
            PlatformLineItem(
                line_id=f"xlsx:{row.order_id}:{sku}:{counts[sku]}",
                sku_id="",
                product_id="",
                product_name=row.text("product_name").strip(),
                sku_name=row.text("variation").strip(),
                seller_sku=sku,
                currency=currency,
                original_price=row.money["original_price"],
                sale_price=share,
                seller_discount=row.money["original_price"] - share,
                platform_discount=Decimal(0),
                display_status=OrderStatus.AWAITING_SHIPMENT if row.status == OrderStatus.ON_HOLD else row.status,
                package_id=f"xlsx:{row.order_id}" if row.text("tracking").strip() else None,
                tracking_number=row.text("tracking").strip() or None,
                shipping_provider_name=row.text("shipping_option").strip() or None,
                cancel_reason=None,
                cancel_user=None,
                is_gift=False,
            )
        )
    return items


def _order(rows: Sequence[ExportRow], currency: str) -> PlatformOrder:
    """One order from its rows; order-level cells (status, times, totals, address) from its first row."""
    first = rows[0]
    counts: dict[str, int] = {}
    items = [unit for row in rows for unit in _units(row, counts, currency)]
    times = first.times
    created = times["created_time"]
    assert created is not None
    original = sum((u.original_price for u in items), Decimal(0))
    sub_total = sum((u.sale_price for u in items), Decimal(0))
    address = {k: first.text(k).strip() for k in ("recipient", "phone", "address", "city", "state", "postal_code")}
    cancelled = first.status == OrderStatus.CANCELLED
    return PlatformOrder(
        platform=PLATFORM,
        order_id=first.order_id,
        status=first.status,
        create_time=created,
        # The export has no update time: the latest milestone it shows is when the order last moved.
        update_time=max(t for t in times.values() if t is not None),
        paid_time=times["paid_time"],
        rts_time=None,
        collection_time=times["ship_time"],
        delivery_time=None,
        is_on_hold=False,
        buyer_user_id="",
        buyer_message=first.text("buyer_message").strip(),
        seller_note=first.text("note").strip(),
        fulfillment_type="",
        shipping_type="",
        delivery_option_name=first.text("shipping_option").strip(),
        warehouse_id="",
        split_or_combine_tag="",
        payment=PlatformPayment(
            currency=currency,
            sub_total=sub_total,
            shipping_fee=first.money["buyer_paid_shipping"],
            seller_discount=original - sub_total,
            platform_discount=Decimal(0),
            tax=Decimal(0),
            total_amount=first.money["grand_total"],
            original_total_product_price=original,
            original_shipping_fee=first.money["buyer_paid_shipping"],
        ),
        sla=PlatformSla(),
        line_items=tuple(items),
        packages=packages_from_lines(items),
        cancellation=PlatformCancellation(first.text("cancel_reason").strip(), "", None, False, None)
        if cancelled
        else None,
        recipient=(
            PlatformRecipient(
                name=address["recipient"],
                first_name="",
                last_name="",
                phone_number=address["phone"],
                full_address=address["address"],
                address_lines=(),
                postal_code=address["postal_code"],
                region_code=first.text("country").strip().upper() if len(first.text("country").strip()) == 2 else "",
                city=address["city"],
                state=address["state"],
            )
            if any(address.values())
            else None
        ),
        raw={RAW_KEY: [row.raw for row in rows]},
    )


def parse_export(
    source: str | Path | IO[str] | IO[bytes],
    *,
    time_zone: str,
    currency: str,
    max_lengths: Mapping[str, int] | None = None,
) -> ParsedExport:
    """Orders and bad rows of an export whose times are in `time_zone` and amounts in `currency`;
    `max_lengths` ("table.column" → characters) fails a row whose cell is longer than where it is kept."""
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ExportUnreadable(f"the shop's time zone {time_zone!r} is unknown") from None
    header, records = read_workbook(source)
    index = column_index(header, COLUMNS)
    missing = [COLUMNS[name][0] for name in REQUIRED if name not in index]
    if missing:
        raise ExportUnreadable(f"not a Shopee Seller Centre order export: no column {', '.join(map(repr, missing))}")
    rows = []
    for number, record in enumerate(records, start=2):
        if not any(cell.strip() for cell in record):
            continue
        cells = {name: record[i] if i < len(record) else "" for name, i in index.items()}
        loose = cells["order_id"].strip().upper()
        rows.append((number, loose if loose.isalnum() else "", dict(zip(header, record, strict=False)), cells))
    orders, errors = group_orders(
        rows,
        lambda line, cells, raw: _row(line, cells, raw, zone, max_lengths or {}),
        lambda row: row.order_id,
        lambda found: _order(found, currency),
    )
    return ParsedExport(orders, errors, len(rows))
