"""Column profiles: which columns a tab shows, for whom, and which rows; and the projection of views to rows.

A profile is data (schemas/profiles/*.json, or a team's custom one). It is refused as a whole when a
column is unknown, does not fit the grain, or shows a class its audience role may not see, because
anyone who can open a spreadsheet can read every cell in it (DESIGN.md, "Segregation by not writing").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from backend.domain.access import RolePolicy, Sensitivity, join_words
from backend.domain.after_sales import CaseView, RateRow
from backend.domain.columns import (
    KEY_COLUMNS,
    ORDER_GRAINS,
    SHEETS_EPOCH,
    Column,
    DayTotals,
    Dropdown,
    Formula,
    Grain,
    Source,
    Value,
    serial,
)
from backend.domain.pending_actions import BoardRow
from backend.domain.phrases import Phrase, joined
from backend.domain.reports import SummaryRow
from backend.domain.status import OrderStatus
from backend.domain.stock import WarehouseRows
from backend.domain.views import FxRateView, OrderView, PurchasingRows, SkuCostView
from backend.errors import InvalidInput

# A cell as the sheet plan writes it: text, a number (dates already serials), a flag, a formula, a value
# with its own dropdown, or empty.
Cell = str | int | float | Decimal | bool | Formula | Dropdown | None


class ProfileRejected(InvalidInput):
    """The profile cannot be used as given; `problems` lists every reason, not just the first."""

    code = "profile_rejected"

    def __init__(self, message: str, problems: Sequence[str]) -> None:
        super().__init__(message, problems=list(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class SortKey:
    column: str
    descending: bool = False


@dataclass(frozen=True)
class RowFilter:
    """Which orders a tab lists: statuses, shops (id or name), and an age window on the order date."""

    statuses: frozenset[str] = frozenset()
    shops: frozenset[str] = frozenset()
    max_age_days: int | None = None

    def keeps(self, view: OrderView, now: datetime) -> bool:
        held = view.is_on_hold and OrderStatus.ON_HOLD in self.statuses
        if self.statuses and view.status not in self.statuses and not held:
            return False
        if self.shops and str(view.shop_id) not in self.shops and view.shop_name not in self.shops:
            return False
        return self.max_age_days is None or now - view.created_at <= timedelta(days=self.max_age_days)


@dataclass(frozen=True)
class ChartSpec:
    """A chart kept on the tab: `domain` along the axis, one bar or line per `series` column.

    Rows whose key starts with `leave_out` (totals, kept last by the report) are not charted.
    """

    type: str
    title: str
    domain: str
    series: tuple[str, ...]
    leave_out: str = ""


@dataclass(frozen=True)
class Profile:
    key: str
    title: str
    audience_role: str
    grain: Grain
    columns: tuple[Column, ...]
    row_filter: RowFilter = RowFilter()
    sort: tuple[SortKey, ...] = ()
    description: str = ""
    chart: ChartSpec | None = None

    @property
    def sensitivities(self) -> frozenset[Sensitivity]:
        return frozenset(c.sensitivity for c in self.columns)

    @property
    def keeps_order(self) -> bool:
        """Rows stay in the profile's order (reports close with their totals; charts read rows in order),
        so the writer rewrites such a tab in order rather than appending new rows at the bottom."""
        return self.chart is not None or self.grain in REPORT_SOURCES

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns)

    def index_of(self, column_key: str) -> int:
        return next(i for i, c in enumerate(self.columns) if c.key == column_key)


# A row's place in the profile's order as plain JSON-able data: one value per sort column (None when
# empty), then the tie-break (order id and index within the order, or the index of the row).
Rank = tuple[str | int | float | bool | None, ...]


@dataclass(frozen=True)
class Row:
    """One row of a tab. `owner` is the order it shows (order grains), so a push that re-reads only the
    orders that changed knows which rows they own; `rank` is where the profile's sort puts it (sort
    values, then a tie-break), kept with the row so new rows can be placed among ones not re-read."""

    key: str
    cells: tuple[Cell, ...]
    owner: int | None = None
    rank: Rank | None = None
    # Column index → the key of this row's dropdown list (Column.choices), for per-row dropdowns.
    lists: Mapping[int, str] = field(default_factory=dict, compare=False)


class _Descending:
    """Reverses the order of a text value (numbers are simply negated)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _Descending) -> bool:
        return bool(self.value > other.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Descending) and self.value == other.value

    def __hash__(self) -> int:
        return hash(self.value)


def rank_value(cell: Cell) -> str | int | float | bool | None:
    """A cell as its sort column compares it: empty is None, a formula by its text, money as a number."""
    if cell is None or cell == "":
        return None
    if isinstance(cell, Formula):
        return cell.text
    if isinstance(cell, Dropdown):
        return cell.value or None
    if isinstance(cell, Decimal):
        return float(cell)
    return cell


def _rank(value: Value, cell: Cell) -> str | int | float | bool | None:
    """A time ranks as the instant it is (its cell shows the shop's wall clock), so the orders of shops in
    different zones interleave by urgency; any other value as its cell."""
    return value.timestamp() if isinstance(value, datetime) else rank_value(cell)


def order_key(profile: Profile, rank: Sequence[Any]) -> tuple[Any, ...]:
    """A comparable key for `rank`: each sort column ascending or descending with empty cells last (as the
    profile's sort), then the tie-break ascending."""
    parts: list[Any] = []
    for sort, value in zip(profile.sort, rank, strict=False):
        if value is None:
            parts.append((1,))
        elif not sort.descending:
            parts.append((0, value))
        elif isinstance(value, int | float):
            parts.append((0, -value))
        else:
            parts.append((0, _Descending(value)))
    return (*parts, *rank[len(profile.sort) :])


def parse_profile(
    doc: Mapping[str, Any], catalogue: Mapping[str, Column], policy: RolePolicy, *, check_audience: bool = True
) -> Profile:
    """Build a Profile from its JSON document (already schema-valid), checking it against the role table.

    `check_audience=False` reads a definition stored earlier: a column may have changed class since, and
    the check belongs where the profile is used (each tab's file, each binder), not on every read of it.
    """
    problems: list[str] = []
    key = str(doc["key"])
    role = str(doc["audience_role"])
    grain = Grain(doc["grain"])
    if not policy.is_role(role):
        problems.append(Phrase("unknown audience role {role!r}", role=role))
    wanted = [str(k) for k in doc["columns"]]
    key_column = KEY_COLUMNS[grain]
    if not wanted or wanted[0] != key_column:
        wanted = [key_column, *(k for k in wanted if k != key_column)]
    columns: list[Column] = []
    for name in wanted:
        column = catalogue.get(name)
        if column is None:
            problems.append(Phrase("unknown column {column!r}", column=name))
        elif grain not in column.grains:
            problems.append(
                Phrase("column {column!r} has no value per {grain}", column=name, grain=grain.value.replace("_", " "))
            )
        elif any(c.key == name for c in columns):
            problems.append(Phrase("column {column!r} is listed twice", column=name))
        else:
            columns.append(column)
    unseen = visibility_problems(columns, role, policy) if check_audience and policy.is_role(role) else []
    problems += unseen
    sort = tuple(SortKey(str(s["column"]), bool(s.get("descending", False))) for s in doc.get("sort", ()))
    problems += [
        Phrase("sort column {column!r} is not in the profile", column=s.column) for s in sort if s.column not in wanted
    ]
    chart = _chart(doc.get("chart"), str(doc.get("title", key)))
    if chart:
        problems += [
            Phrase("chart column {column!r} is not in the profile", column=c)
            for c in (chart.domain, *chart.series)
            if c not in wanted
        ]
    if problems:
        if problems == unseen:  # the one refusal a person building a profile in the sidebar can meet
            label = policy.label(role)
            who = Phrase("A profile for {role}", role=label)
            message = in_words(columns, role, policy, who=who, fix=Phrase("untick those columns"))
            raise ProfileRejected(message, problems)
        raise ProfileRejected(
            Phrase("profile {key!r} refused: {problems}", key=key, problems=joined(problems)), problems
        )
    spec = doc.get("filter", {})
    row_filter = RowFilter(
        statuses=frozenset(spec.get("statuses", ())),
        shops=frozenset(str(s) for s in spec.get("shops", ())),
        max_age_days=spec.get("max_age_days"),
    )
    return Profile(
        key=key,
        title=str(doc.get("title", key)),
        audience_role=role,
        grain=grain,
        columns=tuple(columns),
        row_filter=row_filter,
        sort=sort,
        description=str(doc.get("description", "")),
        chart=chart,
    )


def _chart(spec: Mapping[str, Any] | None, title: str) -> ChartSpec | None:
    if not spec:
        return None
    series = tuple(str(s) for s in spec["series"])
    leave_out = str(spec.get("leave_out", ""))
    return ChartSpec(str(spec["type"]), str(spec.get("title", title)), str(spec["domain"]), series, leave_out)


def visibility_problems(columns: Iterable[Column], role: str, policy: RolePolicy) -> list[str]:
    """One line per column `role` may not see, naming the column and its class."""
    return [
        Phrase(
            "column {column!r} is {kind} data, which the {role} role may not see",
            column=c.key,
            kind=c.sensitivity.value,
            role=role,
        )
        for c in columns
        if not policy.may_see(role, c.sensitivity)
    ]


NAMED_COLUMNS = 3  # a refusal names this many columns by header, then says how many more


def in_words(columns: Iterable[Column], role: str, policy: RolePolicy, *, who: str, fix: str) -> str:
    """Why `role` may not see some of `columns`, as one sentence a seller understands: the kind of data (the
    role table in words), the columns by header, who may see them, and `fix` — never a column key."""
    unseen = [c for c in columns if not policy.may_see(role, c.sensitivity)]
    kinds = list(dict.fromkeys(c.sensitivity for c in unseen))
    headers = list(dict.fromkeys(c.header for c in unseen))
    more = len(headers) - NAMED_COLUMNS
    named = join_words([*headers[:NAMED_COLUMNS], *([f"{more} more"] if more > 0 else [])])
    allowed = join_words([policy.label(r) for r in policy.roles_seeing(kinds)], "or")
    kinds_in_words = join_words([policy.words(k) for k in kinds], "or")
    return Phrase(
        "{who} cannot show {kinds} ({named}), which only {allowed} may see: {fix}.",
        who=who,
        kinds=kinds_in_words,
        named=named,
        allowed=allowed,
        fix=fix,
    )


def check_shown_to(profile: Profile, role: str, policy: RolePolicy, *, who: str, fix: str) -> None:
    """Refuse when `role` (a spreadsheet's audience or a binder's role) may not see every column shown;
    the message is in words, `problems` (the exception's detail) names the columns by key for API clients."""
    problems = visibility_problems(profile.columns, role, policy)
    if problems:
        raise ProfileRejected(in_words(profile.columns, role, policy, who=who, fix=fix), problems)


def day_totals(views: Iterable[OrderView]) -> list[DayTotals]:
    """Orders per day (in the shop's zone) and currency; money is summed only within one currency.

    Only orders that are revenue count (an unpaid or cancelled order is no sale): the ledger's rules.
    """
    buckets: dict[tuple[date, str], list[OrderView]] = defaultdict(list)
    for view in views:
        if view.ledger is not None and not view.ledger.counts:
            continue
        day = view.created_at.astimezone(ZoneInfo(view.shop_time_zone)).date()
        buckets[(day, view.currency)].append(view)
    totals = []
    for (day, currency), group in sorted(buckets.items()):
        ledgers = [v.ledger for v in group if v.ledger is not None]
        complete = [e for e in ledgers if e.net_profit is not None and e.cogs is not None]
        totals.append(
            DayTotals(
                day=day,
                currency=currency,
                orders=len(group),
                units=sum(v.units for v in group),
                revenue=sum((e.revenue for e in ledgers), Decimal(0)),
                fees_total=sum((e.fees_total for e in ledgers), Decimal(0)),
                cogs=sum((e.cogs for e in complete if e.cogs is not None), Decimal(0)),
                net_profit=sum((e.net_profit for e in complete if e.net_profit is not None), Decimal(0)),
                missing_costs=len(group) - len(complete),
            )
        )
    return totals


# The warehouse's own row sets (services/stock.py builds them): one row per SKU to pick, parcel, SKU × warehouse.
WAREHOUSE_SOURCES: dict[Grain, Callable[[WarehouseRows, str], list[Source]]] = {
    Grain.PICK: lambda rows, zone: [Source(pick=p, sheet_zone=zone) for p in rows.picks],
    Grain.PACK: lambda rows, zone: [Source(pack=p, sheet_zone=zone) for p in rows.packs],
    Grain.STOCK: lambda rows, zone: [Source(stock=p, sheet_zone=zone) for p in rows.positions],
}


# Procurement's own row sets (services/purchases.py builds them): one row per purchase line, per consolidation.
PURCHASING_SOURCES: dict[Grain, Callable[[PurchasingRows, str], list[Source]]] = {
    Grain.PURCHASE_LINE: lambda rows, zone: [Source(purchase=p, sheet_zone=zone) for p in rows.lines],
    Grain.CONSOLIDATION: lambda rows, zone: [Source(consolidation=c, sheet_zone=zone) for c in rows.consolidations],
}


@dataclass(frozen=True)
class ReportRows:
    """Rows services compute for a tab rather than projecting order views: profit summaries
    (domain/reports.py), analytics tables, after-sales cases, the Pending-Action board and rates.

    An analytics block is its header row followed by its rows (backend/domain/analytics.py); a column
    reads a cell by its header.
    """

    summaries: Sequence[SummaryRow] = ()
    analytics: Sequence[Sequence[Value]] = ()
    cases: Sequence[CaseView] = ()
    board: Sequence[BoardRow] = ()
    rates: Sequence[RateRow] = ()

    def stats(self) -> list[dict[str, Value]]:
        if not self.analytics:
            return []
        header = [str(h) for h in self.analytics[0]]
        return [dict(zip(header, row, strict=True)) for row in self.analytics[1:]]


def _summary_sources(rows: ReportRows, zone: str) -> list[Source]:
    return [Source(summary=s, sheet_zone=zone) for s in rows.summaries]


def _analytics_sources(rows: ReportRows, zone: str) -> list[Source]:
    return [Source(stats=s, sheet_zone=zone) for s in rows.stats()]


REPORT_SOURCES: dict[Grain, Callable[[ReportRows, str], list[Source]]] = {
    Grain.PROFIT_MONTH: _summary_sources,
    Grain.PROFIT_SKU: _summary_sources,
    Grain.PROFIT_SHOP: _summary_sources,
    Grain.HANDLING: _analytics_sources,
    Grain.LEADERBOARD: _analytics_sources,
    Grain.HANDLING_TREND: _analytics_sources,
    Grain.CARRIER_MONTH: _analytics_sources,
    Grain.AFTER_SALE: lambda rows, zone: [Source(case=c, sheet_zone=zone) for c in rows.cases],
    Grain.PENDING_ACTION: lambda rows, zone: [Source(board=b, sheet_zone=zone) for b in rows.board],
    Grain.AFTER_SALES_RATE: lambda rows, zone: [Source(rate=r, sheet_zone=zone) for r in rows.rates],
}


def sources(
    profile: Profile,
    views: Iterable[OrderView],
    skus: Iterable[SkuCostView],
    now: datetime,
    sheet_zone: str,
    *,
    warehouse: WarehouseRows | None = None,
    reports: ReportRows | None = None,
    rates: Iterable[FxRateView] = (),
    purchasing: PurchasingRows | None = None,
) -> list[Source]:
    """The profile's rows before projection: filtered orders, exploded or aggregated by grain."""
    if profile.grain is Grain.SKU:
        return [Source(sku=s, sheet_zone=sheet_zone) for s in skus]
    if profile.grain is Grain.FX_RATE:
        return [Source(fx=r, sheet_zone=sheet_zone) for r in rates]
    if profile.grain in WAREHOUSE_SOURCES:
        return WAREHOUSE_SOURCES[profile.grain](warehouse or WarehouseRows(), sheet_zone)
    if profile.grain in REPORT_SOURCES:
        return REPORT_SOURCES[profile.grain](reports or ReportRows(), sheet_zone)
    if profile.grain in PURCHASING_SOURCES:
        return PURCHASING_SOURCES[profile.grain](purchasing or PurchasingRows(), sheet_zone)
    return _order_sources(profile.grain, [v for v in views if profile.row_filter.keeps(v, now)], sheet_zone)


def _order_sources(grain: Grain, kept: Sequence[OrderView], sheet_zone: str) -> list[Source]:
    """Orders as rows: one per order, SKU line or package, or aggregated per day."""
    if grain is Grain.DAY:
        return [Source(day=d, sheet_zone=sheet_zone) for d in day_totals(kept)]
    if grain is Grain.ORDER_LINE:
        return [Source(view=v, line=line, sheet_zone=sheet_zone) for v in kept for line in v.lines]
    if grain is Grain.PACKAGE:
        return [
            Source(view=v, package=p, sheet_zone=sheet_zone) for v in kept for p in (v.packages or (None,))
        ]  # an order not yet packed still has a row
    return [Source(view=v, sheet_zone=sheet_zone) for v in kept]


def to_cell(value: Value, zone: str) -> Cell:
    """Dates and durations become serials; a datetime is shown on the clock of `zone`."""
    if isinstance(value, datetime):
        return serial(value, zone)
    if isinstance(value, date):
        return float((value - SHEETS_EPOCH.date()).days)
    if isinstance(value, timedelta):
        return value / timedelta(days=1)
    return value


def project(
    profile: Profile,
    views: Iterable[OrderView],
    *,
    now: datetime,
    sheet_zone: str,
    skus: Iterable[SkuCostView] = (),
    warehouse: WarehouseRows | None = None,
    reports: ReportRows | None = None,
    rates: Iterable[FxRateView] = (),
    purchasing: PurchasingRows | None = None,
) -> list[Row]:
    """The tab's rows in the profile's sort order; a column the profile omits is never computed.

    Ties keep the sources' order: by order id and place within the order for order grains, so the
    rows of a few re-read orders sort exactly where a full projection would put them.
    """
    rows = []
    sort_at = [profile.index_of(s.column) for s in profile.sort]
    listed = [(j, c.choices) for j, c in enumerate(profile.columns) if c.choices is not None]
    owner, sub = None, 0
    found = sources(
        profile, views, skus, now, sheet_zone, warehouse=warehouse, reports=reports, rates=rates, purchasing=purchasing
    )
    for index, src in enumerate(found):
        raw = tuple(c.value(src) for c in profile.columns)
        cells = tuple(to_cell(v, src.zone) for v in raw)
        values = tuple(_rank(raw[i], cells[i]) for i in sort_at)
        lists = {j: key for j, choices in listed if (key := choices(src))}
        if src.view is not None and profile.grain in ORDER_GRAINS:
            sub = sub + 1 if src.view.order_id == owner else 0
            owner = src.view.order_id
            rows.append(Row(str(cells[0]), cells, owner, (*values, owner, sub), lists))
        else:
            rows.append(Row(str(cells[0]), cells, None, (*values, index), lists))
    rows.sort(key=lambda r: order_key(profile, r.rank or ()))
    return rows
