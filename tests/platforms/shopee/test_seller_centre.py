"""Shopee Seller Centre's .xlsx order export read into the orders the API gives, bad rows reported."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from backend.domain.status import OrderStatus
from backend.platforms.exports import RAW_KEY, ExportUnreadable
from backend.platforms.shopee.seller_centre import parse_export
from backend.services.csv_import import KEPT_LENGTHS

HEADER = [
    "Order ID", "Order Status", "Tracking Number*", "Shipping Option", "Order Creation Date", "Order Paid Time",
    "Ship Time", "Parent SKU Reference No.", "Product Name", "SKU Reference No.", "Variation Name",
    "Original Price", "Deal Price", "Quantity", "Buyer Paid Shipping Fee", "Grand Total", "Remark from buyer",
    "Receiver Name", "Phone Number", "Delivery Address", "City", "Province", "Zip Code",
]  # fmt: skip


def workbook(rows: list[list[object]], header: list[str] = HEADER) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    for values in rows:
        sheet.append(values)
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # buyer text that looks like a formula is text in Seller Centre's file
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


def row(order: str = "240315ABCD1234", **cells: object) -> list[object]:
    values: dict[str, object] = {
        "Order ID": order, "Order Status": "To ship", "Shipping Option": "Shopee Xpress",
        "Order Creation Date": "2024-03-15 14:32", "Order Paid Time": datetime(2024, 3, 15, 14, 40),
        "Parent SKU Reference No.": "MY-SP01", "Product Name": "Tee", "SKU Reference No.": "MY-SP01-L",
        "Variation Name": "Size L", "Original Price": 59.9, "Deal Price": "49.90", "Quantity": 2,
        "Buyer Paid Shipping Fee": "4.90", "Grand Total": "104.70", "Remark from buyer": "=IMPORTXML(x)",
        "Receiver Name": "Aisyah", "Phone Number": "60123456789", "Delivery Address": "1 Jalan Ampang",
        "City": "Kuala Lumpur", "Province": "Wilayah Persekutuan", "Zip Code": "50450",
    }  # fmt: skip
    values.update({k.replace("_", " "): v for k, v in cells.items()})
    return [values.get(h, "") for h in HEADER]


def test_an_export_reads_like_the_api_one_unit_per_line_in_the_shops_zone() -> None:
    second = row(**{"SKU Reference No.": "MY-SP02-S", "Quantity": "1", "Deal Price": "19"})
    parsed = parse_export(workbook([row(), second]), time_zone="Asia/Kuala_Lumpur", currency="MYR")

    [order] = parsed.orders
    assert (order.platform, order.order_id, order.status) == ("shopee", "240315ABCD1234", OrderStatus.AWAITING_SHIPMENT)
    assert order.create_time == datetime(2024, 3, 15, 6, 32, tzinfo=UTC)  # 14:32 in Kuala Lumpur
    assert order.paid_time == datetime(2024, 3, 15, 6, 40, tzinfo=UTC)
    assert [(u.seller_sku, u.sale_price) for u in order.line_items] == [
        ("MY-SP01-L", Decimal("49.90")), ("MY-SP01-L", Decimal("49.90")), ("MY-SP02-S", Decimal(19))
    ]  # fmt: skip
    assert order.line_items[0].original_price == Decimal("59.9")
    assert order.payment.total_amount == Decimal("104.70") and order.buyer_message == "=IMPORTXML(x)"
    assert order.recipient is not None and order.recipient.city == "Kuala Lumpur"
    assert len(order.raw[RAW_KEY]) == 2


def test_a_bad_cell_fails_its_order_with_the_line_and_the_rest_imports() -> None:
    rows = [
        row(),
        row("240315BADQTY01", Quantity="two"),
        row("240315BADQTY01"),
        row("240316OKAY0001", **{"Order Status": "Completed"}),
    ]
    parsed = parse_export(workbook(rows), time_zone="Asia/Kuala_Lumpur", currency="MYR")

    assert [o.order_id for o in parsed.orders] == ["240315ABCD1234", "240316OKAY0001"]
    assert [(e.line, e.order_id) for e in parsed.errors] == [(3, "240315BADQTY01"), (4, "240315BADQTY01")]
    assert "Quantity 'two'" in parsed.errors[0].message and "line 3" in parsed.errors[1].message


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"Order ID,Order Status\n1,To ship\n", "not an Excel workbook"),
        (workbook([], header=["Order ID", "Status"]).read(), "no column 'Order Status'"),
    ],
)
def test_a_file_that_is_not_a_seller_centre_export_is_refused_whole(content: bytes, message: str) -> None:
    with pytest.raises(ExportUnreadable, match=message):
        parse_export(io.BytesIO(content), time_zone="UTC", currency="MYR")


def test_a_path_on_disk_reads_too(tmp_path: Path) -> None:
    path = tmp_path / "Order.all.20240315.xlsx"
    path.write_bytes(workbook([row()]).read())
    assert len(parse_export(path, time_zone="UTC", currency="MYR").orders) == 1


def test_a_cell_longer_than_where_it_is_kept_fails_its_order_by_line_and_the_rest_imports() -> None:
    limit = KEPT_LENGTHS["order_lines.product_name"]
    rows = [row(), row("240316LONG0001", **{"Product Name": "T" * (limit + 1)})]
    parsed = parse_export(workbook(rows), time_zone="Asia/Kuala_Lumpur", currency="MYR", max_lengths=KEPT_LENGTHS)

    assert [o.order_id for o in parsed.orders] == ["240315ABCD1234"]
    [error] = parsed.errors
    assert error.line == 3 and error.order_id == "240316LONG0001"
    assert error.message == f"Product Name has {limit + 1:,} characters; OrderDeck keeps at most {limit}"
