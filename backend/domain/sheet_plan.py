"""Diff the rows a tab should show against what the sheet holds, and plan one batchUpdate for the changes.

Pure: the writer reads the sheet (key column, grid, protections) and the stored snapshot of what was last
written, and sends what this module returns. Rows are found by key, so a sheet sorted or filtered by
hand is still updated in place; input cells are written only when the database value changed.
"""

from __future__ import annotations

import hashlib
import json
import math
from bisect import bisect_left
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from backend.domain.a1 import column_letters
from backend.domain.access import Sensitivity
from backend.domain.columns import Column, ColumnType, Formula
from backend.domain.profiles import Cell, Profile, Row
from backend.domain.text import cut, utf16_length

Json = dict[str, Any]
MAX_CELLS = 10_000_000
MAX_CELL_CHARS = 50_000
PAYLOAD_GUIDANCE = 2 * 1024 * 1024
ROWS_PER_REQUEST = 500
OURS = "OrderDeck:"
COLUMN_KEY = "orderdeck.column"  # developer metadata on each column: its key (edits find columns by it)
RED = {"red": 0.96, "green": 0.78, "blue": 0.76}
AMBER = {"red": 1.0, "green": 0.9, "blue": 0.6}
URGENCY_TIERS = (("4/24", RED), ("1", AMBER))  # under 4 hours, under 24 hours (serials count days)


class Unwritable(ValueError):
    """A value no Sheets cell can hold (Google would refuse the whole request): its row is left out."""


@dataclass(frozen=True)
class TabSpec:
    """What a tab should show, and who may edit what in it."""

    title: str
    sheet_id: int  # used when the tab must be created; an existing tab keeps its own id
    profile: Profile
    rows: Sequence[Row]
    backend_editors: tuple[str, ...]  # the writing identity and the team's admins
    input_editors: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # column key → members
    chart_id: int = 0  # the profile's chart, when it has one: stable per binding, so a re-push finds it


@dataclass(frozen=True)
class TabState:
    """What the writer read back: grid, the key column from row 2 down, protections and rules."""

    sheet_id: int
    row_count: int
    column_count: int
    frozen_rows: int = 0
    keys: tuple[str, ...] = ()
    protected_ranges: tuple[Json, ...] = ()
    conditional_formats: tuple[Json, ...] = ()
    chart_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Snapshot:
    """What the backend last wrote into a tab: the layout, per row key a digest of each cell, and the
    1-based sheet row each key was written to."""

    layout: str = ""
    rows: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    positions: Mapping[str, int] = field(default_factory=dict)

    def to_json(self) -> Json:
        return {
            "layout": self.layout,
            "rows": {k: "".join(v) for k, v in self.rows.items()},
            "positions": dict(self.positions),
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any] | None) -> Snapshot:
        if not doc:
            return cls()
        rows = doc.get("rows", {})
        positions = {str(k): int(v) for k, v in (doc.get("positions") or {}).items()}
        return cls(str(doc.get("layout", "")), {k: _split_digests(v) for k, v in rows.items()}, positions)


@dataclass
class TabPlan:
    requests: list[Json]
    snapshot: Snapshot
    added: int = 0
    changed: int = 0
    removed: int = 0
    final_rows: int = 0
    sheet_id: int = 0
    cut: int = 0  # cells whose text was cut to the 50,000 characters a cell holds
    unwritten: list[str] = field(default_factory=list)  # rows left out, each with why


DIGEST_CHARS = 8


def _split_digests(text: str) -> tuple[str, ...]:
    return tuple(text[i : i + DIGEST_CHARS] for i in range(0, len(text), DIGEST_CHARS))


def cell_data(value: Cell) -> Json:
    """A typed CellData: text is always `stringValue` (never parsed, cut to fit a cell), formulas only from the
    backend; raises Unwritable for a value no cell can hold."""
    if value is None:
        return {}
    if isinstance(value, Formula):
        return {"userEnteredValue": {"formulaValue": value.text}}
    if isinstance(value, bool):
        return {"userEnteredValue": {"boolValue": value}}
    if isinstance(value, int | float | Decimal):
        number = float(value)
        if not math.isfinite(number):
            raise Unwritable(f"{value} is beyond the numbers a Sheets cell can hold")
        return {"userEnteredValue": {"numberValue": number}}
    if _too_long(value):
        value = cut(value, MAX_CELL_CHARS, measure=utf16_length)
    return {"userEnteredValue": {"stringValue": value}}


def _too_long(text: str) -> bool:
    return len(text) > MAX_CELL_CHARS // 2 and utf16_length(text) > MAX_CELL_CHARS  # Sheets counts UTF-16 units


def digest(data: Json) -> str:
    return hashlib.blake2b(json.dumps(data, sort_keys=True).encode(), digest_size=DIGEST_CHARS // 2).hexdigest()


def layout_of(profile: Profile) -> str:
    """Changes whenever a column, its place, header or format changes: then the tab is rewritten."""
    parts = [(c.key, c.header, str(c.type), c.kind.value, c.enum_values) for c in profile.columns]
    chart = {"chart": json.loads(json.dumps(profile.chart.__dict__))} if profile.chart else {}
    return digest({"columns": json.loads(json.dumps(parts)), **chart})


def stable_id(*parts: object) -> int:
    """A positive 31-bit id derived from `parts`: the same protection gets the same id on every retry."""
    raw = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(raw, "big") % (2**31 - 2) + 1


def _grid(sheet_id: int, r0: int, r1: int | None, c0: int, c1: int) -> Json:
    rng: Json = {"sheetId": sheet_id, "startRowIndex": r0, "startColumnIndex": c0, "endColumnIndex": c1}
    if r1 is not None:
        rng["endRowIndex"] = r1
    return rng


def _segments(indexes: Sequence[int], inputs: frozenset[int]) -> list[tuple[int, int]]:
    """Contiguous [start, end) column runs covering `indexes`; a gap is bridged unless it holds an input cell."""
    runs: list[tuple[int, int]] = []
    for i in indexes:
        if runs and not inputs.intersection(range(runs[-1][1], i)):
            runs[-1] = (runs[-1][0], i + 1)
        else:
            runs.append((i, i + 1))
    return runs


def _cells_request(sheet_id: int, row: int, col: int, rows: Sequence[Sequence[Json]]) -> Json:
    return {
        "updateCells": {
            "start": {"sheetId": sheet_id, "rowIndex": row, "columnIndex": col},
            "rows": [{"values": list(values)} for values in rows],
            "fields": "userEnteredValue",
        }
    }


def _runs_of_equal(columns: Sequence[Column]) -> list[tuple[int, int, Mapping[str, str]]]:
    """Adjacent columns sharing a number format, so one repeatCell formats them together."""
    runs: list[tuple[int, int, Mapping[str, str]]] = []
    for j, column in enumerate(columns):
        fmt = column.number_format
        if fmt is None:
            continue
        if runs and runs[-1][1] == j and runs[-1][2] == fmt:
            runs[-1] = (runs[-1][0], j + 1, fmt)
        else:
            runs.append((j, j + 1, fmt))
    return runs


def _format_requests(spec: TabSpec, sheet_id: int, r0: int, r1: int) -> list[Json]:
    """Number formats and dropdowns for data rows [r0, r1)."""
    if r1 <= r0:
        return []
    columns = spec.profile.columns
    requests: list[Json] = [
        {
            "repeatCell": {
                "range": _grid(sheet_id, r0, r1, c0, c1),
                "cell": {"userEnteredFormat": {"numberFormat": dict(fmt)}},
                "fields": "userEnteredFormat.numberFormat",
            }
        }
        for c0, c1, fmt in _runs_of_equal(columns)
    ]
    for j, column in enumerate(columns):
        if column.is_input and column.type is ColumnType.ENUM and column.enum_values:
            rule = {
                "condition": {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": v} for v in column.enum_values]},
                "strict": False,
                "showCustomUi": True,
            }
            requests.append({"setDataValidation": {"range": _grid(sheet_id, r0, r1, j, j + 1), "rule": rule}})
    return requests


def urgency_rules(profile: Profile, sheet_id: int) -> list[Json]:
    """Red under 4 h, amber under 24 h on the live countdown column (first matching rule wins)."""
    if not any(c.key == "sla_countdown" for c in profile.columns):
        return []
    j = profile.index_of("sla_countdown")
    cell = f"{column_letters(j)}2"
    return [
        {
            "ranges": [_grid(sheet_id, 1, None, j, j + 1)],
            "booleanRule": {
                "condition": {
                    "type": "CUSTOM_FORMULA",
                    "values": [{"userEnteredValue": f"=AND(ISNUMBER({cell}),{cell}<{limit})"}],
                },
                "format": {"backgroundColor": color},
            },
        }
        for limit, color in URGENCY_TIERS
    ]


def _is_urgency_rule(rule: Mapping[str, Any]) -> bool:
    values = rule.get("booleanRule", {}).get("condition", {}).get("values", [])
    return any(str(v.get("userEnteredValue", "")).startswith("=AND(ISNUMBER(") for v in values)


def _rule_requests(spec: TabSpec, sheet_id: int, state: TabState | None) -> list[Json]:
    desired = urgency_rules(spec.profile, sheet_id)
    current: list[Json] = list(state.conditional_formats) if state else []
    if _canonical(current[: len(desired)]) == _canonical(desired) and not any(
        _is_urgency_rule(r) for r in current[len(desired) :]
    ):
        return []
    stale = [i for i, rule in enumerate(current) if _is_urgency_rule(rule)]
    requests: list[Json] = [{"deleteConditionalFormatRule": {"sheetId": sheet_id, "index": i}} for i in reversed(stale)]
    requests += [{"addConditionalFormatRule": {"rule": rule, "index": i}} for i, rule in enumerate(desired)]
    return requests


def _canonical(items: Iterable[Any]) -> str:
    return json.dumps(list(items), sort_keys=True)


def desired_protections(spec: TabSpec, sheet_id: int) -> list[Json]:
    """Everything but the input columns editable by the backend and admins; each input column by its roles too."""
    columns = spec.profile.columns
    inputs = [(j, c) for j, c in enumerate(columns) if c.is_input]
    backend = sorted(set(spec.backend_editors))
    protections: list[Json] = [
        {
            "protectedRangeId": stable_id(sheet_id, "sheet"),
            "range": {"sheetId": sheet_id},
            "description": f"{OURS} written by the backend; only the input columns are for typing",
            "warningOnly": False,
            "editors": {"users": backend},
            "unprotectedRanges": [_grid(sheet_id, 1, None, j, j + 1) for j, _ in inputs],
        }
    ]
    for j, column in inputs:
        roles = ", ".join(sorted(column.editable_by))
        protections.append(
            {
                "protectedRangeId": stable_id(sheet_id, "input", column.key),
                "range": _grid(sheet_id, 1, None, j, j + 1),
                "description": f"{OURS} {column.header} is typed by {roles}",
                "warningOnly": False,
                "editors": {"users": sorted(set(backend) | set(spec.input_editors.get(column.key, ())))},
            }
        )
    return protections


def _same_protection(want: Json, have: Mapping[str, Any], owner: str | None) -> bool:
    """Equal, allowing Google's habit of listing the file's owner as an editor of every protection."""
    for key in ("range", "description"):
        if _canonical([want.get(key)]) != _canonical([have.get(key)]):
            return False
    if bool(have.get("warningOnly")) or _canonical(want.get("unprotectedRanges", [])) != _canonical(
        have.get("unprotectedRanges", [])
    ):
        return False
    editors = have.get("editors", {})
    if editors.get("groups") or editors.get("domainUsersCanEdit"):
        return False
    wanted, actual = set(want["editors"]["users"]), {u.lower() for u in editors.get("users", [])}
    return wanted <= actual and actual - wanted <= ({owner.lower()} if owner else set())


def _protection_requests(spec: TabSpec, sheet_id: int, state: TabState | None, owner: str | None) -> list[Json]:
    current = {int(p["protectedRangeId"]): p for p in (state.protected_ranges if state else ())}
    requests: list[Json] = []
    desired = desired_protections(spec, sheet_id)
    wanted_ids = {p["protectedRangeId"] for p in desired}
    for pid, existing in current.items():
        if pid not in wanted_ids and str(existing.get("description", "")).startswith(OURS):
            requests.append({"deleteProtectedRange": {"protectedRangeId": pid}})
    for want in desired:
        have = current.get(want["protectedRangeId"])
        if have is None:
            requests.append({"addProtectedRange": {"protectedRange": want}})
        elif not _same_protection(want, have, owner):
            requests.append(
                {
                    "updateProtectedRange": {
                        "protectedRange": want,
                        "fields": "range,description,warningOnly,editors,unprotectedRanges",
                    }
                }
            )
    return requests


def _structure(spec: TabSpec, state: TabState | None) -> list[Json]:
    """Create the tab, or widen it and freeze its header row."""
    width = len(spec.profile.columns)
    if state is None:
        rows = 1 + max(len(spec.rows), 1)
        grid = {"rowCount": rows, "columnCount": width, "frozenRowCount": 1}
        return [{"addSheet": {"properties": {"sheetId": spec.sheet_id, "title": spec.title, "gridProperties": grid}}}]
    requests: list[Json] = []
    if state.column_count < width:
        requests.append(
            {
                "appendDimension": {
                    "sheetId": state.sheet_id,
                    "dimension": "COLUMNS",
                    "length": width - state.column_count,
                }
            }
        )
    if state.frozen_rows != 1:
        grid_props = {"sheetId": state.sheet_id, "gridProperties": {"frozenRowCount": 1}}
        requests.append(
            {"updateSheetProperties": {"properties": grid_props, "fields": "gridProperties.frozenRowCount"}}
        )
    return requests


def _header(spec: TabSpec, sheet_id: int, state: TabState | None) -> Json:
    columns = spec.profile.columns
    header = [{**cell_data(c.header), "userEnteredFormat": {"textFormat": {"bold": True}}} for c in columns]
    width = max(len(columns), state.column_count if state else 0)
    return {
        "updateCells": {
            "range": _grid(sheet_id, 0, 1, 0, width),  # a range, so stale header cells to the right are cleared
            "rows": [{"values": header}],
            "fields": "userEnteredValue,userEnteredFormat.textFormat.bold",
        }
    }


def column_keys(columns: Sequence[Column], sheet_id: int, *, existed: bool) -> list[Json]:
    """Each column carries its key as developer metadata, which moves with the column: edits find a column by
    key whatever its header says (a Chinese sheet) and wherever someone dragged it."""
    requests: list[Json] = []
    if existed:
        lookup = {"metadataKey": COLUMN_KEY, "metadataLocation": {"sheetId": sheet_id},
                  "locationMatchingStrategy": "INTERSECTING_LOCATION"}  # fmt: skip
        requests.append({"deleteDeveloperMetadata": {"dataFilter": {"developerMetadataLookup": lookup}}})
    for i, column in enumerate(columns):
        place = {"sheetId": sheet_id, "dimension": "COLUMNS", "startIndex": i, "endIndex": i + 1}
        meta = {"metadataKey": COLUMN_KEY, "metadataValue": column.key, "location": {"dimensionRange": place},
                "visibility": "DOCUMENT"}  # fmt: skip
        requests.append({"createDeveloperMetadata": {"developerMetadata": meta}})
    return requests


@dataclass
class _Placement:
    positions: dict[str, int]  # key → row index after deletions
    doomed: list[int]  # row indexes to delete, ascending
    first_free: int  # where new rows go
    new_rows: list[Row]


def _place(rows: Sequence[Row], keys: Sequence[str], grid_rows: int, wipe: bool) -> _Placement:
    """Find each row by key; rows no longer wanted (or duplicated by hand) are deleted, the rest stay put."""
    wanted = {row.key for row in rows}
    positions: dict[str, int] = {}
    doomed: list[int] = list(range(1, grid_rows)) if wipe else []
    for i, key in enumerate(() if wipe else keys):
        if not key:
            continue
        if key in positions or key not in wanted:
            doomed.append(i + 1)
        else:
            positions[key] = i + 1
    positions = {k: r - bisect_left(doomed, r) for k, r in positions.items()}
    first_free = 1 if wipe else 1 + len(keys) - len(doomed)
    return _Placement(positions, doomed, first_free, [row for row in rows if row.key not in positions])


def _encode(rows: Sequence[Row], columns: Sequence[Column]) -> tuple[dict[str, list[Json]], list[str], int]:
    """Each row's CellData by key; a row holding a value no cell can hold is left out and named, so the
    rest of the tab is still written. Also how many cells were cut to fit."""
    encoded: dict[str, list[Json]] = {}
    unwritten: list[str] = []
    cut_cells = 0
    for row in rows:
        data: list[Json] = []
        for value, column in zip(row.cells, columns, strict=True):
            try:
                data.append(cell_data(value))
            except Unwritable as exc:
                unwritten.append(f"row {row.key} was not written: {column.header}: {exc}")
                break
        else:
            encoded[row.key] = data
            cut_cells += sum(1 for v in row.cells if isinstance(v, str) and _too_long(v))
    return encoded, unwritten, cut_cells


def _changed_cells(
    data: list[Json], position: int, sheet_id: int, before: tuple[str, ...] | None, inputs: frozenset[int]
) -> tuple[tuple[str, ...], list[Json]]:
    """The row's digests and the writes it needs; an input cell is written only if the database value changed."""
    now = tuple(digest(d) for d in data)

    def needs_write(j: int) -> bool:
        if before is None:  # not written by us before (or the snapshot is gone): keep typed input unless we know better
            return j not in inputs or bool(data[j])
        return before[j] != now[j]

    write = [j for j in range(len(data)) if needs_write(j)]
    return now, [_cells_request(sheet_id, position, c0, [data[c0:c1]]) for c0, c1 in _segments(write, inputs)]


def plan_tab(spec: TabSpec, state: TabState | None, snapshot: Snapshot, owner: str | None = None) -> TabPlan:
    """The requests that make the tab show `spec.rows`, touching only what changed since `snapshot`."""
    columns = spec.profile.columns
    inputs = frozenset(j for j, c in enumerate(columns) if c.is_input)
    layout = layout_of(spec.profile)
    encoded, unwritten, cut_cells = _encode(spec.rows, columns)
    sheet_id = state.sheet_id if state else spec.sheet_id
    grid_rows = state.row_count if state else 1 + max(len(spec.rows), 1)
    known = snapshot if state else Snapshot()
    fresh = known.layout != layout  # a new tab or a new layout: header, formats and every row are written
    requests = _structure(spec, state)
    if fresh:
        requests.append(_header(spec, sheet_id, state))
        known = Snapshot(layout)
    # A report or charted tab holds only what the backend writes and its order means something, so one
    # sorted by hand, or that would grow at the bottom below its totals, is rewritten in order.
    keys_now = [k for k in state.keys if k] if state else []
    keys_wanted = [row.key for row in spec.rows]
    reorder = spec.profile.keeps_order and not inputs and keys_now != keys_wanted
    wipe = (fresh or reorder) and state is not None
    # A row that cannot be written is not added; one the tab already shows stays as it was.
    shown = set() if wipe or state is None else set(state.keys)
    rows = [row for row in spec.rows if row.key in encoded or row.key in shown]
    place = _place(rows, state.keys if state else (), grid_rows, wipe=wipe)
    needed = max(place.first_free + len(place.new_rows), 2)  # Sheets refuses to delete every non-frozen row
    remaining = grid_rows - len(place.doomed)
    if needed > remaining and state is not None:
        # Grow first (at the end, so the deletions' indexes still hold), then delete.
        requests.append({"appendDimension": {"sheetId": sheet_id, "dimension": "ROWS", "length": needed - remaining}})
    for start, end in reversed(_row_runs(place.doomed)):
        dimension = {"sheetId": sheet_id, "dimension": "ROWS", "startIndex": start, "endIndex": end}
        requests.append({"deleteDimension": {"range": dimension}})

    digests: dict[str, tuple[str, ...]] = {}
    changed = 0
    for key, position in sorted(place.positions.items(), key=lambda kv: kv[1]):
        before = known.rows.get(key)
        if key not in encoded:
            if before is not None:
                digests[key] = before
            continue
        digests[key], writes = _changed_cells(encoded[key], position, sheet_id, before, inputs)
        changed += bool(writes)
        requests += writes
    for offset in range(0, len(place.new_rows), ROWS_PER_REQUEST):
        keys = [row.key for row in place.new_rows[offset : offset + ROWS_PER_REQUEST]]
        digests.update((key, tuple(digest(d) for d in encoded[key])) for key in keys)
        requests.append(_cells_request(sheet_id, place.first_free + offset, 0, [encoded[key] for key in keys]))
    positions = {key: index + 1 for key, index in place.positions.items()}
    positions.update((row.key, place.first_free + i + 1) for i, row in enumerate(place.new_rows))
    requests += _format_requests(spec, sheet_id, 1 if fresh else place.first_free, needed)
    requests += _rule_requests(spec, sheet_id, state)
    requests += _protection_requests(spec, sheet_id, state, owner)
    charted = _charted_rows(spec.profile, keys_wanted)
    respec = fresh or charted != _charted_rows(spec.profile, keys_now)
    requests += _chart_requests(spec, sheet_id, state, respec, charted)
    if fresh:
        requests += column_keys(columns, sheet_id, existed=state is not None)
    return TabPlan(
        requests=requests,
        snapshot=Snapshot(layout, digests, positions),
        added=len(place.new_rows),
        changed=changed,
        removed=len(keys_now) if wipe else len(place.doomed),
        cut=cut_cells,
        unwritten=unwritten,
        final_rows=max(needed, remaining),
        sheet_id=sheet_id,
    )


def _charted_rows(profile: Profile, keys: Sequence[str]) -> int | None:
    """How many leading rows the chart covers: those before the first left-out key (None: the whole column)."""
    chart = profile.chart
    if chart is None or not chart.leave_out:
        return None
    return next((i for i, key in enumerate(keys) if key.startswith(chart.leave_out)), len(keys))


def _chart_requests(spec: TabSpec, sheet_id: int, state: TabState | None, respec: bool, rows: int | None) -> list[Json]:
    """Add the profile's chart once (its id is the binding's), and re-spec it when its range or the layout changed.

    Each source runs from the header down: the whole column (rows added later are charted without a
    write), or the first `rows` rows when the chart leaves the totals below them out.
    """
    chart, profile = spec.profile.chart, spec.profile
    if chart is None:
        return []
    exists = state is not None and spec.chart_id in state.chart_ids
    if exists and not respec:
        return []

    def source(key: str) -> Json:
        j = profile.index_of(key)
        end = None if rows is None else 1 + max(rows, 1)
        return {"sourceRange": {"sources": [_grid(sheet_id, 0, end, j, j + 1)]}}

    domain = profile.columns[profile.index_of(chart.domain)].header
    series = [{"series": source(key), "targetAxis": "LEFT_AXIS"} for key in chart.series]
    body = {
        "title": chart.title,
        "basicChart": {
            "chartType": chart.type,
            "legendPosition": "BOTTOM_LEGEND",
            "headerCount": 1,
            "axis": [{"position": "BOTTOM_AXIS", "title": domain}],
            "domains": [{"domain": source(chart.domain)}],
            "series": series,
        },
    }
    if exists:
        return [{"updateChartSpec": {"chartId": spec.chart_id, "spec": body}}]
    anchor = {"sheetId": sheet_id, "rowIndex": 1, "columnIndex": len(profile.columns) - 1}
    position = {"overlayPosition": {"anchorCell": anchor, "offsetXPixels": 120}}
    return [{"addChart": {"chart": {"chartId": spec.chart_id, "spec": body, "position": position}}}]


ABOVE_OPERATIONAL = frozenset(Sensitivity) - {Sensitivity.OPERATIONAL}


def withdraw_requests(
    profile: Profile, state: TabState, classes: Collection[Sensitivity] = ABOVE_OPERATIONAL
) -> list[Json]:
    """Clear the tab's cells of `classes` (by default all above "operational"): the file's readers may no
    longer see them, and a protected range stops editing, not reading, so what was written must leave."""
    width = min(len(profile.columns), state.column_count)
    if state.row_count <= 1 or not width:
        return []
    hidden = [j for j, c in enumerate(profile.columns[:width]) if c.sensitivity in classes]
    return [
        {"updateCells": {"range": _grid(state.sheet_id, 1, state.row_count, c0, c1), "fields": "userEnteredValue"}}
        for c0, c1 in _row_runs(hidden)
    ]


def _row_runs(rows: Sequence[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for r in rows:
        if runs and runs[-1][1] == r:
            runs[-1] = (runs[-1][0], r + 1)
        else:
            runs.append((r, r + 1))
    return runs


def over_cell_limit(current_cells: int, tabs: Mapping[int, tuple[TabPlan, TabState | None, int]]) -> dict[int, str]:
    """The tabs to leave unwritten, each with why, so the spreadsheet stays within the 10 million cells Google
    allows across its tabs; `tabs` maps a tab's key to its plan, what it holds now and its width.

    Tabs that shrink or grow least are let in first, so one big tab is refused while the others are written.
    """
    growth = {
        key: plan.final_rows * max(width, state.column_count if state else 0)
        - (state.row_count * state.column_count if state else 0)
        for key, (plan, state, width) in tabs.items()
    }
    total = current_cells
    refused: dict[int, str] = {}
    for key in sorted(growth, key=lambda k: growth[k]):
        if total + growth[key] > MAX_CELLS:
            refused[key] = (
                f"not written: it would take the spreadsheet to {total + growth[key]:,} cells, and Google Sheets "
                f"allows {MAX_CELLS:,} in a spreadsheet; narrow the profile's age window or move the tab to "
                "another spreadsheet"
            )
        else:
            total += growth[key]
    return refused


def split_bodies(requests: Sequence[Json], limit: int = PAYLOAD_GUIDANCE) -> list[Json]:
    """One batchUpdate body, or — only when it would pass the 2 MB guidance — several, in order."""
    if not requests:
        return []
    bodies: list[list[Json]] = [[]]
    size = 0
    for request in requests:
        cost = len(json.dumps(request, separators=(",", ":"))) + 1
        if bodies[-1] and size + cost > limit:
            bodies.append([])
            size = 0
        bodies[-1].append(request)
        size += cost
    return [{"requests": body} for body in bodies]
