"""Exchange rates: CSV import (OrderDeck's pairs or the ECB's reference rates), sheet edits, and loading
the rates a ledger computation needs.

A rate is keyed on (team, pair, day): importing or typing the same day again changes it, and every
change marks the team's tabs dirty, since the profit of any order paid on or after that day may move.
The ECB publishes one row per working day with one column per currency, each the units of that
currency per euro ("N/A" when it published none); those are stored as EUR→code rates as published
and crossed through EUR when a pair needs them (backend/domain/fx.py).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.orm import Session

from backend.domain.fx import CURRENCY, PIVOT, RATE_PLACES, FxRate, RateBook, pair_label
from backend.domain.phrases import Phrase, joined
from backend.domain.views import FxRateView
from backend.errors import InvalidInput
from backend.models import FxRate as StoredRate
from backend.models import SheetBinding, Shop, SkuCost, Spreadsheet, Team, utcnow
from backend.services import sheet_changes

PAIR_COLUMNS = ("date", "from", "to", "rate")
MISSING = frozenset({"", "N/A", "NA"})  # the ECB's way of saying it published no rate that day
MAX_RATE = Decimal(10) ** 12


@dataclass
class FxImport:
    """What one import did; `problems` has one line per bad CSV line ("line 7: …")."""

    layout: str = ""
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)
    first: date | None = None
    last: date | None = None

    @property
    def accepted(self) -> int:
        return self.created + self.updated + self.unchanged


def rate_row(day: str, base: str, quote: str, rate: str) -> FxRate:
    """Validate one rate as typed (a CSV line or a sheet row); the message says what to type instead."""
    problems: list[str] = []
    try:
        when = parse_day(day)
    except ValueError:
        problems.append(Phrase("date {day!r} must be a date as YYYY-MM-DD", day=day))
        when = date.min
    codes = base.strip().upper(), quote.strip().upper()
    problems += [Phrase("currency {code!r} must be a 3-letter code such as USD", code=c)
                 for c in codes if not CURRENCY.match(c)]  # fmt: skip
    if codes[0] == codes[1]:
        problems.append(Phrase("from and to are both {code}", code=codes[0]))
    try:
        value = Decimal(rate.strip())
    except ArithmeticError:
        value = Decimal("NaN")
    if not value.is_finite() or not 0 < value < MAX_RATE or -value.as_tuple().exponent > RATE_PLACES:  # type: ignore[operator]
        problems.append(
            Phrase("rate {rate!r} must be a number above 0 with at most {places} decimals", rate=rate,
                   places=RATE_PLACES)
        )  # fmt: skip
    if problems:
        raise InvalidInput(joined(problems))
    return FxRate(when, codes[0], codes[1], value)


def parse_day(text: str) -> date:
    """An ISO date, or the ECB daily file's "06 March 2026"."""
    text = text.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        return datetime.strptime(text, "%d %B %Y").date()  # noqa: DTZ007 - a calendar date, no time


def parse_rates_csv(text: str) -> tuple[str, list[FxRate], list[str]]:
    """(layout, rates, problems) of a rates CSV: the rows that are good, and one problem per bad line."""
    rows = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in next(rows, [])]
    names = [h.lower() for h in header]
    if set(PAIR_COLUMNS) <= set(names):
        return "pairs", *_collect(rows, _pair_line([names.index(c) for c in PAIR_COLUMNS]))
    codes = [h.upper() for h in header[1:]]
    while codes and not codes[-1]:
        codes.pop()  # the ECB's files end every line with a comma
    if names[:1] == ["date"] and codes and all(CURRENCY.match(c) for c in codes):
        return "ECB", *_collect(rows, _ecb_line(codes))
    expected = ", ".join(PAIR_COLUMNS)
    return "", [], [f"line 1: expected the columns {expected}, or the ECB's layout (Date, USD, JPY, …)"]


LineReader = Callable[[list[str]], list[FxRate | str]]  # one CSV line → its rates, or what is wrong with it


def _pair_line(at: list[int]) -> LineReader:
    """One rate per line, from the date, from, to and rate columns (found at `at`)."""

    def read(row: list[str]) -> list[FxRate | str]:
        try:
            return [rate_row(*(row[i] if i < len(row) else "" for i in at))]
        except InvalidInput as exc:
            return [exc.message]

    return read


def _ecb_line(codes: list[str]) -> LineReader:
    """One EUR→code rate per published currency of the line; "N/A" (none published) is skipped."""

    def read(row: list[str]) -> list[FxRate | str]:
        found: list[FxRate | str] = []
        for code, cell in zip(codes, row[1:], strict=False):
            if cell.strip().upper() in MISSING or code == PIVOT:
                continue
            try:
                found.append(rate_row(row[0], PIVOT, code, cell))
            except InvalidInput as exc:
                found.append(f"{code}: {exc.message}")
        return found

    return read


def _collect(rows: Iterable[list[str]], read: LineReader) -> tuple[list[FxRate], list[str]]:
    """Every good rate, and one problem per bad line or repeated (day, pair), named by its line number."""
    found: list[FxRate] = []
    problems: list[str] = []
    seen: dict[tuple[date, str, str], int] = {}
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        for rate in read(row):
            if isinstance(rate, str):
                problems.append(f"line {number}: {rate}")
                continue
            key = (rate.day, rate.base, rate.quote)
            if key in seen:
                pair = pair_label(rate.base, rate.quote)
                problems.append(f"line {number}: {pair} on {rate.day} repeats line {seen[key]}")
                continue
            seen[key] = number
            found.append(rate)
    return found, problems


def import_rates(session: Session, team: Team, text: str, *, file_name: str) -> FxImport:
    """Store every good line of a rates CSV and report each bad one (caller commits)."""
    layout, rates, problems = parse_rates_csv(text)
    result = upsert_rates(session, team, rates, source=f"{'ecb' if layout == 'ECB' else 'csv'}:{file_name}")
    result.layout, result.problems = layout, problems
    return result


def upsert_rates(session: Session, team: Team, rates: Sequence[FxRate], *, source: str) -> FxImport:
    """Create or change rates keyed on (pair, day), in bulk; marks the team's tabs dirty when any changed."""
    result = FxImport()
    if not rates:
        return result
    result.first, result.last = min(r.day for r in rates), max(r.day for r in rates)
    stored = {
        (r.base, r.quote, r.day): r
        for r in session.scalars(
            select(StoredRate).where(
                StoredRate.team_id == team.id,
                StoredRate.base.in_({r.base for r in rates}),
                StoredRate.quote.in_({r.quote for r in rates}),
                StoredRate.day.between(result.first, result.last),
            )
        )
    }
    new = []
    for rate in rates:
        row = stored.get((rate.base, rate.quote, rate.day))
        if row is None:
            new.append({"team_id": team.id, "base": rate.base, "quote": rate.quote, "day": rate.day,
                        "rate": rate.rate, "source": source[:320]})  # fmt: skip
        elif row.rate == rate.rate:
            result.unchanged += 1
        else:
            row.rate, row.source = rate.rate, source[:320]
            result.updated += 1
    if new:
        session.execute(insert(StoredRate), new)
        result.created = len(new)
    if result.created or result.updated:
        mark_team_dirty(session, team.id)
    session.flush()
    return result


def mark_team_dirty(session: Session, team_id: int) -> None:
    """Every tab of the team, every row: a rate, the reporting currency or a landed cost changes profit
    wherever it is shown (noted, so an incremental push re-projects the whole tab)."""
    files = select(Spreadsheet.id).where(Spreadsheet.team_id == team_id)
    ids = list(session.scalars(select(SheetBinding.id).where(SheetBinding.spreadsheet_id.in_(files))))
    session.execute(update(SheetBinding).where(SheetBinding.id.in_(ids)).values(dirty=True, dirty_since=utcnow()))
    sheet_changes.note(session, ids, None, team_id)


def rate_books(
    session: Session, team_ids: Collection[int], currencies: Collection[str], first: date, last: date
) -> dict[int, RateBook]:
    """The rates between `currencies` (and the pivot) that days from `first` to `last` can use, per team:
    those dated in the window, and each pair's newest one before it (two queries)."""
    wanted = sorted({*currencies, PIVOT})
    scope = (StoredRate.team_id.in_(team_ids), StoredRate.base.in_(wanted), StoredRate.quote.in_(wanted))
    columns = (StoredRate.team_id, StoredRate.day, StoredRate.base, StoredRate.quote, StoredRate.rate)
    inside = session.execute(select(*columns).where(*scope, StoredRate.day.between(first, last))).all()
    before = (
        select(StoredRate.team_id, StoredRate.base, StoredRate.quote, func.max(StoredRate.day).label("day"))
        .where(*scope, StoredRate.day < first)
        .group_by(StoredRate.team_id, StoredRate.base, StoredRate.quote)
        .subquery()
    )
    latest = session.execute(
        select(*columns).join(
            before,
            and_(
                StoredRate.team_id == before.c.team_id,
                StoredRate.base == before.c.base,
                StoredRate.quote == before.c.quote,
                StoredRate.day == before.c.day,
            ),
        )
    ).all()
    found: dict[int, list[FxRate]] = {}
    for team_id, day, base, quote, rate in [*inside, *latest]:
        found.setdefault(team_id, []).append(FxRate(day, base, quote, rate))
    return {team_id: RateBook(rates) for team_id, rates in found.items()}


def needed_pairs(session: Session, team: Team) -> dict[tuple[str, str], str]:
    """(from, to) → why the team needs it: costs in another currency than a shop's, and the reporting currency."""
    shops = set(session.scalars(select(Shop.currency).where(Shop.team_id == team.id)))
    costs = set(session.scalars(select(SkuCost.currency).where(SkuCost.team_id == team.id).distinct()))
    needed: dict[tuple[str, str], str] = {}
    for shop in sorted(shops):
        for cost in sorted(costs - {shop}):
            needed[(cost, shop)] = f"unit costs in {cost} on {shop} orders"
        if team.reporting_currency and team.reporting_currency != shop:
            needed[(shop, team.reporting_currency)] = f"reporting in {team.reporting_currency}"
    return needed


def rate_views(session: Session, team: Team) -> list[FxRateView]:
    """The rates tab: each stored pair's newest rate, then each pair the team needs that no rate answers."""
    newest = (
        select(StoredRate.base, StoredRate.quote, func.max(StoredRate.day).label("day"))
        .where(StoredRate.team_id == team.id)
        .group_by(StoredRate.base, StoredRate.quote)
        .subquery()
    )
    rows = session.scalars(
        select(StoredRate)
        .join(
            newest,
            and_(StoredRate.base == newest.c.base, StoredRate.quote == newest.c.quote, StoredRate.day == newest.c.day),
        )
        .where(StoredRate.team_id == team.id)
    ).all()
    needed = needed_pairs(session, team)
    book = RateBook(FxRate(r.day, r.base, r.quote, r.rate) for r in rows)
    views = {
        (r.base, r.quote): FxRateView(
            pair_label(r.base, r.quote), r.rate, r.day, r.source, needed.get((r.base, r.quote), "")
        )
        for r in rows
    }
    for (base, quote), why in needed.items():
        if (base, quote) not in views and book.conversion(base, quote, date.max) is None:
            views[(base, quote)] = FxRateView(pair_label(base, quote), needed_for=why)
    return [views[k] for k in sorted(views)]
