"""Inserting and deleting rows/columns moves everything anchored to them: cells, protected ranges,
conditional formats, named ranges and developer metadata (which dies with its row, as documented)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import cache

from backend.sandbox.sheets.errors import invalid
from backend.sandbox.sheets.model import Json, Sheet, Spreadsheet

_KEYS = {"ROWS": ("startRowIndex", "endRowIndex"), "COLUMNS": ("startColumnIndex", "endColumnIndex")}


def insert(spreadsheet: Spreadsheet, sheet: Sheet, dimension: str, start: int, count: int) -> None:
    grow(spreadsheet, sheet, dimension, start, count)
    shift(spreadsheet, sheet, dimension, [(start, count)])


def grow(spreadsheet: Spreadsheet, sheet: Sheet, dimension: str, start: int, count: int) -> None:
    """The sheet's side of one insertDimension: the index checked against its size now, the grid grown."""
    size = sheet.row_count if dimension == "ROWS" else sheet.column_count
    if not 0 <= start <= size:
        raise invalid(f"Invalid insert index {start}: the sheet has {size} {dimension.lower()}")
    _resize(sheet, dimension, size + count)
    spreadsheet.check_cell_limit()


def shift(spreadsheet: Spreadsheet, sheet: Sheet, dimension: str, spans: Sequence[tuple[int, int]]) -> None:
    """Move everything anchored to the sheet's rows (or columns) to where the inserts `spans` put it, each
    (start, count) counted after the ones before it (a run of insertDimension requests, each grown in
    turn): one pass over the cells for the whole run. A push inserting hundreds of new rows among
    thousands cost the sandbox a pass per insert, most of a flood's time to the sheet, not Google's."""
    # A cell or range start at x moves when an insert starts at or above it; a range's (exclusive) end only
    # when the insert starts above it, so a range ending at the insert point does not grow.
    _move(spreadsheet, sheet, dimension, _composed(spans, at_start=True), _composed(spans, at_start=False))


def _composed(spans: Sequence[tuple[int, int]], *, at_start: bool) -> Callable[[int], int]:
    """Where the inserts `spans`, applied in turn, put what was at x (each distinct x worked out once)."""

    @cache
    def position(x: int) -> int:
        for start, count in spans:
            if x > start or (at_start and x == start):
                x += count
        return x

    return position


def move(spreadsheet: Spreadsheet, sheet: Sheet, dimension: str, span: tuple[int, int], destination: int) -> None:
    """moveDimension: [start, end) goes before what was at `destination` (counted before it left).

    Cells and row metadata travel with the moved rows; a range lying wholly inside them moves too, any
    other keeps its bounds (a whole-column protection still covers every row).
    """
    start, end = span
    size = sheet.row_count if dimension == "ROWS" else sheet.column_count
    if not 0 <= start < end <= size or not 0 <= destination <= size:
        raise invalid(f"Invalid move of [{start}, {end}) to {destination}: the sheet has {size} {dimension.lower()}")
    if start <= destination <= end:
        return  # already there
    count = end - start
    target = destination if destination < start else destination - count

    def pos(x: int) -> int:
        if start <= x < end:
            return target + x - start
        rest = x if x < start else x - count
        return rest if rest < target else rest + count

    axis = 0 if dimension == "ROWS" else 1
    moved = {}
    for key, cell in sheet.cells.items():
        new = list(key)
        new[axis] = pos(key[axis])
        moved[(new[0], new[1])] = cell
    sheet.cells = moved
    k0, k1 = _KEYS[dimension]
    for grid_range in _grid_ranges(spreadsheet, sheet.sheet_id):
        if k0 in grid_range and k1 in grid_range and start <= grid_range[k0] and grid_range[k1] <= end:
            grid_range[k0], grid_range[k1] = pos(grid_range[k0]), pos(grid_range[k1] - 1) + 1
    for meta in spreadsheet.developer_metadata:
        dr = meta.get("location", {}).get("dimensionRange")
        inside = dr and dr.get("sheetId", 0) == sheet.sheet_id and dr.get("dimension") == dimension
        if inside and start <= dr["startIndex"] < end:
            dr["startIndex"], dr["endIndex"] = pos(dr["startIndex"]), pos(dr["endIndex"] - 1) + 1


def delete(spreadsheet: Spreadsheet, sheet: Sheet, dimension: str, start: int, end: int) -> None:
    size = sheet.row_count if dimension == "ROWS" else sheet.column_count
    if not 0 <= start < end <= size:
        raise invalid(f"Invalid deleteDimension range [{start}, {end}): the sheet has {size} {dimension.lower()}")
    if end - start == size and dimension == "ROWS":
        raise invalid("You can't delete all the rows on the sheet.")
    if end - start == size:
        raise invalid("You can't delete all the columns on the sheet.")
    axis = 0 if dimension == "ROWS" else 1
    sheet.cells = {k: v for k, v in sheet.cells.items() if not start <= k[axis] < end}
    if dimension == "COLUMNS":
        sheet.column_properties = {c: p for c, p in sheet.column_properties.items() if not start <= c < end}
    count = end - start

    def pos(x: int) -> int:
        return x - count if x >= end else min(x, start)

    spreadsheet.developer_metadata = [
        m for m in spreadsheet.developer_metadata if not _dies_with(m, sheet.sheet_id, dimension, start, end)
    ]
    _move(spreadsheet, sheet, dimension, pos, pos)
    _resize(sheet, dimension, size - count)
    for protected in list(sheet.protected_ranges):
        r = protected.get("range", {})
        k0, k1 = _KEYS[dimension]
        if k0 in r and k1 in r and r[k0] >= r[k1]:
            sheet.protected_ranges.remove(protected)


def _resize(sheet: Sheet, dimension: str, size: int) -> None:
    sheet.grid["rowCount" if dimension == "ROWS" else "columnCount"] = size


def _dies_with(meta: Json, sheet_id: int, dimension: str, start: int, end: int) -> bool:
    dr = meta.get("location", {}).get("dimensionRange")
    return bool(
        dr and dr.get("sheetId", 0) == sheet_id and dr.get("dimension") == dimension and start <= dr["startIndex"] < end
    )


def _move(
    spreadsheet: Spreadsheet,
    sheet: Sheet,
    dimension: str,
    start_pos: Callable[[int], int],
    end_pos: Callable[[int], int],
) -> None:
    axis = 0 if dimension == "ROWS" else 1
    moved = {}
    for key, cell in sheet.cells.items():
        new = list(key)
        new[axis] = start_pos(key[axis])
        moved[(new[0], new[1])] = cell
    sheet.cells = moved
    if dimension == "COLUMNS":
        sheet.column_properties = {start_pos(c): props for c, props in sheet.column_properties.items()}
    k0, k1 = _KEYS[dimension]
    for grid_range in _grid_ranges(spreadsheet, sheet.sheet_id):
        if k0 in grid_range:
            grid_range[k0] = start_pos(grid_range[k0])
        if k1 in grid_range:
            grid_range[k1] = end_pos(grid_range[k1])
    for meta in spreadsheet.developer_metadata:
        dr = meta.get("location", {}).get("dimensionRange")
        if dr and dr.get("sheetId", 0) == sheet.sheet_id and dr.get("dimension") == dimension:
            dr["startIndex"], dr["endIndex"] = start_pos(dr["startIndex"]), end_pos(dr["endIndex"])


def _grid_ranges(spreadsheet: Spreadsheet, sheet_id: int) -> Iterator[Json]:
    """Every stored GridRange on a sheet."""
    candidates: list[Json] = [n["range"] for n in spreadsheet.named_ranges]
    for sheet in spreadsheet.sheets:
        for protected in sheet.protected_ranges:
            candidates += [protected.get("range", {}), *protected.get("unprotectedRanges", [])]
        for rule in sheet.conditional_formats:
            candidates += rule.get("ranges", [])
    yield from (r for r in candidates if r and int(r.get("sheetId", 0)) == sheet_id)
