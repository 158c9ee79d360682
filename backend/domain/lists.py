"""The hidden tab of dropdown lists (pure): one column per list (a delivery option's carriers, its handover
choices), so a per-row dropdown is one list-from-range rule pointing at its column, not a list of values
copied into every row's rule.

A list keeps its column for good (the layout is stored with the spreadsheet), so a rule written months ago
still points at the right list after the lists change; a column is rewritten only when its contents did.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from backend.domain.a1 import column_letters, quote_sheet

TITLE = "OrderDeck lists"  # an English file's; a file in another language names it in that language when made
ITEMS = 200  # choices per list; the rules reach this far so a longer list needs no new rules
OURS = "OrderDeck:"

Json = dict[str, Any]


@dataclass(frozen=True)
class ListsPlan:
    requests: list[Json]
    layout: dict[str, Any]  # {"sheet_id", "columns": {key: index}, "digests": {key: digest}}
    refs: dict[str, str]  # key → "'OrderDeck lists'!$B$2:$B$201"
    cells: int = 0  # cells the push adds to the spreadsheet (they count towards Google's 10 million)
    title: str = TITLE  # the tab's title: the one it was made with, kept when the file's language changes


def _digest(title: str, values: Sequence[str]) -> str:
    return hashlib.blake2b(json.dumps([title, list(values)]).encode(), digest_size=8).hexdigest()


def ref(column: int, title: str = TITLE) -> str:
    letter = column_letters(column)
    return f"{quote_sheet(title)}!${letter}$2:${letter}${ITEMS + 1}"


def find_tab(tabs: Mapping[str, Any], layout: Mapping[str, Any], titles: Sequence[str]) -> Any | None:
    """The list tab among a spreadsheet's sheets (lower-case title → sheet): by the sheet id stored with the
    spreadsheet, else by any language's title (a tab made before its id was stored)."""
    sheet_id = layout.get("sheet_id")
    by_id = next((t for t in tabs.values() if sheet_id is not None and t["properties"]["sheetId"] == sheet_id), None)
    return by_id or next((tabs[t.lower()] for t in titles if t.lower() in tabs), None)


def plan_lists(
    wanted: Mapping[str, tuple[str, Sequence[str]]],
    layout: Mapping[str, Any],
    existing: Mapping[str, Any] | None,
    *,
    new_sheet_id: int,
    editors: Sequence[str],
    new_title: str = TITLE,
) -> ListsPlan:
    """Requests that make the list tab hold `wanted` (key → (title, choices)).

    `existing` is the tab's sheet from the spreadsheet's metadata (None: not there, so it is made hidden
    and protected as `new_title`, and every column is written afresh).
    """
    columns: dict[str, int] = {str(k): int(v) for k, v in (layout.get("columns") or {}).items()}
    digests: dict[str, str] = dict(layout.get("digests") or {}) if existing is not None else {}
    for key in sorted(set(wanted) - set(columns)):
        columns[key] = max(columns.values(), default=-1) + 1
    width = max(columns.values(), default=0) + 1
    requests: list[Json] = []
    added = 0
    tab_title = new_title if existing is None else str(existing["properties"].get("title", new_title))
    if existing is None:
        added = (ITEMS + 1) * width
        sheet_id = new_sheet_id
        grid = {"rowCount": ITEMS + 1, "columnCount": width, "frozenRowCount": 1}
        props = {"sheetId": sheet_id, "title": tab_title, "hidden": True, "gridProperties": grid}
        requests.append({"addSheet": {"properties": props}})
        protection = {
            "range": {"sheetId": sheet_id},
            "description": f"{OURS} dropdown lists, written by the backend",
            "warningOnly": False,
            "editors": {"users": sorted(set(editors))},
        }
        requests.append({"addProtectedRange": {"protectedRange": protection}})
    else:
        sheet_id = int(existing["properties"]["sheetId"])
        have = int(existing["properties"].get("gridProperties", {}).get("columnCount", 0))
        if have < width:
            added = (ITEMS + 1) * (width - have)
            requests.append({"appendDimension": {"sheetId": sheet_id, "dimension": "COLUMNS", "length": width - have}})
    for key, (title, values) in sorted(wanted.items()):
        digest = _digest(title, values)
        if digests.get(key) == digest:
            continue
        digests[key] = digest
        cells = [title, *values[:ITEMS]] + [""] * (ITEMS - min(len(values), ITEMS))
        rows = [{"values": [{"userEnteredValue": {"stringValue": text}} if text else {}]} for text in cells]
        start = {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": columns[key]}
        requests.append({"updateCells": {"start": start, "rows": rows, "fields": "userEnteredValue"}})
    new_layout = {"sheet_id": sheet_id, "columns": columns, "digests": digests}
    return ListsPlan(requests, new_layout, {key: ref(columns[key], tab_title) for key in wanted}, added, tab_title)
