"""Developer metadata: locations, visibility and DataFilter matching for search and delete."""

from __future__ import annotations

from typing import Any

from backend.sandbox.sheets.context import Context
from backend.sandbox.sheets.errors import invalid
from backend.sandbox.sheets.model import Json, Rect

_LOOKUP_FIELDS = ("metadataId", "metadataKey", "metadataValue", "visibility", "locationType")


def normalize_location(ctx: Context, location: Json) -> Json:
    """Fill `locationType` and check a dimension range covers exactly one row or column."""
    if location.get("spreadsheet"):
        return {"locationType": "SPREADSHEET", "spreadsheet": True}
    if "sheetId" in location:
        ctx.spreadsheet.sheet_by_id(int(location["sheetId"]))
        return {"locationType": "SHEET", "sheetId": int(location["sheetId"])}
    dr = location.get("dimensionRange")
    if not dr:
        raise invalid("Developer metadata location must specify a spreadsheet, sheet or dimension range.")
    sheet = ctx.spreadsheet.sheet_by_id(int(dr.get("sheetId", 0)))
    start, end = int(dr.get("startIndex", 0)), int(dr.get("endIndex", 0))
    size = sheet.row_count if dr.get("dimension") == "ROWS" else sheet.column_count
    if end - start != 1 or end > size:
        raise invalid("Developer metadata dimension range must represent a single row or column.")
    kind = "ROW" if dr.get("dimension") == "ROWS" else "COLUMN"
    return {
        "locationType": kind,
        "dimensionRange": {
            "sheetId": sheet.sheet_id,
            "dimension": dr["dimension"],
            "startIndex": start,
            "endIndex": end,
        },
    }


def visible(ctx: Context, meta: Json) -> bool:
    """PROJECT metadata is seen only by the project (OAuth client) that created it."""
    return meta.get("visibility") == "DOCUMENT" or meta.get("_project") == ctx.client_id


def public(meta: Json) -> Json:
    return {k: v for k, v in meta.items() if not k.startswith("_")}


def matches(ctx: Context, meta: Json, data_filter: Json) -> bool:
    if "developerMetadataLookup" in data_filter:
        return _lookup_matches(ctx, meta, data_filter["developerMetadataLookup"])
    if "a1Range" in data_filter:
        sheet, rect = ctx.spreadsheet.rect_for(data_filter["a1Range"])
        return _intersects(ctx, meta, rect)
    if "gridRange" in data_filter:
        grid_range = data_filter["gridRange"]
        sheet = ctx.spreadsheet.sheet_by_id(int(grid_range.get("sheetId", 0)))
        return _intersects(ctx, meta, sheet.rect(grid_range))
    raise invalid("DataFilter must set developerMetadataLookup, a1Range or gridRange.")


def _lookup_matches(ctx: Context, meta: Json, lookup: Json) -> bool:
    for key in _LOOKUP_FIELDS:
        if key in lookup and str(meta.get(key)) != str(lookup[key]):
            return False
    wanted: Any = lookup.get("metadataLocation")
    exact = lookup.get("locationMatchingStrategy") == "EXACT_LOCATION"
    return not wanted or _location_matches(meta["location"], wanted, exact)


def _location_matches(location: Json, wanted: Json, exact: bool) -> bool:
    """EXACT_LOCATION needs the same location; INTERSECTING also takes rows/columns inside a wanted sheet."""
    if wanted.get("spreadsheet"):
        return location.get("locationType") == "SPREADSHEET" or not exact
    if "sheetId" in wanted:
        sheet_id = int(wanted["sheetId"])
        inside = location.get("dimensionRange", {}).get("sheetId") == sheet_id and not exact
        return location.get("sheetId") == sheet_id or inside
    dr = wanted.get("dimensionRange", {})
    own = location.get("dimensionRange")
    if not own or own.get("sheetId") != dr.get("sheetId", 0) or own.get("dimension") != dr.get("dimension"):
        return False
    if exact:
        return bool(own["startIndex"] == dr.get("startIndex") and own["endIndex"] == dr.get("endIndex"))
    return bool(own["startIndex"] < dr.get("endIndex", 10**9) and own["endIndex"] > dr.get("startIndex", 0))


def _intersects(ctx: Context, meta: Json, rect: Rect) -> bool:
    dr = meta["location"].get("dimensionRange")
    if not dr or int(dr["sheetId"]) != rect.sheet_id:
        return False
    sheet = ctx.spreadsheet.sheet_by_id(rect.sheet_id)
    whole = sheet.whole()
    if dr["dimension"] == "ROWS":
        own = Rect(rect.sheet_id, dr["startIndex"], dr["endIndex"], 0, whole.c1)
    else:
        own = Rect(rect.sheet_id, 0, whole.r1, dr["startIndex"], dr["endIndex"])
    return own.intersect(rect) is not None


def search(ctx: Context, data_filters: list[Json]) -> Json:
    """developerMetadata.search: every visible entry matching any filter, with the filters it matched."""
    matched = []
    for meta in ctx.spreadsheet.developer_metadata:
        if not visible(ctx, meta):
            continue
        hits = [f for f in data_filters if matches(ctx, meta, f)]
        if hits:
            matched.append({"developerMetadata": public(meta), "dataFilters": hits})
    return {"matchedDeveloperMetadata": matched} if matched else {}
