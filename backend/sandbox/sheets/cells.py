"""What a cell shows: effective values (formulas evaluated in the spreadsheet's time zone), formatted
values, and how typed input becomes a cell (RAW never parses, USER_ENTERED does)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from backend.domain import a1
from backend.sandbox.sheets import formats, formulas
from backend.sandbox.sheets.errors import invalid
from backend.sandbox.sheets.model import MAX_CELL_CHARS, Json, Rect, Sheet, Spreadsheet

_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?([eE][+-]?\d+)?$")
_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


class Book:
    """Formula view of one spreadsheet at one moment; cycles evaluate to #REF!."""

    def __init__(self, spreadsheet: Spreadsheet, now: dt.datetime) -> None:
        self.spreadsheet = spreadsheet
        self._now = formulas.now_serial(now, spreadsheet.time_zone)
        self._active: set[tuple[int, int, int]] = set()
        self._cache: dict[tuple[int, int, int], formulas.Value] = {}
        self._current: Sheet | None = None  # the sheet whose formula is being evaluated

    def now_serial(self) -> float:
        return self._now

    def _sheet(self, name: str | None, default: Sheet | None = None) -> Sheet:
        sheet = default if name is None else self.spreadsheet.sheet_by_title(name)
        if sheet is None:
            raise formulas.Failure(formulas.REF)
        return sheet

    def value_at(self, sheet: str | None, row: int, col: int) -> formulas.Value:
        return self.effective(self._sheet(sheet, self._current), row, col)

    def values_in(self, sheet: str | None, rng: a1.A1Range) -> list[formulas.Value]:
        target = self._sheet(sheet, self._current)
        r0, c0 = rng.start_row or 0, rng.start_col or 0
        r1 = min(rng.end_row if rng.end_row is not None else target.row_count, target.row_count)
        c1 = min(rng.end_col if rng.end_col is not None else target.column_count, target.column_count)
        keys = sorted(k for k in target.cells if r0 <= k[0] < r1 and c0 <= k[1] < c1)
        return [self.effective(target, r, c) for r, c in keys]

    def evaluate_on(self, sheet: Sheet, formula: str) -> formulas.Value:
        """A formula that is in no cell (a conditional format's rule), with `sheet` as its own sheet."""
        outer, self._current = self._current, sheet
        try:
            return formulas.evaluate(formula, self)
        finally:
            self._current = outer

    def effective(self, sheet: Sheet, row: int, col: int) -> formulas.Value:
        key = (sheet.sheet_id, row, col)
        if key in self._cache:
            return self._cache[key]
        entered = sheet.cells.get((row, col), {}).get("userEnteredValue")
        if not entered:
            return None
        if "formulaValue" not in entered:
            return plain_value(entered)
        if key in self._active:
            return formulas.REF
        self._active.add(key)
        outer, self._current = self._current, sheet
        try:
            value = formulas.evaluate(str(entered["formulaValue"]), self)
        finally:
            self._current = outer
            self._active.discard(key)
        self._cache[key] = value
        return value


def plain_value(entered: Json) -> formulas.Value:
    for key in ("numberValue", "stringValue", "boolValue"):
        if key in entered:
            value = entered[key]
            return float(value) if key == "numberValue" else value
    if "errorValue" in entered:
        return formulas.FormulaError(str(entered["errorValue"].get("message", "#ERROR!")))
    return None


def number_pattern(cell: Json) -> str | None:
    """The pattern a number in this cell is shown with (explicit format, else a formula's own)."""
    fmt = cell.get("userEnteredFormat", {}).get("numberFormat")
    if fmt:
        return str(fmt.get("pattern") or formats.DEFAULT_PATTERNS.get(fmt.get("type", ""), ""))
    formula = cell.get("userEnteredValue", {}).get("formulaValue")
    kind = formulas.result_format(str(formula)) if formula else None
    return formats.DEFAULT_PATTERNS[kind] if kind else None


def formatted(value: formulas.Value, cell: Json) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, formulas.FormulaError | str):
        return str(value)
    pattern = number_pattern(cell)
    return formats.render(value, pattern) if pattern and pattern != "@" else formats.general(value)


def error_json(value: formulas.FormulaError) -> Json:
    kind = {"#NAME?": "NAME", "#VALUE!": "VALUE", "#DIV/0!": "DIVIDE_BY_ZERO", "#REF!": "REF", "#N/A": "N_A"}
    return {"type": kind.get(value.code, "ERROR"), "message": value.code}


def extended(value: formulas.Value) -> Json:
    """An effective value as ExtendedValue JSON."""
    if isinstance(value, formulas.FormulaError):
        return {"errorValue": error_json(value)}
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, str):
        return {"stringValue": value}
    return {} if value is None else {"numberValue": value}


def check_length(entered: Json) -> None:
    for key in ("stringValue", "formulaValue"):
        if len(str(entered.get(key, ""))) > MAX_CELL_CHARS:
            raise invalid(f"Your input contains more than the maximum of {MAX_CELL_CHARS} characters in a single cell.")


def from_input(value: Any, user_entered: bool) -> tuple[Json, Json | None]:
    """A values-API input → (userEnteredValue, numberFormat it implies or None)."""
    if isinstance(value, bool):
        return {"boolValue": value}, None
    if isinstance(value, int | float):
        return {"numberValue": float(value)}, None
    text = str(value)
    if not user_entered:
        return {"stringValue": text}, None
    return parse_user_entered(text)


def parse_user_entered(text: str) -> tuple[Json, Json | None]:
    """Parse text as if typed into the UI: `=` formulas, booleans, numbers, percents, ISO dates."""
    if text.startswith("'"):
        return {"stringValue": text[1:]}, None
    if text.startswith("=") and len(text) > 1:
        return {"formulaValue": text}, None
    for parser in (_parse_bool, _parse_number, _parse_date):
        parsed = parser(text.strip())
        if parsed is not None:
            return parsed
    return {"stringValue": text}, None


def _parse_bool(text: str) -> tuple[Json, Json | None] | None:
    return ({"boolValue": text.upper() == "TRUE"}, None) if text.upper() in {"TRUE", "FALSE"} else None


def _parse_number(text: str) -> tuple[Json, Json | None] | None:
    number = text.rstrip("%").replace("$", "", 1)
    if not (number and _NUMBER.match(number) and any(ch.isdigit() for ch in number)):
        return None
    parsed = float(number.replace(",", ""))
    if text.endswith("%"):
        return {"numberValue": parsed / 100}, {"type": "PERCENT", "pattern": "0.00%"}
    if text.lstrip("+-").startswith("$"):
        return {"numberValue": parsed}, {"type": "CURRENCY", "pattern": '"$"#,##0.00'}
    return {"numberValue": parsed}, None


def _parse_date(text: str) -> tuple[Json, Json | None] | None:
    m = _DATE.match(text)
    if not m:
        return None
    year, month, day, hour, minute, second = (int(g) if g else 0 for g in m.groups())
    try:
        moment = dt.datetime(year, month, day, hour, minute, second)  # noqa: DTZ001 - serials are local
    except ValueError:
        return None
    if m.group(4):
        return {"numberValue": formats.datetime_to_serial(moment)}, {
            "type": "DATE_TIME",
            "pattern": "yyyy-mm-dd hh:mm:ss",
        }
    return {"numberValue": formats.datetime_to_serial(moment)}, {"type": "DATE", "pattern": "yyyy-mm-dd"}


def cell_data(sheet: Sheet, row: int, col: int, book: Book) -> Json:
    """CellData as spreadsheets.get(includeGridData) returns it."""
    cell = dict(sheet.cells.get((row, col), {}))
    if "userEnteredValue" in cell:
        value = book.effective(sheet, row, col)
        cell["effectiveValue"] = extended(value)
        cell["formattedValue"] = formatted(value, cell)
        if not cell["effectiveValue"]:
            del cell["effectiveValue"]
    if "userEnteredFormat" in cell:
        cell["effectiveFormat"] = cell["userEnteredFormat"]
    return cell


def rows_in(sheet: Sheet, rect: Rect) -> list[list[tuple[int, int]]]:
    """Positions of a rectangle, row-major, trimmed of trailing rows/columns without values."""
    filled = [k for k in sheet.cells if "userEnteredValue" in sheet.cells[k]]
    inside = [(r, c) for r, c in filled if rect.r0 <= r < rect.r1 and rect.c0 <= c < rect.c1]
    if not inside:
        return []
    last_row = max(r for r, _ in inside)
    by_row: dict[int, int] = {}
    for r, c in inside:
        by_row[r] = max(by_row.get(r, -1), c)
    return [[(r, c) for c in range(rect.c0, by_row.get(r, rect.c0 - 1) + 1)] for r in range(rect.r0, last_row + 1)]
