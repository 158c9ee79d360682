"""Spreadsheet resources as spreadsheets.get returns them (filtered by `ranges`, grid data on request)."""

from __future__ import annotations

import copy

from backend.sandbox.sheets import cells, metadata
from backend.sandbox.sheets.context import Context
from backend.sandbox.sheets.model import Json, Rect, Sheet


def spreadsheet_json(ctx: Context, ranges: list[str] | None = None, include_grid_data: bool = False) -> Json:
    ss = ctx.spreadsheet
    wanted: dict[int, list[Rect]] = {}
    for text in ranges or []:
        sheet, rect = ss.rect_for(text)
        wanted.setdefault(sheet.sheet_id, []).append(rect)
    book = cells.Book(ss, ctx.now)
    sheets = []
    for sheet in ss.sheets:
        if ranges and sheet.sheet_id not in wanted:
            continue
        rects = wanted.get(sheet.sheet_id) or [sheet.whole()]
        sheets.append(_sheet_json(ctx, sheet, rects if include_grid_data else [], book))
    body: Json = {
        "spreadsheetId": ss.id,
        "properties": copy.deepcopy(ss.properties),
        "sheets": sheets,
        "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{ss.id}/edit",
    }
    if ss.named_ranges:
        body["namedRanges"] = copy.deepcopy(ss.named_ranges)
    top = [
        metadata.public(m)
        for m in ss.developer_metadata
        if m["location"].get("spreadsheet") and metadata.visible(ctx, m)
    ]
    if top:
        body["developerMetadata"] = top
    return body


def _sheet_json(ctx: Context, sheet: Sheet, rects: list[Rect], book: cells.Book) -> Json:
    body: Json = {"properties": copy.deepcopy(sheet.properties)}
    if sheet.protected_ranges:
        body["protectedRanges"] = [_protected_json(ctx, p) for p in sheet.protected_ranges]
    if sheet.conditional_formats:
        body["conditionalFormats"] = copy.deepcopy(sheet.conditional_formats)
    if sheet.charts:
        body["charts"] = copy.deepcopy(sheet.charts)
    own = [
        metadata.public(m)
        for m in ctx.spreadsheet.developer_metadata
        if m["location"].get("sheetId") == sheet.sheet_id and metadata.visible(ctx, m)
    ]
    if own:
        body["developerMetadata"] = own
    if rects:
        body["data"] = [_grid_data(ctx, sheet, rect, book) for rect in rects]
    return body


def _protected_json(ctx: Context, protected: Json) -> Json:
    """Editors are "only visible to users with edit access to the protected range and the document"."""
    can_edit = ctx.can_edit_protection(protected)
    body = {**copy.deepcopy(protected), "requestingUserCanEdit": can_edit}
    if not can_edit:
        body.pop("editors", None)
    return body


def _grid_data(ctx: Context, sheet: Sheet, rect: Rect, book: cells.Book) -> Json:
    data: Json = {}
    if rect.r0:
        data["startRow"] = rect.r0
    if rect.c0:
        data["startColumn"] = rect.c0
    keys = [k for k in sheet.cells if rect.r0 <= k[0] < rect.r1 and rect.c0 <= k[1] < rect.c1]
    if keys:
        last_row, last_col = max(r for r, _ in keys), max(c for _, c in keys)
        data["rowData"] = [
            {"values": [cells.cell_data(sheet, r, c, book) for c in range(rect.c0, last_col + 1)]}
            for r in range(rect.r0, last_row + 1)
        ]
    if any(rect.c0 <= c < rect.c1 for c in sheet.column_properties):
        data["columnMetadata"] = [
            {"pixelSize": 100, **copy.deepcopy(sheet.column_properties.get(c, {}))} for c in range(rect.c0, rect.c1)
        ]
    row_meta: dict[int, list[Json]] = {}
    for m in ctx.spreadsheet.developer_metadata:
        dr = m["location"].get("dimensionRange", {})
        if dr.get("sheetId") == sheet.sheet_id and dr.get("dimension") == "ROWS" and metadata.visible(ctx, m):
            row_meta.setdefault(dr["startIndex"], []).append(metadata.public(m))
    if row_meta:
        data["rowMetadata"] = [
            {"pixelSize": 21, **({"developerMetadata": row_meta[r]} if r in row_meta else {})}
            for r in range(rect.r0, rect.r1)
        ]
    return data
