"""Reading Seller Center order exports: both header styles, local times, per-unit lines, bad rows by line."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from random import Random
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from backend.platforms.exports import RAW_KEY, ExportUnreadable, ParsedExport
from backend.platforms.tiktok.seller_center import STATUSES, parse_export

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "seller_center"
US_FILE, VN_FILE = FIXTURES / "us_orders.csv", FIXTURES / "vn_orders.csv"
VN_HEADER = next(csv.reader(io.StringIO(VN_FILE.read_text(encoding="utf-8"))))


SPREADSHEET_ADVICE = "use the file exactly as Seller Center exported it"


def us() -> ParsedExport:
    return parse_export(US_FILE, time_zone="America/Los_Angeles", currency="USD")


def vn() -> ParsedExport:
    return parse_export(VN_FILE, time_zone="Asia/Ho_Chi_Minh", currency="VND")


def export(rows: list[dict[str, str]], header: list[str] = VN_HEADER) -> io.StringIO:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([[row.get(column, "") for column in header] for row in rows])
    out.seek(0)
    return out


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def test_us_export_with_bom_description_row_and_decorated_ids_gives_api_shaped_orders() -> None:
    parsed = us()
    orders = {o.order_id: o for o in parsed.orders}
    assert list(orders) == [f"57600000000000000{n}" for n in (1, 2, 3, 4)]

    first = orders["576000000000000001"]
    assert first.status == "AWAITING_SHIPMENT"
    assert first.create_time == at(2026, 11, 23, 18, 15, 32)  # 10:15:32 AM in Los Angeles (PST)
    assert first.update_time == first.paid_time == at(2026, 11, 23, 18, 16, 1)
    assert first.quantities() == {"1729000000000000011": 2, "1729000000000000012": 1}
    assert [item.line_id for item in first.line_items] == [
        "csv:576000000000000001:1729000000000000011:1",
        "csv:576000000000000001:1729000000000000011:2",
        "csv:576000000000000001:1729000000000000012:1",
    ]
    assert [item.sale_price for item in first.line_items] == [Decimal("17.99"), Decimal("17.99"), Decimal("12.50")]
    assert [item.seller_discount for item in first.line_items] == [Decimal("2.00"), Decimal("2.00"), Decimal("0")]
    pay = first.payment
    assert (pay.currency, pay.sub_total, pay.tax, pay.total_amount) == (
        "USD",
        Decimal("48.48"),
        Decimal("3.89"),
        Decimal("52.37"),
    )
    assert first.buyer_message == 'Please gift wrap =IMPORTXML("x")'
    assert first.fulfillment_type == "FULFILLMENT_BY_SELLER"
    assert first.recipient is not None
    assert (first.recipient.name, first.recipient.city, first.recipient.state, first.recipient.postal_code) == (
        "Jane Doe",
        "Los Angeles",
        "California",
        "90012",
    )
    assert first.recipient.full_address == "Apt 4, 200 N Spring St, Los Angeles, California, 90012, United States"
    assert first.raw[RAW_KEY][0]["Seller SKU"] == "TSHIRT-RED-L"  # the export's own header spelling


def test_quantity_becomes_one_line_item_per_unit_and_the_cents_still_add_up() -> None:
    shipped = next(o for o in us().orders if o.order_id == "576000000000000002")
    assert shipped.status == "IN_TRANSIT"
    assert [item.sale_price for item in shipped.line_items] == [Decimal("9.66"), Decimal("9.66"), Decimal("9.65")]
    assert sum(item.sale_price for item in shipped.line_items) == shipped.payment.sub_total == Decimal("28.97")
    assert {item.original_price for item in shipped.line_items} == {Decimal("9.99")}
    assert shipped.update_time == shipped.collection_time == at(2026, 11, 22, 0, 12, 9)  # Shipped Time, 4:12 PM
    [package] = shipped.packages
    assert package.package_id == "1153000000000000002"
    assert (package.tracking_number, package.shipping_provider_name) == ("9400111899223344556677", "USPS")
    assert len(package.line_ids) == 3


def test_cancelled_and_completed_orders_keep_their_reason_milestones_and_money() -> None:
    orders = {o.order_id: o for o in us().orders}
    cancelled = orders["576000000000000003"]
    assert cancelled.status == "CANCELLED"
    assert cancelled.cancellation is not None
    assert (cancelled.cancellation.initiator, cancelled.cancellation.reason) == ("BUYER", "No longer needed")
    assert cancelled.update_time == cancelled.cancellation.cancel_time == at(2026, 11, 23, 8, 40)
    assert cancelled.recipient is None  # only the country: nobody to ship to
    completed = orders["576000000000000004"]
    assert completed.status == "COMPLETED"
    assert completed.delivery_time == completed.update_time == at(2026, 11, 7, 22, 30)
    assert completed.payment.total_amount == Decimal("1148.66")  # "1,148.66"
    assert completed.line_items[0].original_price == Decimal("1099.00")  # "$1,099.00"
    assert completed.payment.platform_discount == Decimal("50.00")


def test_bad_rows_are_named_by_the_line_a_spreadsheet_shows_and_fail_only_their_order() -> None:
    assert [(e.line, e.message) for e in us().errors] == [
        (9, "Quantity 'two' is not a whole number"),
        (10, "order 576000000000000006 not imported: line 11 of it is bad"),
        (11, "Paid Time '23/11/2026 14:01:00' is not a date and time"),
        (12, "Order Amount '12.3O' is not an amount"),
        (13, "Order ID '5.76E+17' was rounded by a spreadsheet program; " + SPREADSHEET_ADVICE),
    ]


def test_vn_export_reads_day_first_local_times_in_dong_and_a_finer_substatus() -> None:
    parsed = vn()
    [ready, unpaid] = parsed.orders
    assert ready.status == "AWAITING_COLLECTION"  # "To ship" / "Awaiting collection"
    assert ready.create_time == at(2026, 11, 23, 3, 15, 32)  # 23/11 10:15:32 in Ho Chi Minh City (UTC+7)
    assert ready.rts_time == ready.update_time == at(2026, 11, 24, 2, 0)
    assert ready.quantities() == {"1730000000000000001": 4}
    assert [item.sale_price for item in ready.line_items] == [Decimal(147500)] * 4
    assert (ready.payment.currency, ready.payment.total_amount, ready.payment.shipping_fee) == (
        "VND",
        Decimal(605000),
        Decimal(15000),
    )
    assert ready.recipient is not None and ready.recipient.city == "Quận 7"
    assert ready.recipient.state == "Hồ Chí Minh"
    assert ready.seller_note == "Khách quen"
    assert unpaid.status == "UNPAID" and unpaid.recipient is None
    assert unpaid.payment.total_amount == Decimal(1250000)
    assert [(e.line, e.message) for e in parsed.errors] == [
        (4, "Created Time '31/02/2026 10:00:00' is not a date and time")
    ]


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("UTC", at(2026, 6, 1, 9, 30)),
        ("Asia/Ho_Chi_Minh", at(2026, 6, 1, 2, 30)),
        ("Europe/London", at(2026, 6, 1, 8, 30)),
    ],
)
def test_export_times_are_read_in_the_shops_time_zone(zone: str, expected: datetime) -> None:
    rows = [
        {
            "Order ID": "579100000000000009",
            "Order Status": "Unpaid",
            "SKU ID": "1",
            "Quantity": "1",
            "Created Time": "01/06/2026 09:30:00",
        }
    ]
    [order] = parse_export(export(rows), time_zone=zone, currency="USD").orders
    assert order.create_time == expected


def test_ambiguous_dates_follow_the_clock_style_unless_told() -> None:
    row = {"Order ID": "576000000000000010", "Order Status": "Unpaid", "SKU ID": "1", "Quantity": "1"}
    twelve_hour = export([{**row, "Created Time": "03/04/2026 10:00:00 PM"}])
    assert parse_export(twelve_hour, time_zone="UTC", currency="USD").orders[0].create_time == at(2026, 3, 4, 22)
    twenty_four = export([{**row, "Created Time": "03/04/2026 22:00:00"}])
    assert parse_export(twenty_four, time_zone="UTC", currency="USD").orders[0].create_time == at(2026, 4, 3, 22)
    twenty_four.seek(0)
    forced = parse_export(twenty_four, time_zone="UTC", currency="USD", day_first=False)
    assert forced.orders[0].create_time == at(2026, 3, 4, 22)


def test_a_later_export_row_of_the_same_order_and_sku_continues_the_unit_numbering() -> None:
    base = {
        "Order ID": "579100000000000010",
        "Order Status": "To ship",
        "SKU ID": "77",
        "Created Time": "01/06/2026 09:30:00",
    }
    rows = [
        {**base, "Quantity": "2"},
        {**base, "Order ID": "579100000000000011", "Quantity": "1"},
        {**base, "Quantity": "1"},
    ]
    orders = parse_export(export(rows), time_zone="UTC", currency="USD").orders
    assert [item.line_id for item in orders[0].line_items] == [
        "csv:579100000000000010:77:1",
        "csv:579100000000000010:77:2",
        "csv:579100000000000010:77:3",
    ]
    assert len(orders[0].raw[RAW_KEY]) == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"PK\x03\x04rest-of-a-zip", "is an Excel workbook"),
        ("Order ID,Order Status\n1,x\n".encode("cp1252"), "no column 'Quantity', 'Created Time', 'SKU ID'"),
        ("Order ID,Recipient\n1,Zoë\n".encode("cp1252"), "is not UTF-8 text"),
    ],
)
def test_a_file_that_is_not_an_export_is_refused_as_a_whole(content: bytes, message: str) -> None:
    with pytest.raises(ExportUnreadable, match=message):
        parse_export(io.BytesIO(content), time_zone="UTC", currency="USD")


def test_parsing_the_same_export_twice_gives_equal_orders() -> None:
    assert us().orders == us().orders
    assert [o.raw for o in us().orders] == [o.raw for o in us().orders]


# ---- properties -------------------------------------------------------------------------------------

ZONES = ["UTC", "Asia/Ho_Chi_Minh", "America/Los_Angeles", "Europe/London"]
cents = st.integers(min_value=1, max_value=250_000).map(lambda c: Decimal(c).scaleb(-2))


@dataclass(frozen=True)
class OrderSpec:
    """One order an export row set describes: local (naive) times, (sku, quantity, unit price) lines."""

    order_id: str
    status: str
    created: datetime
    paid: datetime | None
    lines: list[tuple[str, int, Decimal]]
    total: Decimal


@st.composite
def order_specs(draw: st.DrawFn, order_id: str) -> OrderSpec:
    created = draw(st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31))).replace(
        microsecond=0
    )
    skus = draw(st.lists(st.integers(10**15, 10**16), min_size=1, max_size=3, unique=True))
    lines = [(str(sku), draw(st.integers(1, 5)), draw(cents)) for sku in skus]
    return OrderSpec(
        order_id=order_id,
        status=draw(st.sampled_from(sorted(STATUSES))),
        created=created,
        paid=draw(st.none() | st.integers(0, 86_400 * 3).map(lambda s: created + timedelta(seconds=s))),
        lines=lines,
        total=draw(cents),
    )


def existed(moment: datetime, zone: ZoneInfo) -> bool:
    """Whether this wall-clock time happened in `zone` (not skipped by a daylight-saving jump)."""
    return moment.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None) == moment


def money_cell(amount: Decimal, style: int) -> str:
    return [f"{amount}", f"${amount:,}", f"USD {amount}"][style]


@given(
    specs=st.lists(st.integers(10**17, 10**18 - 1), min_size=1, max_size=5, unique=True).flatmap(
        lambda ids: st.tuples(*[order_specs(str(i)) for i in ids])
    ),
    zone=st.sampled_from(ZONES),
    twelve_hour=st.booleans(),
    style=st.integers(0, 2),
    shuffle=st.randoms(use_true_random=False),
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_valid_export_reads_back_as_the_orders_it_describes(
    specs: tuple[OrderSpec, ...], zone: str, twelve_hour: bool, style: int, shuffle: Random
) -> None:
    local = ZoneInfo(zone)
    # An export shows times that existed in the shop's zone: none inside a daylight-saving jump.
    assume(all(existed(t, local) for spec in specs for t in (spec.created, spec.paid) if t))
    time_format = "%m/%d/%Y %I:%M:%S %p" if twelve_hour else "%d/%m/%Y %H:%M:%S"
    rows = []
    for spec in specs:
        for sku, quantity, price in spec.lines:
            paid = spec.paid
            rows.append(
                {
                    "Order ID": ["", "\t", "'"][style] + spec.order_id,
                    "Order Status": spec.status.title(),
                    "SKU ID": sku,
                    "Quantity": str(quantity),
                    "SKU Unit Original Price": money_cell(price, style),
                    "SKU Subtotal After Discount": money_cell(price * quantity, style),
                    "Order Amount": money_cell(spec.total, style),
                    "Created Time": spec.created.strftime(time_format),
                    "Paid Time": paid.strftime(time_format) if paid else "",
                }
            )
    shuffle.shuffle(rows)
    parsed = parse_export(export(rows), time_zone=zone, currency="USD")
    assert parsed.errors == []
    assert {o.order_id for o in parsed.orders} == {s.order_id for s in specs}
    by_id = {o.order_id: o for o in parsed.orders}
    for spec in specs:
        order = by_id[spec.order_id]
        created = spec.created.replace(tzinfo=local).astimezone(UTC)
        paid = spec.paid.replace(tzinfo=local).astimezone(UTC) if spec.paid else None
        assert order.status == STATUSES[spec.status]
        assert (order.create_time, order.paid_time) == (created, paid)
        assert order.update_time == max(t for t in (created, paid) if t)
        assert order.quantities() == {sku: q for sku, q, _ in spec.lines}
        assert order.payment.total_amount == spec.total
        for sku, quantity, price in spec.lines:
            units = [item for item in order.line_items if item.sku_id == sku]
            assert {u.sale_price for u in units} == {price}
            assert len({u.line_id for u in units}) == quantity


HEADER_COLUMNS = len(VN_HEADER)
cells = st.text(st.characters(exclude_categories=["Cs"]), max_size=12) | st.sampled_from(
    [
        "576000000000000001",
        "'576000000000000002",
        "To ship",
        "Completed",
        "2",
        "0",
        "-1",
        "1,000.00",
        "31/12/2026 23:59:59",
        "12/31/2026 11:59:59 PM",
        "",
    ]
)


@given(st.lists(st.lists(cells, max_size=HEADER_COLUMNS + 2), max_size=12))
@settings(max_examples=150, deadline=None)
def test_no_row_crashes_the_parser_or_goes_missing(records: list[list[str]]) -> None:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(VN_HEADER)
    writer.writerows(records)
    out.seek(0)
    parsed = parse_export(out, time_zone="Asia/Ho_Chi_Minh", currency="VND")
    imported = sum(len(order.raw[RAW_KEY]) for order in parsed.orders)
    assert imported + len(parsed.errors) == parsed.data_rows
    assert all(order.update_time >= order.create_time for order in parsed.orders)
    assert len({e.line for e in parsed.errors}) == len(parsed.errors)  # each bad row reported once


@given(st.binary(max_size=400))
@settings(max_examples=150, deadline=None)
def test_any_bytes_are_read_as_an_export_or_refused_as_a_whole(content: bytes) -> None:
    try:
        parsed = parse_export(io.BytesIO(content), time_zone="UTC", currency="USD")
    except ExportUnreadable:
        return
    assert len(parsed.errors) <= parsed.data_rows
