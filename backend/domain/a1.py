"""A1 notation: parse and format Sheets ranges (pure; shared by the Sheets sandbox and the writer).

Indexes are zero-based and half-open like the API's GridRange; `None` means unbounded on that side
(`A:C` has no row bounds, `2:5` no column bounds, `A2:C` no end row).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_COLUMNS = 18_278  # A…ZZZ

_CELL = re.compile(r"^\$?([A-Za-z]{0,3})\$?([0-9]*)$")


class A1Error(ValueError):
    """The text is not an A1 range the Sheets API would accept."""


@dataclass(frozen=True)
class A1Range:
    """A parsed A1 range; `sheet` is None when the range names no sheet (first visible sheet)."""

    sheet: str | None = None
    start_row: int | None = None
    end_row: int | None = None
    start_col: int | None = None
    end_col: int | None = None

    def to_a1(self) -> str:
        """Canonical A1 text, sheet name always quoted when it needs to be."""
        cells = _format_cells(self)
        if self.sheet is None:
            return cells
        return quote_sheet(self.sheet) + ("!" + cells if cells else "")


def column_letters(index: int) -> str:
    """Zero-based column index → letters (0 → A, 26 → AA)."""
    if not 0 <= index < MAX_COLUMNS:
        raise A1Error(f"column index out of range: {index}")
    letters = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_index(letters: str) -> int:
    """Letters → zero-based column index (case-insensitive)."""
    if not letters.isalpha() or len(letters) > 3:
        raise A1Error(f"bad column: {letters!r}")
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    if n > MAX_COLUMNS:
        raise A1Error(f"column beyond ZZZ: {letters!r}")
    return n - 1


def cell_a1(row: int, col: int) -> str:
    """Zero-based (row, col) → `B3`."""
    return f"{column_letters(col)}{row + 1}"


def quote_sheet(name: str) -> str:
    """Quote a sheet name when needed; an apostrophe inside is doubled as in formulas."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) and not _CELL.match(name):
        return name
    return "'" + name.replace("'", "''") + "'"


def split_sheet(text: str) -> tuple[str | None, str]:
    """Split `'Ship by ''today'''!A1:C` into (sheet name, cell part)."""
    if text.startswith("'"):
        i, name = 1, []
        while i < len(text):
            if text[i] == "'":
                if text[i + 1 : i + 2] == "'":
                    name.append("'")
                    i += 2
                    continue
                rest = text[i + 1 :]
                if rest and not rest.startswith("!"):
                    raise A1Error(f"unexpected text after quoted sheet name: {text!r}")
                return "".join(name), rest[1:]
            name.append(text[i])
            i += 1
        raise A1Error(f"unterminated quote: {text!r}")
    if "!" in text:
        sheet, _, cells = text.rpartition("!")
        return sheet, cells
    return None, text


def parse(text: str) -> A1Range:
    """Parse A1 text. A bare word that is not a cell reference is a sheet name (`Orders`)."""
    text = text.strip()
    if not text:
        raise A1Error("empty range")
    sheet, cells = split_sheet(text)
    if sheet is not None and not cells:
        return A1Range(sheet=sheet)
    if sheet is None and "!" not in text and not _looks_like_cells(cells):
        return A1Range(sheet=cells)
    first, sep, second = cells.partition(":")
    c1, r1 = _parse_cell(first)
    if not sep:
        if c1 is None or r1 is None:
            raise A1Error(f"incomplete cell reference: {text!r}")
        return A1Range(sheet, r1, r1 + 1, c1, c1 + 1)
    c2, r2 = _parse_cell(second)
    if (c1 is None) != (c2 is None) and r1 is None:
        raise A1Error(f"bad range: {text!r}")
    if c1 is None and c2 is not None:
        raise A1Error(f"bad range: {text!r}")
    start_col, end_col = _ordered(c1, c2)
    start_row, end_row = _ordered(r1, r2)
    return A1Range(sheet, start_row, end_row, start_col, end_col)


def _looks_like_cells(text: str) -> bool:
    parts = text.split(":")
    return len(parts) <= 2 and all(_CELL.match(p) and p.strip("$") for p in parts)


def _parse_cell(text: str) -> tuple[int | None, int | None]:
    m = _CELL.match(text)
    if not m or not text.strip("$"):
        raise A1Error(f"bad cell reference: {text!r}")
    letters, digits = m.groups()
    col = column_index(letters) if letters else None
    if digits and int(digits) < 1:
        raise A1Error(f"row numbers start at 1: {text!r}")
    row = int(digits) - 1 if digits else None
    return col, row


def _ordered(a: int | None, b: int | None) -> tuple[int | None, int | None]:
    """(start, end-exclusive) from two inclusive positions; an open end stays None."""
    if a is None:
        return None, None if b is None else b + 1
    if b is None:
        return a, None
    lo, hi = min(a, b), max(a, b)
    return lo, hi + 1


def _format_cells(r: A1Range) -> str:
    if r.start_row is None and r.end_row is None and r.start_col is None and r.end_col is None:
        return ""
    if r.start_col is None and r.end_col is None:
        return f"{(r.start_row or 0) + 1}:{r.end_row if r.end_row is not None else ''}"
    start = column_letters(r.start_col or 0) + (str(r.start_row + 1) if r.start_row is not None else "")
    end_col = column_letters((r.end_col or MAX_COLUMNS) - 1)
    end = end_col + (str(r.end_row) if r.end_row is not None else "")
    if (
        r.start_row is not None
        and r.end_row == r.start_row + 1
        and r.end_col is not None
        and r.end_col == (r.start_col or 0) + 1
    ):
        return start
    return f"{start}:{end}"
