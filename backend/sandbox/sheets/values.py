"""spreadsheets.values.*: reads with render options, writes with RAW / USER_ENTERED, append and clear."""

from __future__ import annotations

from typing import Any

from backend.domain import a1
from backend.sandbox.sheets import cells, dimensions, formulas
from backend.sandbox.sheets.context import Context
from backend.sandbox.sheets.errors import invalid
from backend.sandbox.sheets.model import Json, Rect, Sheet

RENDER_OPTIONS = {"FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA"}
INPUT_OPTIONS = {"RAW", "USER_ENTERED"}


def read(ctx: Context, range_text: str, params: dict[str, Any]) -> Json:
    """A ValueRange for `range_text`; trailing empty rows and columns are omitted as Google does."""
    major = params.get("majorDimension") or "ROWS"
    render = params.get("valueRenderOption") or "FORMATTED_VALUE"
    datetime_render = params.get("dateTimeRenderOption") or "SERIAL_NUMBER"
    if render not in RENDER_OPTIONS or major not in {"ROWS", "COLUMNS"}:
        raise invalid(f"Invalid valueRenderOption or majorDimension: {render}, {major}")
    sheet, rect = ctx.spreadsheet.rect_for(range_text)
    book = cells.Book(ctx.spreadsheet, ctx.now)
    rows = [
        [_render(sheet, r, c, book, render=render, datetime_render=datetime_render) for r, c in row]
        for row in cells.rows_in(sheet, rect)
    ]
    result: Json = {"range": sheet.a1(rect), "majorDimension": major}
    if major == "COLUMNS":
        width = max((len(row) for row in rows), default=0)
        rows = [[row[c] if c < len(row) else "" for row in rows] for c in range(width)]
        rows = [_trim(col) for col in rows]
    if rows:
        result["values"] = rows
    return result


def _trim(values: list[Any]) -> list[Any]:
    while values and values[-1] == "":
        values.pop()
    return values


def _render(sheet: Sheet, row: int, col: int, book: cells.Book, *, render: str, datetime_render: str) -> Any:
    cell = sheet.cells.get((row, col), {})
    entered = cell.get("userEnteredValue", {})
    if render == "FORMULA" and "formulaValue" in entered:
        return entered["formulaValue"]
    value = book.effective(sheet, row, col)
    if render == "FORMATTED_VALUE" or isinstance(value, formulas.FormulaError):
        return cells.formatted(value, cell)
    if value is None:
        return ""
    fmt_type = cell.get("userEnteredFormat", {}).get("numberFormat", {}).get("type", "")
    if datetime_render == "FORMATTED_STRING" and fmt_type in {"DATE", "TIME", "DATE_TIME"}:
        return cells.formatted(value, cell)
    if isinstance(value, float) and value.is_integer() and render == "FORMULA":
        return int(value)
    return value


def write(ctx: Context, range_text: str, body: Json, input_option: str | None, *, grow: bool = False) -> Json:
    """values.update for one ValueRange; returns an UpdateValuesResponse."""
    if input_option not in INPUT_OPTIONS:
        raise invalid(
            "Invalid valueInputOption: INPUT_VALUE_OPTION_UNSPECIFIED"
            if not input_option
            else f"Invalid valueInputOption: {input_option}"
        )
    if body.get("range") and body["range"] != range_text:
        _, body_rect = ctx.spreadsheet.rect_for(body["range"])
        _, url_rect = ctx.spreadsheet.rect_for(range_text)
        if body_rect != url_rect:
            raise invalid(f"Invalid values[0] range: {body['range']} does not match the request range {range_text}")
    rows = _as_rows(body)
    sheet, r0, c0, r1, c1 = _anchor(ctx, range_text)
    height, width = len(rows), max((len(r) for r in rows), default=0)
    target = Rect(sheet.sheet_id, r0, r0 + height, c0, c0 + width)
    if r1 is not None and target.r1 > r1:
        raise invalid(f"Requested writing within range [{range_text}], but tried writing to row [{target.r1}]")
    if c1 is not None and target.c1 > c1:
        column = a1.column_letters(target.c1 - 1)
        raise invalid(f"Requested writing within range [{range_text}], but tried writing to column [{column}]")
    sheet.check_inside(target if height and width else Rect(sheet.sheet_id, r0, r0 + 1, c0, c0 + 1))
    if height and width:
        ctx.check_editable(target)
    touched_rows, touched_cols, count = set(), set(), 0
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            if value is None:
                continue
            put(sheet, r0 + i, c0 + j, value, input_option == "USER_ENTERED")
            touched_rows.add(i)
            touched_cols.add(j)
            count += 1
    response: Json = {"spreadsheetId": ctx.spreadsheet.id, "updatedRange": sheet.a1(target) if count else range_text}
    if count:
        response.update(updatedRows=len(touched_rows), updatedColumns=len(touched_cols), updatedCells=count)
    return response


def put(sheet: Sheet, row: int, col: int, value: Any, user_entered: bool) -> None:
    """Store one input value; an empty string clears the value but keeps formats."""
    cell = dict(sheet.cells.get((row, col), {}))
    if value == "":
        cell.pop("userEnteredValue", None)
    else:
        entered, implied_format = cells.from_input(value, user_entered)
        cells.check_length(entered)
        cell["userEnteredValue"] = entered
        if implied_format and "numberFormat" not in cell.get("userEnteredFormat", {}):
            cell["userEnteredFormat"] = {**cell.get("userEnteredFormat", {}), "numberFormat": implied_format}
    if cell:
        sheet.cells[(row, col)] = cell
    else:
        sheet.cells.pop((row, col), None)


def _as_rows(body: Json) -> list[list[Any]]:
    values = body.get("values") or []
    if body.get("majorDimension") == "COLUMNS":
        height = max((len(c) for c in values), default=0)
        return [[col[i] if i < len(col) else None for col in values] for i in range(height)]
    return [list(r) for r in values]


def _anchor(ctx: Context, range_text: str) -> tuple[Sheet, int, int, int | None, int | None]:
    """Start cell and explicit end bounds of a write range; a single cell only anchors the values."""
    sheet, p = ctx.spreadsheet.resolve(range_text)
    r0, c0 = p.start_row or 0, p.start_col or 0
    single = p.end_row == r0 + 1 and p.end_col == c0 + 1
    return sheet, r0, c0, None if single else p.end_row, None if single else p.end_col


def clear(ctx: Context, range_text: str) -> Json:
    """values.clear: values go, formats and validation stay."""
    sheet, rect = ctx.spreadsheet.rect_for(range_text)
    ctx.check_editable(rect)
    for key in [k for k in sheet.cells if rect.r0 <= k[0] < rect.r1 and rect.c0 <= k[1] < rect.c1]:
        put(sheet, key[0], key[1], "", False)
    return {"spreadsheetId": ctx.spreadsheet.id, "clearedRange": sheet.a1(rect)}


def append(ctx: Context, range_text: str, body: Json, input_option: str | None, insert_option: str) -> Json:
    """values.append: find the table in the range, write after its last row, growing the grid."""
    sheet, parsed = ctx.spreadsheet.resolve(range_text)
    rows = _as_rows(body)
    c0 = parsed.start_col or 0
    c1 = parsed.end_col if parsed.end_col is not None else sheet.column_count
    r0 = parsed.start_row or 0
    filled = sorted(
        r for (r, c), cell in sheet.cells.items() if c0 <= c < c1 and r >= r0 and "userEnteredValue" in cell
    )
    table: Rect | None = None
    if filled:
        used_cols = [
            c for (r, c), cell in sheet.cells.items() if c0 <= c < c1 and r >= r0 and "userEnteredValue" in cell
        ]
        table = Rect(sheet.sheet_id, filled[0], filled[-1] + 1, min(used_cols), max(used_cols) + 1)
    start_row = table.r1 if table else r0
    start_col = table.c0 if table else c0
    if insert_option == "INSERT_ROWS" and rows and start_row < sheet.row_count:
        dimensions.insert(ctx.spreadsheet, sheet, "ROWS", start_row, len(rows))
    width = max((len(r) for r in rows), default=0)
    sheet.grid["rowCount"] = max(sheet.row_count, start_row + len(rows))
    sheet.grid["columnCount"] = max(sheet.column_count, start_col + width)
    ctx.spreadsheet.check_cell_limit()
    target = f"{sheet.a1(Rect(sheet.sheet_id, start_row, start_row + 1, start_col, start_col + 1))}"
    updates = write(
        ctx,
        target,
        {"values": body.get("values") or [], "majorDimension": body.get("majorDimension", "ROWS")},
        input_option,
        grow=True,
    )
    response: Json = {"spreadsheetId": ctx.spreadsheet.id, "updates": updates}
    if table:
        response["tableRange"] = sheet.a1(table)
    return response
