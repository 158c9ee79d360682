"""The column catalogue: every column a profile may show, with its sensitivity, grain, editors and format.

A column's value is a pure function of a `Source` (an OrderView and, by grain, one SKU line, one
package, a SKU cost or a day's totals). Profiles pick and order columns; the role table decides
who may see them, and it is the column's sensitivity that this decision reads — never its name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from backend.domain import sla
from backend.domain.access import Sensitivity
from backend.domain.after_sales import CaseView, RateRow
from backend.domain.analytics import TREND_HEADERS
from backend.domain.fulfilment import ShipState
from backend.domain.pending_actions import BoardRow
from backend.domain.profit import BASES, POOLS
from backend.domain.purchasing import LINE_LABELS, ShipmentStatus
from backend.domain.reports import SummaryRow
from backend.domain.scorecard import HEADERS as SCORE_HEADERS
from backend.domain.stock import PackRow, PickRow, StockPosition
from backend.domain.tracking import PROBLEM_LABELS
from backend.domain.views import (
    ConsolidationView,
    FxRateView,
    OrderView,
    PackageView,
    PurchaseLineView,
    SkuCostView,
    SkuLine,
)

SHEETS_EPOCH = datetime(1899, 12, 30)  # noqa: DTZ001 - serials count local wall-clock days


class ColumnType(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    MONEY = "money"
    PERCENT = "percent"
    DATE = "date"
    DATETIME = "datetime"
    DURATION = "duration"
    ENUM = "enum"
    HOURS = "hours"  # a number of hours with two decimals (handling times)
    DAYS = "days"  # a number of days with one decimal (the carrier scorecard)
    RATE = "rate"  # an exchange rate: 1 unit of one currency in another, up to 12 decimals
    DECIMAL = "decimal"  # a quantity with two decimals (kilograms, units sold per day)


class Grain(StrEnum):
    """What one row is: reports (day) aggregate orders, the others list them."""

    ORDER = "order"
    ORDER_LINE = "order_line"
    PACKAGE = "package"
    SKU = "sku"
    DAY = "day"
    PICK = "pick"  # a SKU to pick now (the pick list)
    PACK = "pack"  # a parcel to pack, with every order TikTok combined into it
    STOCK = "stock"  # a SKU in a warehouse (the procurement tab)
    PROFIT_MONTH = "profit_month"  # a month in one currency, then a TOTAL per currency
    PROFIT_SKU = "profit_sku"  # a seller SKU in one currency, then a TOTAL per currency
    PROFIT_SHOP = "profit_shop"  # a shop in one currency, then a TOTAL per currency
    HANDLING = "handling"  # a period, stage, role and member of the analytics table
    LEADERBOARD = "leaderboard"  # a member's standing in a window and stage
    HANDLING_TREND = "handling_trend"  # a period, with each stage's median hours (the analytics chart)
    CARRIER_MONTH = "carrier_month"  # a carrier in a month of shipping (the carrier scorecard)
    AFTER_SALE = "after_sale"  # a cancellation, return, refund or replacement request
    PENDING_ACTION = "pending_action"  # a count of the Pending-Action board, or a refund waiting for finance
    AFTER_SALES_RATE = "after_sales_rate"  # a month's cancellation and return rates, then per SKU and reason
    FX_RATE = "fx_rate"  # a currency pair with its newest rate (the finance rates tab)
    PURCHASE_LINE = "purchase_line"  # an item bought from a supplier (the procurement purchase tab)
    CONSOLIDATION = "consolidation"  # a forwarder's consolidated shipment


class Kind(StrEnum):
    """Who writes the column: the backend (key, synced, computed) or people (input)."""

    KEY = "key"
    SYNCED = "synced"
    COMPUTED = "computed"
    INPUT = "input"


ORDER_GRAINS = frozenset({Grain.ORDER, Grain.ORDER_LINE, Grain.PACKAGE})

NUMBER_FORMATS: Mapping[ColumnType, Mapping[str, str] | None] = {
    ColumnType.TEXT: None,
    ColumnType.ENUM: None,
    ColumnType.INTEGER: {"type": "NUMBER", "pattern": "0"},
    ColumnType.MONEY: {"type": "NUMBER", "pattern": "#,##0.00"},
    ColumnType.PERCENT: {"type": "PERCENT", "pattern": "0.0%"},
    ColumnType.DATE: {"type": "DATE", "pattern": "yyyy-mm-dd"},
    ColumnType.DATETIME: {"type": "DATE_TIME", "pattern": "yyyy-mm-dd hh:mm"},
    ColumnType.DURATION: {"type": "TIME", "pattern": "[h]:mm"},
    ColumnType.HOURS: {"type": "NUMBER", "pattern": "0.00"},
    ColumnType.DAYS: {"type": "NUMBER", "pattern": "0.0"},
    ColumnType.RATE: {"type": "NUMBER", "pattern": "0.0000########"},
    ColumnType.DECIMAL: {"type": "NUMBER", "pattern": "0.00"},
}


@dataclass(frozen=True)
class Formula:
    """A formula the backend writes itself (never text from a buyer): sent as `formulaValue`."""

    text: str


@dataclass(frozen=True)
class Dropdown:
    """A cell that carries its own list to pick from (a case's reject reasons differ case by case)."""

    value: str
    choices: tuple[str, ...]


@dataclass(frozen=True)
class DayTotals:
    """One day's orders in one currency (money is never summed across currencies)."""

    day: date
    currency: str
    orders: int
    units: int
    revenue: Decimal
    fees_total: Decimal
    cogs: Decimal
    net_profit: Decimal
    missing_costs: int


@dataclass(frozen=True)
class Source:
    """What one row is made from; `sheet_zone` is the spreadsheet's zone, which NOW() uses."""

    view: OrderView | None = None
    line: SkuLine | None = None
    package: PackageView | None = None
    sku: SkuCostView | None = None
    fx: FxRateView | None = None
    day: DayTotals | None = None
    pick: PickRow | None = None
    pack: PackRow | None = None
    stock: StockPosition | None = None
    purchase: PurchaseLineView | None = None
    consolidation: ConsolidationView | None = None
    summary: SummaryRow | None = None
    stats: Mapping[str, Value] | None = None  # an analytics row by its header (backend/domain/analytics.py)
    case: CaseView | None = None  # an after-sales case (backend/domain/after_sales.py)
    board: BoardRow | None = None  # a row of the Pending-Action board
    rate: RateRow | None = None  # a row of the after-sales rates report
    sheet_zone: str = "UTC"

    @property
    def order(self) -> OrderView:
        if self.view is None:
            raise ValueError("this column needs an order")
        return self.view

    @property
    def zone(self) -> str:
        """Times are shown in the shop's zone; rows without a shop use the spreadsheet's."""
        if self.case is not None:
            return self.case.shop_time_zone
        return self.view.shop_time_zone if self.view else self.sheet_zone


# What a column function returns; datetimes are turned into serials in the row's zone on projection.
Value = str | int | Decimal | bool | datetime | date | timedelta | Formula | Dropdown | None


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    type: ColumnType
    sensitivity: Sensitivity
    grains: frozenset[Grain]
    value: Callable[[Source], Value] = field(compare=False, repr=False)
    kind: Kind = Kind.SYNCED
    editable_by: frozenset[str] = frozenset()
    enum_values: tuple[str, ...] = ()
    description: str = ""
    # For a dropdown whose choices depend on the row (a package's carriers): the key of the row's list in
    # the spreadsheet's list tab, or None for no dropdown on that row.
    choices: Callable[[Source], str | None] | None = field(default=None, compare=False, repr=False)
    hidden: bool = False  # a row key no person reads ("order/SKU"): kept in column A, the column hidden
    # Its text is OrderDeck's own words (a report's labels, a total, a problem), not the platform's or a
    # person's: a sheet in another language shows them translated, like an enum's (domain/localize.py).
    words: bool = False

    @property
    def number_format(self) -> Mapping[str, str] | None:
        return NUMBER_FORMATS[self.type]

    @property
    def is_input(self) -> bool:
        return self.kind is Kind.INPUT

    def describe(self) -> dict[str, Any]:
        """The column as the sidebar and the API list it."""
        return {
            "key": self.key,
            "header": self.header,
            "type": str(self.type),
            "sensitivity": str(self.sensitivity),
            "grains": sorted(str(g) for g in self.grains),
            "kind": str(self.kind),
            "editable_by": sorted(self.editable_by),
            "number_format": dict(self.number_format) if self.number_format else None,
            "enum_values": list(self.enum_values),
            "description": self.description,
            "hidden": self.hidden,
        }


def serial(moment: datetime, zone: str) -> float:
    """A spreadsheet date-time serial (days since 1899-12-30) of `moment` on the clock of `zone`."""
    local = moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    return (local - SHEETS_EPOCH) / timedelta(days=1)


def countdown(deadline: datetime | None, sheet_zone: str) -> Formula | None:
    """The live countdown: the deadline as a serial in the sheet's zone minus NOW(), recalculated by Sheets."""
    if deadline is None:
        return None
    return Formula(f"={round(serial(deadline, sheet_zone), 6)}-NOW()")


def _pool(name: str) -> Callable[[Source], Value]:
    def value(src: Source) -> Value:
        ledger = src.order.ledger
        return ledger.pools.get(name) if ledger else None

    return value


def _attr_of(part: Callable[[Source], object | None], attr: str) -> Callable[[Source], Value]:
    """A column reading `attr` of one part of the row (the ledger, the carrier's events…), blank without it."""

    def value(src: Source) -> Value:
        found = part(src)
        result: Value = getattr(found, attr) if found is not None else None
        return result

    return value


def _ledger(attr: str) -> Callable[[Source], Value]:
    return _attr_of(lambda src: src.order.ledger, attr)


def _order(attr: str) -> Callable[[Source], Value]:
    def value(src: Source) -> Value:
        result: Value = getattr(src.order, attr)
        return result

    return value


def _line(attr: str) -> Callable[[Source], Value]:
    def value(src: Source) -> Value:
        if src.line is None:
            raise ValueError("this column needs an order line")
        result: Value = getattr(src.line, attr)
        return result

    return value


def _package(attr: str) -> Callable[[Source], Value]:
    def value(src: Source) -> Value:
        result: Value = getattr(src.package, attr) if src.package else None
        return result

    return value


def _sku(attr: str) -> Callable[[Source], Value]:
    def value(src: Source) -> Value:
        if src.sku is None:
            raise ValueError("this column needs a SKU")
        result: Value = getattr(src.sku, attr)
        return result

    return value


def _reported(attr: str) -> Callable[[Source], Value]:
    """A figure of the order's entry in the team's reporting currency (blank without one or without a rate)."""

    def value(src: Source) -> Value:
        ledger = src.order.ledger
        result: Value = getattr(ledger.reported, attr) if ledger and ledger.reported else None
        return result

    return value


def _day(attr: str) -> Callable[[Source], Value]:
    def value(src: Source) -> Value:
        if src.day is None:
            raise ValueError("this column needs a day's totals")
        result: Value = getattr(src.day, attr)
        return result

    return value


def _summary(attr: str) -> Callable[[Source], Value]:
    """A field of a profit summary row; `attr` may name a fee pool as "pools.platform"."""

    def value(src: Source) -> Value:
        if src.summary is None:
            raise ValueError("this column needs a profit summary row")
        found: Any = src.summary
        for name in attr.split("."):
            found = found[name] if isinstance(found, dict) else getattr(found, name)
        result: Value = found
        return result

    return value


def _summary_key(src: Source) -> Value:
    return f"{_summary('key')(src)} {_summary('currency')(src)}"


def _stats(*headers: str) -> Callable[[Source], Value]:
    """An analytics cell by its header; several headers make a key joined with " / "."""

    def value(src: Source) -> Value:
        if src.stats is None:
            raise ValueError("this column needs an analytics row")
        found = [src.stats.get(h) for h in headers]
        return " / ".join(str(v) for v in found) if len(found) > 1 else found[0]

    return value


def _warehouse(part: str, path: str) -> Callable[[Source], Value]:
    """A field of the row's own part: pick, pack, stock, currency pair, purchase line or consolidation (`path` may
    be dotted: "count.seller_sku")."""

    def value(src: Source) -> Value:
        found: Any = getattr(src, part)
        if found is None:
            raise ValueError(f"this column needs a {part} row")
        for name in path.split("."):
            found = getattr(found, name)
        result: Value = found
        return result

    return value


def _packages_of(src: Source) -> Value:
    if src.package is not None:
        return src.package.external_id
    return ", ".join(p.external_id for p in src.order.packages)


def _tracking(src: Source) -> Value:
    if src.package is not None:
        return src.package.tracking_number
    return src.order.tracking_number


def _skus(src: Source) -> Value:
    if src.line is not None:
        return src.line.key
    return ", ".join(f"{line.key} x{line.quantity}" for line in src.order.lines)


def _quantity(src: Source) -> Value:
    return src.line.quantity if src.line is not None else src.order.units


def _delivery_due(src: Source) -> Value:
    return src.order.deadlines.delivery_due_at or src.order.deadlines.delivery_sla_at


def _countdown(src: Source) -> Value:
    """An order's next SLA deadline, or the decision deadline of a case that waits for one."""
    if src.case is not None:
        return countdown(src.case.deadline if src.case.step else None, src.sheet_zone)
    deadline = sla.next_deadline(src.order)
    return countdown(deadline.at if deadline else None, src.sheet_zone)


def _deadline_label(src: Source) -> Value:
    deadline = sla.next_deadline(src.order)
    return deadline.label if deadline else ""


def _deadline_at(src: Source) -> Value:
    deadline = sla.next_deadline(src.order)
    return deadline.at if deadline else None


def _row_key(src: Source) -> Value:
    order = src.order
    if src.line is not None:
        return f"{order.external_id}/{src.line.key}"
    if src.package is not None:
        return f"{order.external_id}/{src.package.external_id}"
    return order.external_id


def _day_key(src: Source) -> Value:
    day = src.day
    if day is None:
        raise ValueError("this column needs a day's totals")
    return f"{day.day.isoformat()} {day.currency}"


OP, PERSONAL, SALES, COST = Sensitivity.OPERATIONAL, Sensitivity.PERSONAL, Sensitivity.SALES, Sensitivity.COST
PUR = Sensitivity.PURCHASE
LINE = frozenset({Grain.ORDER_LINE})
PKG = frozenset({Grain.PACKAGE})
SKU = frozenset({Grain.SKU})
DAY = frozenset({Grain.DAY})
T, INT, M, P = ColumnType.TEXT, ColumnType.INTEGER, ColumnType.MONEY, ColumnType.PERCENT
DT, DU, EN, D = ColumnType.DATETIME, ColumnType.DURATION, ColumnType.ENUM, ColumnType.DATE

# The key column of each grain: always the first column of a tab, read back to find rows.
KEY_COLUMNS: Mapping[Grain, str] = {
    Grain.ORDER: "order_id",
    Grain.ORDER_LINE: "line_key",
    Grain.PACKAGE: "package_key",
    Grain.SKU: "seller_sku",
    Grain.DAY: "day_key",
    Grain.PICK: "pick_sku",
    Grain.PACK: "pack_key",
    Grain.STOCK: "stock_key",
    Grain.PROFIT_MONTH: "profit_key",
    Grain.PROFIT_SKU: "profit_key",
    Grain.PROFIT_SHOP: "profit_key",
    Grain.HANDLING: "handling_key",
    Grain.LEADERBOARD: "leaderboard_key",
    Grain.HANDLING_TREND: "trend_period",
    Grain.CARRIER_MONTH: "score_key",
    Grain.AFTER_SALE: "case_key",
    Grain.PENDING_ACTION: "action_key",
    Grain.AFTER_SALES_RATE: "rate_key",
    Grain.FX_RATE: "fx_pair",
    Grain.PURCHASE_LINE: "po_key",
    Grain.CONSOLIDATION: "cons_key",
}


def build_catalogue(exception_choices: Sequence[str] = (), extra: Iterable[Column] = ()) -> dict[str, Column]:
    """Every column, by key; `exception_choices` are the exception templates' labels (data in schemas/);
    `extra` are columns defined beside their own domain (after-sales: backend/domain/case_columns.py)."""
    columns = [
        Column("order_id", "Order ID", T, OP, frozenset({Grain.ORDER}), _order("external_id"), Kind.KEY),
        Column(
            "line_key", "Order / SKU", T, OP, LINE, _row_key, Kind.KEY, description="row key: order/SKU", hidden=True
        ),
        Column("package_key", "Order / package", T, OP, PKG, _row_key, Kind.KEY, hidden=True),
        Column("order", "Order", T, OP, ORDER_GRAINS - {Grain.ORDER}, _order("external_id")),
        Column("shop", "Shop", T, OP, ORDER_GRAINS, _order("shop_name")),
        Column("platform", "Platform", T, OP, ORDER_GRAINS, _order("platform"), description="the sales channel"),
        Column("status", "Status", EN, OP, ORDER_GRAINS, _order("status")),
        Column(
            "pick_status",
            "Status",
            EN,
            OP,
            ORDER_GRAINS,
            lambda src: sla.pick_status(src.order),
            description="ON_HOLD = do not pick",
        ),
        Column("created_at", "Ordered (shop time)", DT, OP, ORDER_GRAINS, _order("created_at")),
        Column("paid_at", "Paid (shop time)", DT, OP, ORDER_GRAINS, _order("paid_at")),
        Column("ship_by", "Ship by (shop time)", DT, OP, ORDER_GRAINS, lambda src: sla.ship_by(src.order)),
        Column("next_deadline", "Next deadline", T, OP, ORDER_GRAINS, _deadline_label, Kind.COMPUTED),
        Column(
            "due_at",
            "Due (shop time)",
            DT,
            OP,
            ORDER_GRAINS,
            _deadline_at,
            Kind.COMPUTED,
            description="when the next deadline falls: what Time left counts down to",
        ),
        Column(
            "sla_countdown",
            "Time left",
            DU,
            OP,
            ORDER_GRAINS | {Grain.AFTER_SALE},
            _countdown,
            Kind.COMPUTED,
            description="live: recalculated by the spreadsheet every minute",
        ),
        Column("delivery_due", "Delivery due (shop time)", DT, OP, ORDER_GRAINS, _delivery_due),
        Column("skus", "SKU", T, OP, frozenset({Grain.ORDER, Grain.ORDER_LINE}), _skus),
        Column("product", "Product", T, OP, LINE, _line("product_name")),
        Column("variant", "Variant", T, OP, LINE, _line("sku_name")),
        Column("quantity", "Qty", INT, OP, frozenset({Grain.ORDER, Grain.ORDER_LINE}), _quantity),
        Column(
            "carrier",
            "Carrier",
            T,
            OP,
            frozenset({Grain.ORDER, Grain.ORDER_LINE}),
            _order("carrier"),
            Kind.INPUT,
            frozenset({"warehouse"}),
            choices=lambda src: src.order.carrier_list or None,
        ),
        Column(
            "tracking_number",
            "Tracking number",
            T,
            OP,
            frozenset({Grain.ORDER, Grain.ORDER_LINE}),
            _tracking,
            Kind.INPUT,
            frozenset({"warehouse"}),
        ),
        Column("package", "Package", T, OP, ORDER_GRAINS, _packages_of),
        Column("package_status", "Package status", T, OP, PKG, _package("status")),
        Column("package_tracking", "Tracking number", T, OP, PKG, _package("tracking_number")),
        Column("package_carrier", "Carrier", T, OP, PKG, _package("carrier")),
        Column("shipped_at", "Shipped (shop time)", DT, OP, PKG, _package("shipped_at")),
        Column("delivery_option", "Delivery option", T, OP, ORDER_GRAINS, _order("delivery_option")),
        Column("fulfillment_type", "Fulfilment", T, OP, ORDER_GRAINS, _order("fulfillment_type")),
        Column("region", "Region", T, OP, ORDER_GRAINS, _order("region_code")),
        # What a buyer writes, and notes on an order, can name or locate a person: personal, like the address.
        Column("buyer_message", "Buyer message", T, PERSONAL, ORDER_GRAINS, _order("buyer_message")),
        Column("cancel_reason", "Cancel reason", T, OP, ORDER_GRAINS, _order("cancel_reason")),
        Column(
            "exception",
            "Exception",
            EN,
            OP,
            ORDER_GRAINS,
            lambda src: ", ".join(src.order.exceptions),
            Kind.INPUT,
            frozenset({"support"}),
            tuple(exception_choices),
            "open exceptions; pick one to raise it",
        ),
        Column("note", "Note", T, PERSONAL, ORDER_GRAINS, _order("seller_note"), Kind.INPUT, frozenset({"support"})),
        Column("recipient_name", "Recipient", T, PERSONAL, ORDER_GRAINS, _order("recipient_name")),
        Column("recipient_phone", "Phone", T, PERSONAL, ORDER_GRAINS, _order("recipient_phone")),
        Column("recipient_address", "Address", T, PERSONAL, ORDER_GRAINS, _order("recipient_address")),
        Column("postal_code", "Postal code", T, PERSONAL, ORDER_GRAINS, _order("recipient_postal_code")),
        Column("currency", "Currency", T, OP, ORDER_GRAINS, _order("currency")),
        Column("subtotal", "Subtotal", M, SALES, ORDER_GRAINS, _order("subtotal")),
        Column("shipping_fee", "Shipping charged", M, SALES, ORDER_GRAINS, _order("shipping_fee")),
        Column("seller_discount", "Seller discount", M, SALES, ORDER_GRAINS, _order("seller_discount")),
        Column("platform_discount", "Platform discount", M, SALES, ORDER_GRAINS, _order("platform_discount")),
        Column("tax", "Tax", M, SALES, ORDER_GRAINS, _order("tax")),
        Column("total_amount", "Order total", M, SALES, ORDER_GRAINS, _order("total_amount")),
        Column("unit_price", "Unit price", M, SALES, LINE, _line("unit_price")),
        Column("line_amount", "Line amount", M, SALES, LINE, _line("amount")),
        Column("revenue", "Revenue", M, SALES, ORDER_GRAINS, _ledger("revenue")),
        *(
            Column(f"fee_{pool}", f"{pool.capitalize()} fees", M, COST, ORDER_GRAINS, _pool(pool), Kind.COMPUTED)
            for pool in ("platform", "payment", "logistics", "marketing", "tax", "other")
        ),
        Column("fees_total", "Fees total", M, COST, ORDER_GRAINS, _ledger("fees_total"), Kind.COMPUTED),
        Column("cogs", "COGS", M, COST, ORDER_GRAINS, _ledger("cogs"), Kind.COMPUTED),
        Column(
            "missing_costs",
            "Missing unit costs",
            T,
            COST,
            ORDER_GRAINS,
            lambda src: ", ".join(src.order.ledger.missing_cost_skus) if src.order.ledger else "",
            Kind.COMPUTED,
        ),
        Column("net_profit", "Net profit", M, COST, ORDER_GRAINS, _ledger("net_profit"), Kind.COMPUTED),
        Column("margin", "Margin", P, COST, ORDER_GRAINS, _ledger("margin"), Kind.COMPUTED),
        Column(
            "estimated_net_profit",
            "Estimated net profit",
            M,
            COST,
            ORDER_GRAINS,
            _ledger("estimated_net_profit"),
            Kind.COMPUTED,
        ),
        Column(
            "profit_basis",
            "Estimated / settled",
            EN,
            COST,
            ORDER_GRAINS,
            _ledger("basis"),
            Kind.COMPUTED,
            enum_values=BASES,
            description="unpaid and cancelled orders are not revenue: the README's ledger rules",
        ),
        Column("settled_at", "Settled (shop time)", DT, COST, ORDER_GRAINS, _ledger("settled_at")),
        Column(
            "fx_rates",
            "Rates used",
            T,
            COST,
            ORDER_GRAINS,
            lambda src: src.order.ledger.rates_label if src.order.ledger else "",
            Kind.COMPUTED,
            description="each conversion: pair, rate and the date of the rate (the paid date or the last before it)",
        ),
        Column(
            "cost_source",
            "Cost source",
            T,
            COST,
            ORDER_GRAINS,
            lambda src: src.order.ledger.cost_source if src.order.ledger else "",
            Kind.COMPUTED,
            description="per SKU: the FIFO layers (purchases, opening stock) or typed costs COGS used; blank: typed",
        ),
        Column(
            "missing_rates",
            "Missing rates",
            T,
            COST,
            ORDER_GRAINS,
            lambda src: ", ".join(src.order.ledger.missing_rates) if src.order.ledger else "",
            Kind.COMPUTED,
            description="pairs with no rate on or before the paid date: add them in the rates tab",
        ),
        Column("reporting_currency", "Reporting currency", T, OP, ORDER_GRAINS, _ledger("reporting_currency")),
        Column("reporting_revenue", "Revenue (reporting)", M, SALES, ORDER_GRAINS, _reported("revenue"), Kind.COMPUTED),
        Column(
            "reporting_net_profit",
            "Net profit (reporting)",
            M,
            COST,
            ORDER_GRAINS,
            _reported("net_profit"),
            Kind.COMPUTED,
        ),
        Column("seller_sku", "Seller SKU", T, OP, SKU, _sku("seller_sku"), Kind.KEY),
        Column("sku_product", "Product", T, OP, SKU, _sku("product_name")),
        Column("unit_cost", "Unit cost", M, COST, SKU, _sku("unit_cost"), Kind.INPUT, frozenset({"finance"})),
        Column("cost_currency", "Currency", T, COST, SKU, _sku("currency"), Kind.INPUT, frozenset({"finance"})),
        Column(
            "effective_from", "Effective from", D, COST, SKU, _sku("effective_from"), Kind.INPUT, frozenset({"finance"})
        ),
        *_fx_columns(),
        Column("day_key", "Day / currency", T, OP, DAY, _day_key, Kind.KEY, hidden=True),
        Column("day", "Day", D, OP, DAY, _day("day"), Kind.COMPUTED),
        Column("day_currency", "Currency", T, OP, DAY, _day("currency"), Kind.COMPUTED),
        Column("day_orders", "Orders", INT, OP, DAY, _day("orders"), Kind.COMPUTED),
        Column("day_units", "Units", INT, OP, DAY, _day("units"), Kind.COMPUTED),
        Column("day_revenue", "Revenue", M, SALES, DAY, _day("revenue"), Kind.COMPUTED),
        Column("day_fees", "Fees", M, COST, DAY, _day("fees_total"), Kind.COMPUTED),
        Column("day_cogs", "COGS", M, COST, DAY, _day("cogs"), Kind.COMPUTED),
        Column("day_net_profit", "Net profit", M, COST, DAY, _day("net_profit"), Kind.COMPUTED),
        Column(
            "day_missing_costs",
            "Orders missing a cost",
            INT,
            COST,
            DAY,
            _day("missing_costs"),
            Kind.COMPUTED,
            description="orders left out of COGS and net profit",
        ),
    ]
    columns += _stock_columns() + _report_columns() + _fulfilment_columns() + _purchase_columns() + list(extra)
    catalogue = {c.key: c for c in columns}
    if len(catalogue) != len(columns):
        raise ValueError("duplicate column keys in the catalogue")
    return catalogue


def _fx_columns() -> list[Column]:
    """The finance rates tab: one row per pair; typing a rate and its date records it (services/fx.py)."""
    fx, finance = frozenset({Grain.FX_RATE}), frozenset({"finance"})

    def pair(attr: str) -> Callable[[Source], Value]:
        return _warehouse("fx", attr)

    return [
        Column("fx_pair", "From → to", T, OP, fx, pair("pair"), Kind.KEY, description="1 of the first = rate × second"),
        Column("fx_rate", "Rate", ColumnType.RATE, OP, fx, pair("rate"), Kind.INPUT, finance),
        Column("fx_date", "Rate date", D, OP, fx, pair("day"), Kind.INPUT, finance, description="applies from then on"),
        Column("fx_source", "Entered by", T, OP, fx, pair("source"), Kind.COMPUTED),
        Column("fx_needed_for", "Needed for", T, OP, fx, pair("needed_for"), Kind.COMPUTED),
    ]


def _stock_columns() -> list[Column]:
    """Stock check, pick and pack lists (issue 11): all operational, so the warehouse sees no money."""
    pick, pack, stock = frozenset({Grain.PICK}), frozenset({Grain.PACK}), frozenset({Grain.STOCK})
    counted = frozenset({"procurement"})
    return [
        Column(
            "stock_short",
            "Stock",
            T,
            OP,
            ORDER_GRAINS,
            _order("stock_short"),
            Kind.COMPUTED,
            description="units the stock on hand cannot cover (earliest ship-by claims first)",
        ),
        Column(
            "review_flags",
            "Review",
            T,
            OP,
            ORDER_GRAINS,
            lambda src: "; ".join(src.order.review_flags),
            Kind.COMPUTED,
            description="possible duplicate, unusual quantity, buyer message, address changed, combine",
        ),
        Column("pick_sku", "Seller SKU", T, OP, pick, _warehouse("pick", "seller_sku"), Kind.KEY),
        Column("pick_product", "Product", T, OP, pick, _warehouse("pick", "product_name")),
        Column("pick_quantity", "Pick now", INT, OP, pick, _warehouse("pick", "quantity"), Kind.COMPUTED),
        Column("pick_orders", "Orders", INT, OP, pick, _warehouse("pick", "orders"), Kind.COMPUTED),
        Column("pick_ship_by", "Earliest ship by", DT, OP, pick, _warehouse("pick", "earliest_ship_by"), Kind.COMPUTED),
        Column("pick_location", "Location", T, OP, pick, _warehouse("pick", "location")),
        Column("pick_short", "Short", INT, OP, pick, _warehouse("pick", "short_units"), Kind.COMPUTED),
        Column("pack_key", "Package", T, OP, pack, _warehouse("pack", "key"), Kind.KEY),
        Column("pack_orders", "Orders", T, OP, pack, _warehouse("pack", "orders_label")),
        Column("pack_lines", "Lines", T, OP, pack, _warehouse("pack", "lines"), Kind.COMPUTED),
        Column(
            "pack_carrier",
            "Carrier",
            T,
            OP,
            pack,
            _warehouse("pack", "carrier"),
            Kind.INPUT,
            frozenset({"warehouse"}),
            description="you ship: pick the carrier from the list, type the tracking number, and it ships",
            choices=lambda src: _pack_state(src).carrier_list or None,
        ),
        Column("pack_ship_by", "Ship by", DT, OP, pack, _warehouse("pack", "ship_by"), Kind.COMPUTED),
        Column("pack_short", "Stock", T, OP, pack, _warehouse("pack", "short"), Kind.COMPUTED),
        Column("stock_key", "SKU @ warehouse", T, OP, stock, _warehouse("stock", "count.label"), Kind.KEY, hidden=True),
        Column("stock_sku", "Seller SKU", T, OP, stock, _warehouse("stock", "count.seller_sku")),
        Column("stock_product", "Product", T, OP, stock, _warehouse("stock", "count.product_name")),
        Column("stock_warehouse", "Warehouse", T, OP, stock, _warehouse("stock", "count.warehouse_id")),
        Column("stock_platform", "Platform count", INT, OP, stock, _warehouse("stock", "count.platform_quantity")),
        Column(
            "stock_on_hand",
            "On hand (your count)",
            INT,
            OP,
            stock,
            _warehouse("stock", "count.sheet_quantity"),
            Kind.INPUT,
            counted,
            description="when filled, used instead of the platform's count; clear it to use the platform's again",
        ),
        Column(
            "stock_reorder_point",
            "Reorder point",
            INT,
            OP,
            stock,
            _warehouse("stock", "count.reorder_point"),
            Kind.INPUT,
            counted,
        ),
        Column(
            "stock_supplier_note",
            "Supplier note",
            T,
            OP,
            stock,
            _warehouse("stock", "count.supplier_note"),
            Kind.INPUT,
            counted,
        ),
        Column("stock_location", "Location", T, OP, stock, _warehouse("stock", "count.location"), Kind.INPUT, counted),
        Column(
            "stock_opening",
            "Opening stock (go-live)",
            INT,
            OP,
            stock,
            _warehouse("stock", "count.opening"),
            Kind.INPUT,
            counted,
            description="on the shelf when purchases began to be tracked: the first FIFO layer, at the typed cost",
        ),
        Column(
            "stock_lead_time",
            "Lead time (days)",
            INT,
            OP,
            stock,
            _reorder("lead_time_days"),
            Kind.INPUT,
            counted,
            description="ordering to arrival; blank: what the SKU's arrived purchases took",
        ),
        Column("stock_allocated", "For open orders", INT, OP, stock, _warehouse("stock", "allocated"), Kind.COMPUTED),
        Column("stock_remaining", "Left after orders", INT, OP, stock, _warehouse("stock", "remaining"), Kind.COMPUTED),
        Column("stock_shortfall", "Short", INT, OP, stock, _warehouse("stock", "short_units"), Kind.COMPUTED),
        Column(
            "stock_state",
            "State",
            EN,
            OP,
            stock,
            _warehouse("stock", "state"),
            Kind.COMPUTED,
            enum_values=("ok", "low", "out", "not counted"),
        ),
        *_outlook_columns(stock),
    ]


def _reorder(attr: str) -> Callable[[Source], Value]:
    def value(src: Source) -> Value:
        plan = src.stock.reorder if src.stock else None
        result: Value = getattr(plan, attr) if plan else None
        return result

    return value


def _outlook_columns(stock: frozenset[Grain]) -> list[Column]:
    """What is arriving and the reorder suggestion (issue 21), one column per row of this table."""
    table: list[tuple[str, str, ColumnType, Callable[[Source], Value], str]] = [
        ("stock_arriving", "Arriving", INT, _warehouse("stock", "arriving"), "units bought and on their way"),
        ("stock_next_arrival", "Next arrival", T, _warehouse("stock", "next_arrival_label"), "units and expected day"),
        ("stock_sold_7", "Sold 7 days", INT, _reorder("sold_7"), ""),
        ("stock_sold_30", "Sold 30 days", INT, _reorder("sold_30"), ""),
        ("stock_per_day", "Sold per day", ColumnType.DECIMAL, _reorder("per_day"), "the higher of the 7 and 30 days"),
        ("stock_cover", "Days of cover", ColumnType.DECIMAL, _reorder("cover_days"), "(left + arriving) / per day"),
        (
            "stock_suggested",
            "Suggested order",
            INT,
            _reorder("suggested"),
            "per day × lead time + reorder point − (left after orders + arriving)",
        ),
    ]
    return [
        Column(key=key, header=header, type=kind, sensitivity=OP, grains=stock, value=value, kind=Kind.COMPUTED,
               description=about)
        for key, header, kind, value, about in table
    ]  # fmt: skip


def _purchase_columns() -> list[Column]:
    """The procurement purchase and consolidation tabs (issue 21); what buying costs is `purchase` class."""
    buyer = frozenset({"procurement"})
    line, ship = frozenset({Grain.PURCHASE_LINE}), frozenset({Grain.CONSOLIDATION})
    statuses = tuple(LINE_LABELS.values())
    # key, header, type, class, the view's field, who writes it (typed: procurement), note
    lines: list[tuple[str, str, ColumnType, Sensitivity, str, Kind, str]] = [
        ("po_key", "Purchase line", T, OP, "key", Kind.KEY, "platform:supplier's order number/line"),
        ("po_platform", "Bought on", T, OP, "platform", Kind.SYNCED, "taobao, 1688 or other"),
        ("po_supplier", "Supplier", T, OP, "supplier", Kind.INPUT, ""),
        ("po_order_no", "Supplier order", T, OP, "supplier_order_no", Kind.SYNCED, ""),
        ("po_item", "Item", T, OP, "item_title", Kind.SYNCED, ""),
        ("po_item_link", "Item link", T, OP, "item_link", Kind.INPUT, ""),
        ("po_item_spec", "Spec", T, OP, "item_spec", Kind.INPUT, ""),
        ("po_sku", "Seller SKU", T, OP, "seller_sku", Kind.INPUT, "remembered for this item and spec"),
        ("po_qty_ordered", "Ordered", INT, OP, "quantity_ordered", Kind.INPUT, ""),
        ("po_qty_received", "Received", INT, OP, "quantity_received", Kind.INPUT, "blank: counted as ordered"),
        ("po_unit_price", "Unit price", M, PUR, "unit_price", Kind.INPUT, ""),
        ("po_currency", "Currency", T, PUR, "currency", Kind.INPUT, "of the supplier order"),
        ("po_domestic_shipping", "Domestic shipping", M, PUR, "domestic_shipping", Kind.INPUT, "whole order"),
        ("po_paid_on", "Paid on", D, OP, "paid_on", Kind.INPUT, ""),
        ("po_tracking", "Domestic tracking", T, OP, "tracking", Kind.INPUT, ""),
        ("po_status", "Status", EN, OP, "status", Kind.INPUT, "a consolidation's status drives its lines"),
        ("po_consolidation", "Consolidation", T, OP, "consolidation", Kind.INPUT, "type a name to group lines"),
        ("po_warehouse", "Receiving warehouse", T, OP, "warehouse", Kind.INPUT, ""),
        ("po_expected_on", "Expected", D, OP, "expected_on", Kind.INPUT, ""),
        ("po_arrived_on", "Arrived", D, OP, "arrived_on", Kind.INPUT, ""),
        ("po_weight", "Weight (kg)", ColumnType.DECIMAL, OP, "weight_kg", Kind.INPUT, "as the forwarder weighed it"),
        ("po_volumetric", "Volumetric (kg)", ColumnType.DECIMAL, OP, "volumetric_kg", Kind.INPUT, ""),
        ("po_landed_cost", "Landed unit cost", M, PUR, "landed_unit_cost", Kind.COMPUTED, "per received unit"),
        ("po_landed_note", "Landed cost note", T, OP, "landed_note", Kind.COMPUTED, "what it still waits for"),
    ]
    shipments: list[tuple[str, str, ColumnType, Sensitivity, str, Kind, str]] = [
        ("cons_key", "Consolidation", T, OP, "name", Kind.KEY, ""),
        ("cons_forwarder", "Forwarder", T, OP, "forwarder", Kind.INPUT, ""),
        ("cons_tracking", "International tracking", T, OP, "tracking", Kind.INPUT, ""),
        ("cons_status", "Status", EN, OP, "status", Kind.INPUT, "packing, shipped, arrived"),
        ("cons_warehouse", "Receiving warehouse", T, OP, "warehouse", Kind.INPUT, ""),
        ("cons_expected_on", "Expected", D, OP, "expected_on", Kind.INPUT, ""),
        ("cons_arrived_on", "Arrived", D, OP, "arrived_on", Kind.INPUT, ""),
        ("cons_weight", "Weight (kg)", ColumnType.DECIMAL, OP, "weight_kg", Kind.INPUT, ""),
        ("cons_volumetric", "Volumetric (kg)", ColumnType.DECIMAL, OP, "volumetric_kg", Kind.INPUT, ""),
        ("cons_chargeable", "Chargeable (kg)", ColumnType.DECIMAL, OP, "chargeable_kg", Kind.COMPUTED, "the larger"),
        ("cons_freight", "Freight", M, PUR, "freight", Kind.INPUT, "shared by chargeable weight, else value"),
        ("cons_duties", "Duties and clearance", M, PUR, "duties", Kind.INPUT, "shared by customs value"),
        ("cons_vat", "Import VAT (reclaimable)", M, PUR, "import_vat", Kind.INPUT, "never part of landed cost"),
        ("cons_fees", "Forwarder fees", M, PUR, "fees", Kind.INPUT, "shared by units"),
        ("cons_currency", "Currency", T, PUR, "currency", Kind.INPUT, "of the charges"),
        ("cons_paid_on", "Freight paid on", D, OP, "paid_on", Kind.INPUT, "its rate converts freight and fees"),
        ("cons_duties_paid_on", "Duties paid on", D, OP, "duties_paid_on", Kind.INPUT, "blank: as freight"),
        ("cons_lines", "Lines", INT, OP, "lines", Kind.COMPUTED, ""),
        ("cons_units", "Units", INT, OP, "units", Kind.COMPUTED, ""),
    ]
    enums = {"po_status": statuses, "cons_status": tuple(s.value for s in ShipmentStatus)}
    return [
        Column(key=key, header=header, type=kind, sensitivity=cls, grains=grains,
               value=_warehouse(part, attr), kind=writer, editable_by=buyer if writer is Kind.INPUT else frozenset(),
               enum_values=enums.get(key, ()), description=about)
        for part, grains, table in (("purchase", line, lines), ("consolidation", ship, shipments))
        for key, header, kind, cls, attr, writer, about in table
    ]  # fmt: skip


def _report_columns() -> list[Column]:
    """Profit summaries (issue 7) and handling times (issue 8): one row per key and currency, never summed across."""
    profit = frozenset({Grain.PROFIT_MONTH, Grain.PROFIT_SKU, Grain.PROFIT_SHOP})
    handling, board = frozenset({Grain.HANDLING}), frozenset({Grain.LEADERBOARD})
    trend = frozenset({Grain.HANDLING_TREND})
    both = handling | board
    return [
        Column("profit_key", "Key / currency", T, OP, profit, _summary_key, Kind.KEY, hidden=True),
        Column(
            "profit_month", "Month", T, OP, frozenset({Grain.PROFIT_MONTH}), _summary("key"), Kind.COMPUTED, words=True
        ),
        Column(
            "profit_sku", "Seller SKU", T, OP, frozenset({Grain.PROFIT_SKU}), _summary("key"), Kind.COMPUTED, words=True
        ),
        Column(
            "profit_shop", "Shop", T, OP, frozenset({Grain.PROFIT_SHOP}), _summary("key"), Kind.COMPUTED, words=True
        ),
        Column("profit_currency", "Currency", T, OP, profit, _summary("currency"), Kind.COMPUTED),
        Column("profit_orders", "Orders", INT, OP, profit, _summary("orders"), Kind.COMPUTED),
        Column("profit_revenue", "Revenue", M, SALES, profit, _summary("revenue"), Kind.COMPUTED),
        *(
            Column(
                f"profit_fee_{pool}",
                f"{pool.capitalize()} fees",
                M,
                COST,
                profit,
                _summary(f"pools.{pool}"),
                Kind.COMPUTED,
            )
            for pool in POOLS
        ),
        Column("profit_fees", "Fees total", M, COST, profit, _summary("fees_total"), Kind.COMPUTED),
        Column("profit_cogs", "COGS", M, COST, profit, _summary("cogs"), Kind.COMPUTED),
        Column("profit_net", "Net profit", M, COST, profit, _summary("net_profit"), Kind.COMPUTED),
        Column("profit_margin", "Margin", P, COST, profit, _summary("margin"), Kind.COMPUTED),
        Column(
            "profit_affiliate_orders", "Affiliate orders", INT, OP, profit, _summary("affiliate_orders"), Kind.COMPUTED
        ),
        Column(
            "profit_affiliate_net",
            "Affiliate net profit",
            M,
            COST,
            profit,
            _summary("affiliate_net_profit"),
            Kind.COMPUTED,
        ),
        Column(
            "profit_organic_net", "Organic net profit", M, COST, profit, _summary("organic_net_profit"), Kind.COMPUTED
        ),
        Column(
            "profit_missing_costs",
            "Orders missing a cost",
            INT,
            COST,
            profit,
            _summary("missing_cost_orders"),
            Kind.COMPUTED,
            description="orders left out of COGS, net profit and margin",
        ),
        Column(
            "profit_reporting_currency",
            "Reporting currency",
            T,
            OP,
            profit,
            _summary("reporting_currency"),
            Kind.COMPUTED,
        ),
        Column(
            "profit_reporting_revenue",
            "Revenue (reporting)",
            M,
            SALES,
            profit,
            _summary("reporting_revenue"),
            Kind.COMPUTED,
            description="each order converted at the rate of its paid date",
        ),
        Column(
            "profit_reporting_net",
            "Net profit (reporting)",
            M,
            COST,
            profit,
            _summary("reporting_net_profit"),
            Kind.COMPUTED,
        ),
        Column(
            "profit_missing_rates",
            "Orders missing a rate",
            INT,
            COST,
            profit,
            _summary("missing_rate_orders"),
            Kind.COMPUTED,
            description="orders left out of the reporting-currency figures",
        ),
        Column(
            "handling_key", "Row", T, OP, handling, _stats("Period", "Stage", "Role", "Member"), Kind.KEY, hidden=True
        ),
        Column("handling_period", "Period", T, OP, handling, _stats("Period"), Kind.COMPUTED, words=True),
        Column("handling_role", "Role", T, OP, handling, _stats("Role"), Kind.COMPUTED, words=True),
        Column("leaderboard_key", "Row", T, OP, board, _stats("Window", "Stage", "Member"), Kind.KEY, hidden=True),
        Column("leaderboard_window", "Window", T, OP, board, _stats("Window"), Kind.COMPUTED, words=True),
        Column("leaderboard_rank", "Rank", INT, OP, board, _stats("Rank"), Kind.COMPUTED),
        Column("stage", "Stage", T, OP, both, _stats("Stage"), Kind.COMPUTED, words=True),
        Column("stage_member", "Member", T, OP, both, _stats("Member"), Kind.COMPUTED, words=True),
        Column("stage_handled", "Handled", INT, OP, both, _stats("Handled"), Kind.COMPUTED),
        Column("stage_median_hours", "Median (h)", ColumnType.HOURS, OP, both, _stats("Median (h)"), Kind.COMPUTED),
        Column("stage_p90_hours", "P90 (h)", ColumnType.HOURS, OP, both, _stats("P90 (h)"), Kind.COMPUTED),
        Column("trend_period", "Period", T, OP, trend, _stats("Period"), Kind.KEY),
        *(
            Column(f"trend_{stage}_median", header, ColumnType.HOURS, OP, trend, _stats(header), Kind.COMPUTED)
            for stage, header in TREND_HEADERS.items()
        ),
    ]


def _pack_state(src: Source) -> ShipState:
    if src.pack is None:
        raise ValueError("this column needs a pack row")
    return src.pack.shipping


def _shipping(attr: str) -> Callable[[Source], Value]:
    return _attr_of(_pack_state, attr)


def _carrier_events(attr: str) -> Callable[[Source], Value]:
    return _attr_of(lambda src: src.order.tracking, attr)


def _fulfilment_columns() -> list[Column]:
    """Handovers, labels and waves in the pack list; tracking in order tabs; the carrier scorecard (issue 18).

    Label links are personal data: a label shows the buyer's name and address.
    """
    pack, warehouse = frozenset({Grain.PACK}), frozenset({"warehouse"})
    score = frozenset({Grain.CARRIER_MONTH})

    def cell(header: str) -> Callable[[Source], Value]:
        return _stats(header)

    return [
        Column("pack_option", "Delivery option", T, OP, pack, _shipping("delivery_option")),
        Column(
            "pack_handover",
            "Ready: handover",
            T,
            OP,
            pack,
            _shipping("handover"),
            Kind.INPUT,
            warehouse,
            description="platform ships: pick Drop-off or a pickup slot and the package ships; marked in one "
            "pass, the packages form a wave with one PDF of their labels",
            choices=lambda src: _pack_state(src).handover_list or None,
        ),
        Column(
            "pack_tracking",
            "Tracking number",
            T,
            OP,
            pack,
            _shipping("tracking"),
            Kind.INPUT,
            warehouse,
            description="you ship: the carrier's tracking number (with the carrier, it ships)",
        ),
        Column("pack_state", "Shipping", T, OP, pack, _shipping("state"), Kind.COMPUTED, words=True),
        Column("pack_label", "Label", T, PERSONAL, pack, _shipping("label"), Kind.COMPUTED),
        Column("pack_wave", "Wave", T, OP, pack, _shipping("wave"), Kind.COMPUTED, words=True),
        Column("pack_wave_label", "Wave labels", T, PERSONAL, pack, _shipping("wave_label"), Kind.COMPUTED),
        Column("pack_together", "Combine / split", T, OP, pack, _shipping("together"), Kind.COMPUTED, words=True),
        Column(
            "pack_action",
            "Action",
            EN,
            OP,
            pack,
            lambda src: "",
            Kind.INPUT,
            warehouse,
            ("Combine", "Split"),
            "Combine a buyer's packages, or Split one, where the platform allows it",
        ),
        Column("tracking_latest", "Latest tracking", T, OP, ORDER_GRAINS, _carrier_events("latest")),
        Column(
            "tracking_latest_at", "Tracking updated (shop time)", DT, OP, ORDER_GRAINS, _carrier_events("latest_at")
        ),
        Column("days_in_transit", "Days in transit", INT, OP, ORDER_GRAINS, _carrier_events("days"), Kind.COMPUTED),
        Column(
            "delivery_problem",
            "Delivery problem",
            T,
            OP,
            ORDER_GRAINS,
            lambda src: PROBLEM_LABELS.get(src.order.tracking.problem or "", "") if src.order.tracking else "",
            description="failed delivery or returned to sender, from the carrier's events",
            words=True,
        ),
        Column("label", "Label", T, PERSONAL, ORDER_GRAINS, _order("label"), Kind.COMPUTED),
        Column("score_key", SCORE_HEADERS[0], T, OP, score, cell(SCORE_HEADERS[0]), Kind.KEY),
        Column("score_month", "Month", T, OP, score, cell("Month"), Kind.COMPUTED),
        Column("score_carrier", "Carrier", T, OP, score, cell("Carrier"), Kind.COMPUTED),
        Column("score_parcels", "Parcels", INT, OP, score, cell("Parcels"), Kind.COMPUTED),
        Column("score_median_days", "Median days", ColumnType.DAYS, OP, score, cell("Median days"), Kind.COMPUTED),
        Column("score_on_time", "On time", P, OP, score, cell("On time"), Kind.COMPUTED),
        Column("score_failed", "Failed deliveries", INT, OP, score, cell("Failed deliveries"), Kind.COMPUTED),
    ]
