"""spreadsheets.batchUpdate: one handler per request kind, applied in order to a working copy.

Handlers return the reply for their request (None → `{}`). Any ApiError aborts the whole batch, whose
working copy is then discarded, so nothing is applied — as Google documents.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cmp_to_key
from typing import Any

from backend.sandbox.sheets import cells, dimensions, fields, formulas, metadata
from backend.sandbox.sheets.context import PROTECTED_MESSAGE, Context
from backend.sandbox.sheets.errors import ApiError, invalid
from backend.sandbox.sheets.model import Json, Rect, Sheet

Handler = Callable[[Context, Json], Json | None]
DEFAULT_ROWS, DEFAULT_COLUMNS = 1000, 26


INSERT = "insertDimension"  # applied in runs (_Inserts), not through HANDLERS


def apply(ctx: Context, requests: list[Json]) -> list[Json]:
    """Apply requests in order; errors name the failing request like Google's `Invalid requests[i].kind`."""
    replies: list[Json] = []
    inserts = _Inserts(ctx)
    for i, request in enumerate(requests):
        if len(request) != 1:
            raise invalid(f"Invalid requests[{i}]: exactly one kind of request must be set.")
        ((kind, body),) = request.items()
        handler = HANDLERS.get(kind)
        if handler is None and kind != INSERT:
            raise invalid(f"Invalid requests[{i}].{kind}: this request kind is not supported by the sandbox.")
        try:
            if handler is None:  # an insertDimension joins the run of them that moves the sheet's contents once
                inserts.add(body)
                replies.append({})
                continue
            inserts.flush()
            replies.append({kind: reply} if (reply := handler(ctx, body)) else {})
        except ApiError as exc:
            if exc.code == 400 and exc.message != PROTECTED_MESSAGE:
                exc.message = f"Invalid requests[{i}].{kind}: {exc.message}"
            raise
    inserts.flush()
    return replies


@dataclass
class _Inserts:
    """insertDimension requests in a row on one sheet's rows (or columns): each checked and grown as it
    comes, against the sheet the ones before it left, and everything they displace moved once when the
    run ends (dimensions.shift)."""

    ctx: Context
    key: tuple[int, str] | None = None
    spans: list[tuple[int, int]] = field(default_factory=list)

    def add(self, body: Json) -> None:
        sheet, start, count = _insert_span(self.ctx, body)
        dimension = str(body["range"].get("dimension"))
        if (sheet.sheet_id, dimension) != self.key:
            self.flush()
            self.key = (sheet.sheet_id, dimension)
        dimensions.grow(self.ctx.spreadsheet, sheet, dimension, start, count)
        self.spans.append((start, count))

    def flush(self) -> None:
        if self.key is not None and self.spans:
            sheet_id, dimension = self.key
            dimensions.shift(self.ctx.spreadsheet, self.ctx.spreadsheet.sheet_by_id(sheet_id), dimension, self.spans)
        self.key, self.spans = None, []


def _mask(body: Json) -> fields.Mask:
    text = body.get("fields")
    if not text:
        raise invalid("At least one field must be updated. Use '*' to update all fields.")
    return fields.parse(str(text))


def new_sheet(ctx: Context, properties: Json) -> Sheet:
    """A grid sheet with Google's defaults (1000 × 26)."""
    spreadsheet = ctx.spreadsheet
    props = copy.deepcopy(properties)
    sheet_id = int(props.get("sheetId", ctx.new_id() if spreadsheet.sheets else 0))
    if any(s.sheet_id == sheet_id for s in spreadsheet.sheets):
        raise invalid(f"A sheet with the id {sheet_id} already exists.")
    if sheet_id < 0:
        raise invalid("sheetId must be non-negative.")
    n = len(spreadsheet.sheets) + 1
    title = props.get("title") or next(
        f"Sheet{k}" for k in range(n, n + 1000) if not spreadsheet.sheet_by_title(f"Sheet{k}")
    )
    if spreadsheet.sheet_by_title(title):
        raise invalid(f'A sheet with the name "{title}" already exists. Please enter another name.')
    grid = {"rowCount": DEFAULT_ROWS, "columnCount": DEFAULT_COLUMNS, **props.get("gridProperties", {})}
    index = min(int(props.get("index", len(spreadsheet.sheets))), len(spreadsheet.sheets))
    props.update(sheetId=sheet_id, title=title, index=index, sheetType="GRID", gridProperties=grid)
    sheet = Sheet(properties=props)
    spreadsheet.sheets.insert(index, sheet)
    _reindex(ctx)
    spreadsheet.check_cell_limit()
    return sheet


def _reindex(ctx: Context) -> None:
    for i, sheet in enumerate(ctx.spreadsheet.sheets):
        sheet.properties["index"] = i


def _add_sheet(ctx: Context, body: Json) -> Json:
    return {"properties": copy.deepcopy(new_sheet(ctx, body.get("properties", {})).properties)}


def _delete_sheet(ctx: Context, body: Json) -> None:
    sheet = ctx.spreadsheet.sheet_by_id(int(body.get("sheetId", 0)))
    if len(ctx.spreadsheet.sheets) == 1:
        raise invalid("You can't remove all the sheets in a document.")
    ctx.spreadsheet.sheets.remove(sheet)
    ctx.spreadsheet.developer_metadata = [
        m
        for m in ctx.spreadsheet.developer_metadata
        if m["location"].get("sheetId", m["location"].get("dimensionRange", {}).get("sheetId")) != sheet.sheet_id
    ]
    ctx.spreadsheet.named_ranges = [
        n for n in ctx.spreadsheet.named_ranges if n["range"].get("sheetId", 0) != sheet.sheet_id
    ]
    _reindex(ctx)


def _update_sheet_properties(ctx: Context, body: Json) -> None:
    props = body.get("properties", {})
    sheet = ctx.spreadsheet.sheet_by_id(int(props.get("sheetId", 0)))
    merged = fields.merge(sheet.properties, props, _mask(body))
    merged["sheetId"] = sheet.sheet_id
    title = merged.get("title", sheet.title)
    other = ctx.spreadsheet.sheet_by_title(title)
    if other is not None and other is not sheet:
        raise invalid(f'A sheet with the name "{title}" already exists. Please enter another name.')
    grid = merged.setdefault("gridProperties", {})
    grid.setdefault("rowCount", sheet.row_count)
    grid.setdefault("columnCount", sheet.column_count)
    if grid.get("frozenRowCount", 0) > grid["rowCount"] or grid.get("frozenColumnCount", 0) > grid["columnCount"]:
        raise invalid("Frozen rows/columns must be within the grid.")
    if grid["rowCount"] < 1 or grid["columnCount"] < 1:
        raise invalid("A sheet must have at least one row and one column.")
    if grid["rowCount"] < sheet.row_count:
        dimensions.delete(ctx.spreadsheet, sheet, "ROWS", grid["rowCount"], sheet.row_count)
    if grid["columnCount"] < sheet.column_count:
        dimensions.delete(ctx.spreadsheet, sheet, "COLUMNS", grid["columnCount"], sheet.column_count)
    sheet.properties = merged
    if "index" in props and "index" in fields.parse(body["fields"]):
        ctx.spreadsheet.sheets.remove(sheet)
        ctx.spreadsheet.sheets.insert(min(int(props["index"]), len(ctx.spreadsheet.sheets)), sheet)
        _reindex(ctx)
    ctx.spreadsheet.check_cell_limit()


def _update_spreadsheet_properties(ctx: Context, body: Json) -> None:
    ctx.spreadsheet.properties = fields.merge(ctx.spreadsheet.properties, body.get("properties", {}), _mask(body))


def _append_dimension(ctx: Context, body: Json) -> None:
    sheet = ctx.spreadsheet.sheet_by_id(int(body.get("sheetId", 0)))
    length = int(body.get("length", 0))
    if length <= 0:
        raise invalid("length must be positive.")
    size = sheet.row_count if body.get("dimension") == "ROWS" else sheet.column_count
    dimensions.insert(ctx.spreadsheet, sheet, str(body.get("dimension")), size, length)


def _insert_span(ctx: Context, body: Json) -> tuple[Sheet, int, int]:
    """An insertDimension's sheet, start and count, once its sheet exists and its range is well formed."""
    dr = body.get("range", {})
    sheet = ctx.spreadsheet.sheet_by_id(int(dr.get("sheetId", 0)))
    if "startIndex" not in dr or "endIndex" not in dr or dr["endIndex"] <= dr["startIndex"]:
        raise invalid("insertDimension needs a bounded range with startIndex < endIndex.")
    if body.get("inheritFromBefore") and dr["startIndex"] == 0:
        raise invalid("Cannot inherit from before when inserting at the start of the sheet.")
    return sheet, int(dr["startIndex"]), int(dr["endIndex"]) - int(dr["startIndex"])


def _update_dimension_properties(ctx: Context, body: Json) -> None:
    """Column properties (hiddenByUser, pixelSize); rows are not modelled by the sandbox."""
    dr = body.get("range", {})
    sheet = ctx.spreadsheet.sheet_by_id(int(dr.get("sheetId", 0)))
    if dr.get("dimension") != "COLUMNS":
        raise invalid("updateDimensionProperties: the sandbox models column properties only.")
    start, end = int(dr.get("startIndex", 0)), int(dr.get("endIndex", sheet.column_count))
    if not 0 <= start < end <= sheet.column_count:
        raise invalid(f"Invalid range [{start}, {end}): the sheet has {sheet.column_count} columns")
    mask = _mask(body)
    for column in range(start, end):
        merged = fields.merge(sheet.column_properties.get(column, {}), body.get("properties", {}), mask)
        sheet.column_properties[column] = merged


def _move_dimension(ctx: Context, body: Json) -> None:
    source = body.get("source", {})
    sheet = ctx.spreadsheet.sheet_by_id(int(source.get("sheetId", 0)))
    dimension = str(source.get("dimension"))
    if "startIndex" not in source or "endIndex" not in source or "destinationIndex" not in body:
        raise invalid("moveDimension needs a bounded source range and a destinationIndex.")
    start, end = int(source["startIndex"]), int(source["endIndex"])
    if dimension == "ROWS" and start < end <= sheet.row_count:
        ctx.check_editable(Rect(sheet.sheet_id, start, end, 0, sheet.column_count))
    dimensions.move(ctx.spreadsheet, sheet, dimension, (start, end), int(body["destinationIndex"]))


def _delete_dimension(ctx: Context, body: Json) -> None:
    dr = body.get("range", {})
    sheet = ctx.spreadsheet.sheet_by_id(int(dr.get("sheetId", 0)))
    dimension = str(dr.get("dimension"))
    size = sheet.row_count if dimension == "ROWS" else sheet.column_count
    start, end = int(dr.get("startIndex", 0)), int(dr.get("endIndex", size))
    axis_rect = (
        Rect(sheet.sheet_id, start, end, 0, sheet.column_count)
        if dimension == "ROWS"
        else Rect(sheet.sheet_id, 0, sheet.row_count, start, end)
    )
    if start < end <= size:
        ctx.check_editable(axis_rect)
    dimensions.delete(ctx.spreadsheet, sheet, dimension, start, end)


def _store_cell(sheet: Sheet, row: int, col: int, new: Json, mask: fields.Mask) -> None:
    cell = fields.merge(sheet.cells.get((row, col), {}), new, mask)
    cell = {k: v for k, v in cell.items() if v not in ({}, None)}
    if "userEnteredValue" in cell:
        cells.check_length(cell["userEnteredValue"])
    if cell:
        sheet.cells[(row, col)] = cell
    else:
        sheet.cells.pop((row, col), None)


def _update_cells(ctx: Context, body: Json) -> None:
    mask = _mask(body)
    rows = [row.get("values", []) for row in body.get("rows", [])]
    height, width = len(rows), max((len(r) for r in rows), default=0)
    if ("start" in body) == ("range" in body):
        raise invalid("Exactly one of start or range must be set.")
    if "start" in body:
        start = body["start"]
        sheet = ctx.spreadsheet.sheet_by_id(int(start.get("sheetId", 0)))
        r0, c0 = int(start.get("rowIndex", 0)), int(start.get("columnIndex", 0))
        rect = Rect(sheet.sheet_id, r0, r0 + height, c0, c0 + width)
        sheet.check_inside(rect)
    else:
        sheet = ctx.spreadsheet.sheet_by_id(int(body["range"].get("sheetId", 0)))
        rect = sheet.rect(body["range"])
        if height > rect.rows or width > rect.cols:
            raise invalid(f"The rows ({height}x{width}) do not fit in the range {sheet.a1(rect)}.")
    if rect.rows and rect.cols:
        ctx.check_editable(rect)
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            _store_cell(sheet, rect.r0 + i, rect.c0 + j, cell, mask)
    if "range" in body:
        for r, c in rect.cells():
            if r - rect.r0 >= height or c - rect.c0 >= len(rows[r - rect.r0]):
                _store_cell(sheet, r, c, {}, mask)


def _append_cells(ctx: Context, body: Json) -> None:
    sheet = ctx.spreadsheet.sheet_by_id(int(body.get("sheetId", 0)))
    last = max((r for (r, _), cell in sheet.cells.items() if "userEnteredValue" in cell), default=-1)
    needed = last + 1 + len(body.get("rows", []))
    if needed > sheet.row_count:
        dimensions.insert(ctx.spreadsheet, sheet, "ROWS", sheet.row_count, needed - sheet.row_count)
    start = {"sheetId": sheet.sheet_id, "rowIndex": last + 1, "columnIndex": 0}
    _update_cells(ctx, {"start": start, "rows": body.get("rows", []), "fields": body.get("fields")})


def _repeat_cell(ctx: Context, body: Json) -> None:
    mask = _mask(body)
    sheet = ctx.spreadsheet.sheet_by_id(int(body.get("range", {}).get("sheetId", 0)))
    rect = sheet.rect(body.get("range", {}))
    ctx.check_editable(rect)
    template = body.get("cell", {})
    formula = template.get("userEnteredValue", {}).get("formulaValue")
    for r, c in rect.cells():
        cell = template
        if formula:
            shifted = formulas.shift(str(formula), r - rect.r0, c - rect.c0)
            cell = {**template, "userEnteredValue": {"formulaValue": shifted}}
        _store_cell(sheet, r, c, cell, mask)


def _set_data_validation(ctx: Context, body: Json) -> None:
    sheet = ctx.spreadsheet.sheet_by_id(int(body.get("range", {}).get("sheetId", 0)))
    rect = sheet.rect(body.get("range", {}))
    ctx.check_editable(rect)
    rule = body.get("rule")
    for r, c in rect.cells():
        _store_cell(sheet, r, c, {"dataValidation": rule} if rule else {}, {"dataValidation": None})


def _find_protected(ctx: Context, protected_id: int) -> tuple[Sheet, Json]:
    for sheet in ctx.spreadsheet.sheets:
        for protected in sheet.protected_ranges:
            if protected["protectedRangeId"] == protected_id:
                return sheet, protected
    raise invalid(f"No protected range with id: {protected_id}")


def _protected_sheet(ctx: Context, protected: Json) -> Sheet:
    grid_range = protected.get("range")
    if grid_range is None:
        named = next(
            (n for n in ctx.spreadsheet.named_ranges if n["namedRangeId"] == protected.get("namedRangeId")), None
        )
        if named is None:
            raise invalid("A protected range needs a range or an existing namedRangeId.")
        grid_range = named["range"]
    return ctx.spreadsheet.sheet_by_id(int(grid_range.get("sheetId", 0)))


def _add_protected_range(ctx: Context, body: Json) -> Json:
    protected = copy.deepcopy(body.get("protectedRange", {}))
    protected_id = int(protected.get("protectedRangeId", ctx.new_id()))
    if any(p["protectedRangeId"] == protected_id for s in ctx.spreadsheet.sheets for p in s.protected_ranges):
        raise invalid(f"A protected range with ID {protected_id} already exists.")
    sheet = _protected_sheet(ctx, protected)
    if "range" in protected:
        sheet.rect(protected["range"])
    if protected.get("unprotectedRanges") and set(protected.get("range", {"x": 1})) - {"sheetId"}:
        raise invalid("Unprotected ranges are only supported on protected sheets.")
    if _is_sheet_protection(protected) and any(_is_sheet_protection(p) for p in sheet.protected_ranges):
        raise invalid(f'Sheet "{sheet.title}" already has sheet protection.')
    protected["protectedRangeId"] = protected_id
    protected.pop("requestingUserCanEdit", None)
    if protected.get("warningOnly"):
        protected.pop("editors", None)
    else:
        editors = protected.setdefault("editors", {})
        editors["users"] = list(dict.fromkeys([ctx.owner, *editors.get("users", [])]))
    sheet.protected_ranges.append(protected)
    return {"protectedRange": _with_can_edit(ctx, protected)}


def _is_sheet_protection(protected: Json) -> bool:
    return "range" in protected and set(protected["range"]) <= {"sheetId"}


def _with_can_edit(ctx: Context, protected: Json) -> Json:
    return {**copy.deepcopy(protected), "requestingUserCanEdit": ctx.can_edit_protection(protected)}


def _update_protected_range(ctx: Context, body: Json) -> None:
    update = body.get("protectedRange", {})
    sheet, protected = _find_protected(ctx, int(update.get("protectedRangeId", -1)))
    if not ctx.can_edit_protection(protected):
        raise invalid(PROTECTED_MESSAGE)
    mask = _mask(body)
    merged = fields.merge(protected, update, mask)
    if protected.get("warningOnly") and not merged.get("warningOnly") and "editors" not in mask:
        merged["editors"] = {"users": [ctx.owner]}
    if not merged.get("warningOnly"):
        editors = merged.setdefault("editors", {})
        editors["users"] = list(dict.fromkeys([ctx.owner, *editors.get("users", [])]))
    merged["protectedRangeId"] = protected["protectedRangeId"]
    sheet.protected_ranges[sheet.protected_ranges.index(protected)] = merged


def _delete_protected_range(ctx: Context, body: Json) -> None:
    sheet, protected = _find_protected(ctx, int(body.get("protectedRangeId", -1)))
    if not ctx.can_edit_protection(protected):
        raise invalid(PROTECTED_MESSAGE)
    sheet.protected_ranges.remove(protected)


def _add_conditional_format_rule(ctx: Context, body: Json) -> None:
    rule = copy.deepcopy(body.get("rule", {}))
    ranges = rule.get("ranges") or []
    if not ranges:
        raise invalid("A conditional format rule needs at least one range.")
    sheet = ctx.spreadsheet.sheet_by_id(int(ranges[0].get("sheetId", 0)))
    for grid_range in ranges:
        sheet.rect(grid_range)
    if ("booleanRule" in rule) == ("gradientRule" in rule):
        raise invalid("Exactly one of booleanRule or gradientRule must be set.")
    sheet.conditional_formats.insert(int(body.get("index", 0)), rule)


def _delete_conditional_format_rule(ctx: Context, body: Json) -> Json:
    sheet = ctx.spreadsheet.sheet_by_id(int(body.get("sheetId", 0)))
    index = int(body.get("index", 0))
    if not 0 <= index < len(sheet.conditional_formats):
        raise invalid(f"No conditional format on sheet {sheet.sheet_id} at index {index}")
    return {"rule": sheet.conditional_formats.pop(index)}


def _create_developer_metadata(ctx: Context, body: Json) -> Json:
    meta = copy.deepcopy(body.get("developerMetadata", {}))
    meta_id = int(meta.get("metadataId", ctx.new_id()))
    if meta_id <= 0:
        raise invalid("metadataId must be positive.")
    if any(m["metadataId"] == meta_id for m in ctx.spreadsheet.developer_metadata):
        raise invalid(f"Developer metadata with ID {meta_id} already exists.")
    if meta.get("visibility") not in {"DOCUMENT", "PROJECT"}:
        raise invalid("Developer metadata visibility must be DOCUMENT or PROJECT.")
    meta.update(metadataId=meta_id, location=metadata.normalize_location(ctx, meta.get("location", {})))
    ctx.spreadsheet.developer_metadata.append({**meta, "_project": ctx.client_id})
    return {"developerMetadata": meta}


def _delete_developer_metadata(ctx: Context, body: Json) -> Json:
    data_filter = body.get("dataFilter", {})
    doomed = [
        m
        for m in ctx.spreadsheet.developer_metadata
        if metadata.visible(ctx, m) and metadata.matches(ctx, m, data_filter)
    ]
    ctx.spreadsheet.developer_metadata = [m for m in ctx.spreadsheet.developer_metadata if m not in doomed]
    return {"deletedDeveloperMetadata": [metadata.public(m) for m in doomed]}


def _sort_range(ctx: Context, body: Json) -> None:
    sheet = ctx.spreadsheet.sheet_by_id(int(body.get("range", {}).get("sheetId", 0)))
    rect = sheet.rect(body.get("range", {}))
    ctx.check_editable(rect)
    book = cells.Book(ctx.spreadsheet, ctx.now)
    rows = [[sheet.cells.get((r, c)) for c in range(rect.c0, rect.c1)] for r in range(rect.r0, rect.r1)]
    keys = {
        id(row): [book.effective(sheet, r, c) for c in range(rect.c0, rect.c1)]
        for r, row in zip(range(rect.r0, rect.r1), rows, strict=True)
    }

    def compare(a: list[Json | None], b: list[Json | None]) -> int:
        for spec in body.get("sortSpecs", []):
            col = int(spec.get("dimensionIndex", 0)) - rect.c0
            x, y = keys[id(a)][col], keys[id(b)][col]
            if x is None or y is None:  # blanks always sort last
                if x is None and y is None:
                    continue
                return 1 if x is None else -1
            result = formulas.compare(x, y)
            if result:
                return -result if spec.get("sortOrder") == "DESCENDING" else result
        return 0

    for i, row in enumerate(sorted(rows, key=cmp_to_key(compare))):
        for j, cell in enumerate(row):
            if cell is None:
                sheet.cells.pop((rect.r0 + i, rect.c0 + j), None)
            else:
                sheet.cells[(rect.r0 + i, rect.c0 + j)] = cell


def _add_chart(ctx: Context, body: Json) -> Json:
    chart = copy.deepcopy(body.get("chart", {}))
    chart.setdefault("chartId", ctx.new_id())
    if _find_chart(ctx, int(chart["chartId"])) is not None:
        raise invalid(f"A chart with the id {chart['chartId']} already exists.")
    anchor = chart.get("position", {}).get("overlayPosition", {}).get("anchorCell", {})
    sheet_id = anchor.get("sheetId", chart.get("position", {}).get("sheetId", ctx.spreadsheet.sheets[0].sheet_id))
    ctx.spreadsheet.sheet_by_id(int(sheet_id)).charts.append(chart)
    return {"chart": chart}


def _find_chart(ctx: Context, chart_id: int) -> Json | None:
    return next((c for s in ctx.spreadsheet.sheets for c in s.charts if int(c["chartId"]) == chart_id), None)


def _update_chart_spec(ctx: Context, body: Json) -> None:
    chart = _find_chart(ctx, int(body.get("chartId", -1)))
    if chart is None:
        raise invalid(f"No chart with id: {body.get('chartId')}")
    chart["spec"] = copy.deepcopy(body.get("spec", {}))


def _add_named_range(ctx: Context, body: Json) -> Json:
    named = copy.deepcopy(body.get("namedRange", {}))
    named.setdefault("namedRangeId", f"nr{ctx.new_id()}")
    if any(
        n["name"] == named.get("name") or n["namedRangeId"] == named["namedRangeId"]
        for n in ctx.spreadsheet.named_ranges
    ):
        raise invalid(f"A named range with the name or id of {named.get('name')} already exists.")
    ctx.spreadsheet.sheet_by_id(int(named.get("range", {}).get("sheetId", 0))).rect(named.get("range", {}))
    ctx.spreadsheet.named_ranges.append(named)
    return {"namedRange": named}


def _delete_named_range(ctx: Context, body: Json) -> None:
    before = len(ctx.spreadsheet.named_ranges)
    ctx.spreadsheet.named_ranges = [
        n for n in ctx.spreadsheet.named_ranges if n["namedRangeId"] != body.get("namedRangeId")
    ]
    if len(ctx.spreadsheet.named_ranges) == before:
        raise invalid(f"No named range with id: {body.get('namedRangeId')}")


HANDLERS: dict[str, Any] = {
    "addSheet": _add_sheet,
    "deleteSheet": _delete_sheet,
    "updateSheetProperties": _update_sheet_properties,
    "updateSpreadsheetProperties": _update_spreadsheet_properties,
    "appendDimension": _append_dimension,
    "deleteDimension": _delete_dimension,
    "updateDimensionProperties": _update_dimension_properties,
    "moveDimension": _move_dimension,
    "updateCells": _update_cells,
    "appendCells": _append_cells,
    "repeatCell": _repeat_cell,
    "setDataValidation": _set_data_validation,
    "addProtectedRange": _add_protected_range,
    "updateProtectedRange": _update_protected_range,
    "deleteProtectedRange": _delete_protected_range,
    "addConditionalFormatRule": _add_conditional_format_rule,
    "deleteConditionalFormatRule": _delete_conditional_format_rule,
    "createDeveloperMetadata": _create_developer_metadata,
    "deleteDeveloperMetadata": _delete_developer_metadata,
    "sortRange": _sort_range,
    "addChart": _add_chart,
    "updateChartSpec": _update_chart_spec,
    "addNamedRange": _add_named_range,
    "deleteNamedRange": _delete_named_range,
}
