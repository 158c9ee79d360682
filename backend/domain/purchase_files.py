"""Purchase files as rows: 1688's buyer order export and OrderDeck's own CSV template.

A file is a header row and data rows of cells (text, numbers, dates as the reader found them). Each layout
maps its headers to a `PurchaseRow`, one per item bought; a bad row becomes one problem naming its line
number and the rest of the file is kept.

1688's export (买家中心 → 已买到的货源 → 订单导出, .xlsx, or that sheet saved as CSV) is matched by header text,
not position, since its column set grew over the years. Its headers are those of the 49-column layout that
gromy92/nuono-next-backend checks real exports against
(src/main/java/com/nuono/next/procurement/aliorder/Ali1688HistoricalOrderExcelHeaderContract.java); older
exports have 32 columns, and older still put carrier and tracking number in one "物流公司运单号" column as
"company:number" (jiangtaozy/pdd-management-api, handle/upload-1688-order-file.go, reads both). An order with
several items fills its order columns (订单编号 … 订单付款时间, 买家留言, 物流公司, 运单号) on the first item's
row only: Excel merges those cells down its item rows, so the next rows read blank there.

Taobao has no buyer-side order export to cite, so no Taobao layout is read: Taobao purchases come in through
the OrderDeck template with platform "taobao".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import TypeVar

from backend.domain.purchasing import (
    PLATFORMS,
    LineStatus,
    as_amount,
    as_currency,
    as_day,
    as_whole,
    blank,
    parse_status,
    text_of,
)

Cell = object
T = TypeVar("T")

# OrderDeck's template: one row per item; the order's charges may sit on any of its rows (they must agree).
TEMPLATE = (
    "platform",
    "supplier",
    "supplier_order_no",
    "item_link",
    "item_spec",
    "seller_sku",
    "quantity_ordered",
    "quantity_received",
    "unit_price",
    "currency",
    "domestic_shipping",
    "paid_on",
    "domestic_tracking",
    "status",
    "warehouse",
    "expected_on",
)
TEMPLATE_REQUIRED = ("platform", "supplier_order_no", "quantity_ordered")
IMPORTED_STATUSES = (LineStatus.ORDERED, LineStatus.SHIPPED, LineStatus.AT_FORWARDER, LineStatus.CANCELLED)

# 1688's 订单状态 as the buyer sees it → the line's status; None: not imported (never paid).
ALIBABA_STATUSES: Mapping[str, LineStatus | None] = {
    "等待买家付款": None,
    "等待卖家发货": LineStatus.ORDERED,
    "等待买家确认收货": LineStatus.SHIPPED,
    "等待买家收货": LineStatus.SHIPPED,
    "已发货": LineStatus.SHIPPED,
    "已收货": LineStatus.AT_FORWARDER,  # the buyer's address is the forwarder's warehouse
    "交易成功": LineStatus.AT_FORWARDER,
    "交易关闭": LineStatus.CANCELLED,
    "退款中": LineStatus.SHIPPED,
}
ALIBABA_ORDER = "订单编号"
ALIBABA_OFFER_URL = "https://detail.1688.com/offer/{}.html"
# A 1688 item link in the template names the same item as the export's Offer ID (one remembered SKU for both).
OFFER_LINK = re.compile(r"1688\.com/offer/(\d+)\.html")


@dataclass(frozen=True)
class PurchaseRow:
    """One item bought, as a file says it; `line` is its line number in the file."""

    line: int
    platform: str
    supplier_order_no: str
    supplier: str = ""
    item_ref: str = ""
    item_title: str = ""
    item_link: str = ""
    item_spec: str = ""
    seller_sku: str = ""
    quantity_ordered: int = 0
    quantity_received: int | None = None
    unit_price: Decimal | None = None
    currency: str | None = None
    domestic_shipping: Decimal | None = None
    adjustment: Decimal | None = None
    ordered_on: date | None = None
    paid_on: date | None = None
    carrier: str = ""
    tracking: str = ""
    status: str | None = None  # None: leave the status as it is (a new line starts "ordered")
    warehouse: str = ""
    expected_on: date | None = None


@dataclass
class ParsedFile:
    layout: str
    rows: list[PurchaseRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def parse_rows(table: Sequence[Sequence[Cell]], first_line: int = 1) -> ParsedFile:
    """A file's rows (header first) as purchase rows, by whichever layout its header is."""
    if not table:
        return ParsedFile("", problems=[f"line {first_line}: the file is empty"])
    header = [text_of(h) for h in table[0]]
    names = [h.lower() for h in header]
    if ALIBABA_ORDER in header:
        return _read(table, first_line, "1688", _alibaba_reader({h: i for i, h in enumerate(header)}))
    if set(TEMPLATE_REQUIRED) <= set(names):
        return _read(table, first_line, "OrderDeck", _template_reader({h: i for i, h in enumerate(names)}))
    expected = ", ".join(TEMPLATE)
    return ParsedFile("", problems=[f"line {first_line}: expected 1688's order export or the columns {expected}"])


RowReader = Callable[[int, Sequence[Cell]], PurchaseRow]  # a line's row, or ValueError saying what is wrong


def _read(table: Sequence[Sequence[Cell]], first_line: int, layout: str, read: RowReader) -> ParsedFile:
    parsed = ParsedFile(layout)
    for offset, cells in enumerate(table[1:], start=1):
        number = first_line + offset
        if all(blank(c) for c in cells):
            continue
        try:
            parsed.rows.append(read(number, cells))
        except ValueError as exc:
            parsed.problems.append(f"line {number}: {exc}")
    parsed.problems += _disagreements(parsed.rows)
    return parsed


def _disagreements(rows: Sequence[PurchaseRow]) -> list[str]:
    """Rows of one supplier order must agree on its currency and charges (each may leave them blank)."""
    seen: dict[tuple[str, str, str], tuple[object, int]] = {}
    problems = []
    for row in rows:
        for name in ("currency", "domestic_shipping", "adjustment", "paid_on"):
            value = getattr(row, name)
            if value is None:
                continue
            key = (row.platform, row.supplier_order_no, name)
            first = seen.setdefault(key, (value, row.line))
            if first[0] != value:
                problems.append(
                    f"line {row.line}: {name} {value} of order {row.supplier_order_no} differs from line {first[1]}"
                )
    return problems


def _cell(cells: Sequence[Cell], at: Mapping[str, int], *names: str) -> Cell:
    """The first of `names` the header has, in this row (None when absent)."""
    for name in names:
        index = at.get(name)
        if index is not None:
            return cells[index] if index < len(cells) else None
    return None


def _alibaba_reader(at: Mapping[str, int]) -> RowReader:
    """Rows of 1688's export; an item row with a blank 订单编号 belongs to the order above it."""
    above: list[PurchaseRow | str] = []  # the order the next item rows belong to, or why it was refused

    def read(number: int, cells: Sequence[Cell]) -> PurchaseRow:
        def get(*names: str) -> Cell:
            return _cell(cells, at, *names)

        order_no = text_of(get(ALIBABA_ORDER))
        if order_no:
            above[:] = [f"its order {order_no} was not imported"]
            order = _alibaba_order(number, order_no, get)
            if order.status is None:
                above[:] = [f"its order {order_no} is not paid yet (等待买家付款)"]
                raise ValueError(f"order {order_no} is not paid yet (等待买家付款): not imported")
        elif not above:
            raise ValueError("an item row with no order above it")
        elif isinstance(above[0], str):
            raise ValueError(f"not imported: {above[0]}")
        else:
            order = replace(above[0], domestic_shipping=None, adjustment=None)
        offer = text_of(get("Offer ID"))
        quantity = as_whole(get("数量"), "数量 (quantity)", minimum=1)
        if quantity is None:
            raise ValueError("数量 (quantity) is empty")
        found = replace(
            order,
            line=number,
            item_ref=offer or text_of(get("货品标题"))[:255],
            item_title=text_of(get("货品标题")),
            item_link=ALIBABA_OFFER_URL.format(offer) if offer else "",
            item_spec=text_of(get("型号")) or text_of(get("SKU ID")),
            quantity_ordered=quantity,
            unit_price=as_amount(get("单价(元)", "单价"), "单价 (unit price)"),
        )
        if order_no:
            above[:] = [found]
        return found

    return read


def _alibaba_order(number: int, order_no: str, get: Callable[..., Cell]) -> PurchaseRow:
    status_text = text_of(get("订单状态"))
    if status_text not in ALIBABA_STATUSES:
        raise ValueError(f"unknown 订单状态 {status_text!r}")
    carrier, tracking = text_of(get("物流公司")), text_of(get("运单号"))
    if not tracking and ":" in text_of(get("物流公司运单号")):
        carrier, _, tracking = text_of(get("物流公司运单号")).partition(":")
    status = ALIBABA_STATUSES[status_text]
    return PurchaseRow(
        line=number,
        platform="1688",
        supplier_order_no=order_no,
        supplier=text_of(get("卖家公司名")) or text_of(get("卖家会员名")),
        currency="CNY",
        domestic_shipping=as_amount(get("运费(元)", "运费"), "运费 (shipping)") or Decimal(0),
        adjustment=_signed(get("涨价或折扣(元)", "涨价或折扣")),
        ordered_on=as_day(get("订单创建时间"), "订单创建时间"),
        paid_on=as_day(get("订单付款时间"), "订单付款时间"),
        carrier=carrier.strip(),
        tracking=tracking.strip(),
        status=None if status is None else status.value,
    )


def _signed(value: Cell) -> Decimal:
    """1688's 涨价或折扣: a price rise, or a discount written with a minus sign."""
    text = text_of(value)
    if text.startswith("-"):
        return -(as_amount(text[1:], "涨价或折扣 (adjustment)") or Decimal(0))
    return as_amount(value, "涨价或折扣 (adjustment)") or Decimal(0)


def _template_reader(at: Mapping[str, int]) -> RowReader:
    def read(number: int, cells: Sequence[Cell]) -> PurchaseRow:
        def get(name: str) -> Cell:
            return _cell(cells, at, name)

        problems: list[str] = []

        def check(parse: Callable[[], T], default: T) -> T:
            try:
                return parse()
            except ValueError as exc:
                problems.append(str(exc))
                return default

        platform = text_of(get("platform")).lower()
        if platform not in PLATFORMS:
            problems.append(f"platform {text_of(get('platform'))!r} must be one of {', '.join(PLATFORMS)}")
        order_no = text_of(get("supplier_order_no"))
        if not order_no or len(order_no) > 64:
            problems.append("supplier_order_no is required (at most 64 characters)")
        ordered = check(lambda: as_whole(get("quantity_ordered"), "quantity_ordered", minimum=1), None)
        if ordered is None and not problems:
            problems.append("quantity_ordered is required")
        received = check(lambda: as_whole(get("quantity_received"), "quantity_received", minimum=0), None)
        if ordered is not None and received is not None and received > ordered:
            problems.append(f"quantity_received {received} is more than quantity_ordered {ordered}")
        price = check(lambda: as_amount(get("unit_price"), "unit_price"), None)
        currency = check(lambda: as_currency(get("currency")), None)
        shipping = check(lambda: as_amount(get("domestic_shipping"), "domestic_shipping"), None)
        if (price is not None or shipping) and currency is None and not any("currency" in p for p in problems):
            problems.append("a price needs its currency (such as CNY)")
        status_text = text_of(get("status"))
        status = None
        if status_text:
            status = check(lambda: parse_status(status_text, IMPORTED_STATUSES, _LABELS), None)
        paid_on = check(lambda: as_day(get("paid_on"), "paid_on"), None)
        expected_on = check(lambda: as_day(get("expected_on"), "expected_on"), None)
        if problems:
            raise ValueError("; ".join(problems))
        link = text_of(get("item_link"))
        offer = OFFER_LINK.search(link) if platform == "1688" else None
        return PurchaseRow(
            line=number,
            platform=platform,
            supplier_order_no=order_no,
            supplier=text_of(get("supplier"))[:255],
            item_ref=offer.group(1) if offer else link[:255],
            item_link=link[:1024],
            item_spec=text_of(get("item_spec"))[:255],
            seller_sku=text_of(get("seller_sku")),
            quantity_ordered=ordered or 0,
            quantity_received=received,
            unit_price=price,
            currency=currency,
            domestic_shipping=shipping,
            paid_on=paid_on,
            tracking=text_of(get("domestic_tracking"))[:128],
            status=status,
            warehouse=text_of(get("warehouse")),
            expected_on=expected_on,
        )

    return read


_LABELS = {s: s.value.replace("_", " ") for s in IMPORTED_STATUSES} | {LineStatus.SHIPPED: "shipped by supplier"}
