"""Diff the rows a tab should show against what the sheet holds, and plan one batchUpdate for the changes.

Pure: the writer reads the sheet (key column, grid, protections) and the stored snapshot of what was last
written, and sends what this module returns. The rows wanted are every row of the tab, or (an
incremental spec) only the rows of the orders re-read, the others being kept as the snapshot remembers
them. Where each row goes is sheet_layout.py's part; input cells are written only when the database
value changed.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, NamedTuple

from backend.domain.a1 import column_letters
from backend.domain.access import Sensitivity
from backend.domain.columns import Column, ColumnType, Dropdown, Formula
from backend.domain.profiles import Cell, Profile, Rank, Row
from backend.domain.sheet_layout import BLANK, Layout, Wanted, lay_out, row_runs, wanted_rows
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
    """What a tab should show, and who may edit what in it.

    `touched` is None when `rows` is every row of the tab (a full projection). Otherwise only the orders
    in `touched` were re-read: `rows` are all their rows now, and every other row stays as the snapshot
    remembers it (an incremental projection).
    """

    title: str
    sheet_id: int  # used when the tab must be created; an existing tab keeps its own id
    profile: Profile
    rows: Sequence[Row]
    backend_editors: tuple[str, ...]  # the writing identity and the team's admins
    input_editors: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # column key → members
    chart_id: int = 0  # the profile's chart, when it has one: stable per binding, so a re-push finds it
    touched: frozenset[int] | None = None
    lists: Mapping[str, str] = field(default_factory=dict)  # list key → its range in the list tab (A1)


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


class Memo(NamedTuple):
    """What the backend remembers of one row it wrote: a digest per cell (joined), the order it shows
    and its rank (None for rows remembered before ranks were kept)."""

    digests: str
    owner: int | None = None
    rank: Rank | None = None

    def cells(self) -> tuple[str, ...]:
        return _split_digests(self.digests)

    def encode(self) -> str:
        """Stored as one string per row ("digests|owner|rank"), so a push that re-reads a few orders decodes
        only their rows and copies the others as they are."""
        owner = "" if self.owner is None else str(self.owner)
        return f"{self.digests}|{owner}|{json.dumps(list(self.rank or ()), separators=(',', ':'))}"

    @classmethod
    def decode(cls, stored: str) -> Memo:
        if "|" not in stored:  # remembered before owners and ranks were kept
            return cls(stored)
        digests, owner, rank = stored.split("|", 2)
        return cls(digests, int(owner) if owner else None, tuple(json.loads(rank)))


class Memos(Mapping[str, Memo]):
    """The snapshot's rows: stored strings, decoded one by one when asked for."""

    def __init__(self, stored: Mapping[str, str]) -> None:
        self.stored = stored
        self._decoded: dict[str, Memo] = {}

    def __getitem__(self, key: str) -> Memo:
        memo = self._decoded.get(key)
        if memo is None:
            memo = self._decoded[key] = Memo.decode(self.stored[key])
        return memo

    def __iter__(self) -> Iterator[str]:
        return iter(self.stored)

    def __len__(self) -> int:
        return len(self.stored)


@dataclass(frozen=True)
class Snapshot:
    """What the backend last wrote into a tab: the layout; per row key its memo; the rows of each order (by
    owner, so a push that re-reads a few orders finds theirs without reading the others); the key column
    as the push left it (blank rows as ""), which is also where each row went (people may sort the tab by
    hand between pushes); and the order the rows were left in (1: the profile's, -1: that reversed, 0: the
    team's own, None: unknown). `owners` is None for a snapshot kept before orders and ranks were."""

    layout: str = ""
    rows: Memos = field(default_factory=lambda: Memos({}))
    owners: Mapping[str, list[str]] | None = field(default_factory=dict)
    keys: tuple[str, ...] | None = ()
    order: int | None = None

    def to_json(self) -> Json:
        return {
            "layout": self.layout,
            "rows": dict(self.rows.stored),
            "owners": None if self.owners is None else dict(self.owners),
            "keys": None if self.keys is None else list(self.keys),
            "order": self.order,
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any] | None) -> Snapshot:
        if not doc:
            return cls()
        keys, order = doc.get("keys"), doc.get("order")
        return cls(
            str(doc.get("layout", "")),
            Memos(doc.get("rows") or {}),
            doc.get("owners"),
            None if keys is None else tuple(keys),
            None if order is None else int(order),
        )


class SnapshotMismatch(Exception):
    """The sheet no longer holds the rows the snapshot remembers (rows deleted, inserted or duplicated by
    hand, a lost snapshot): an incremental projection cannot be trusted; project every row instead."""


@dataclass
class TabPlan:
    requests: list[Json]
    snapshot: Snapshot
    added: int = 0
    changed: int = 0
    removed: int = 0
    moved: int = 0
    final_rows: int = 0
    sheet_id: int = 0
    cut: int = 0  # cells whose text was cut to the 50,000 characters a cell holds
    unwritten: list[str] = field(default_factory=list)  # rows left out, each with why


DIGEST_CHARS = 8
FEW_ROWS = 16  # rows a push projects past which indexing every row of the tab beats a search per row


def _split_digests(text: str) -> tuple[str, ...]:
    return tuple(text[i : i + DIGEST_CHARS] for i in range(0, len(text), DIGEST_CHARS))


def cell_data(value: Cell) -> Json:
    """A typed CellData: text is always `stringValue` (never parsed, cut to fit a cell), formulas only from the
    backend; a Dropdown carries its own list as the cell's data validation (none when it offers no choice);
    raises Unwritable for a value no cell can hold."""
    if isinstance(value, Dropdown):
        data = cell_data(value.value or None)
        return {**data, "dataValidation": _one_of(value.choices)} if value.choices else data
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


_CANONICAL = json.JSONEncoder(sort_keys=True)  # json.dumps(…, sort_keys=True) without a new encoder per cell


def digest(data: Json) -> str:
    return hashlib.blake2b(_CANONICAL.encode(data).encode(), digest_size=DIGEST_CHARS // 2).hexdigest()


def layout_of(profile: Profile) -> str:
    """Changes whenever a column, its place, header or format changes: then the tab is rewritten."""
    parts = [(c.key, c.header, str(c.type), c.kind.value, c.enum_values, c.hidden) for c in profile.columns]
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
    """Values; with their validation too when a cell brings its own list (which also clears the others')."""
    own_list = any("dataValidation" in cell for values in rows for cell in values)
    return {
        "updateCells": {
            "start": {"sheetId": sheet_id, "rowIndex": row, "columnIndex": col},
            "rows": [{"values": list(values)} for values in rows],
            "fields": "userEnteredValue,dataValidation" if own_list else "userEnteredValue",
        }
    }


def _one_of(values: Sequence[str]) -> Json:
    return {
        "condition": {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": v} for v in values]},
        "strict": False,
        "showCustomUi": True,
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
            rule = _one_of(column.enum_values)
            requests.append({"setDataValidation": {"range": _grid(sheet_id, r0, r1, j, j + 1), "rule": rule}})
    return requests


def _choice_requests(spec: TabSpec, sheet_id: int, first: int, rows: Sequence[Row]) -> list[Json]:
    """Per-row dropdowns for rows written from `first` on: one list-from-range rule per run of rows that
    share a list (a delivery option's carriers), pointing at its column of the list tab; rows without a
    list get their rule cleared (a row below may have left one there)."""
    requests: list[Json] = []
    for j, column in enumerate(spec.profile.columns):
        if column.choices is None:
            continue
        runs: list[tuple[int, int, str | None]] = []
        for offset, row in enumerate(rows):
            target = spec.lists.get(row.lists.get(j, ""))
            if runs and runs[-1][2] == target and runs[-1][1] == first + offset:
                runs[-1] = (runs[-1][0], first + offset + 1, target)
            else:
                runs.append((first + offset, first + offset + 1, target))
        for r0, r1, target in runs:
            body: Json = {"range": _grid(sheet_id, r0, r1, j, j + 1)}
            if target is not None:
                condition = {"type": "ONE_OF_RANGE", "values": [{"userEnteredValue": f"={target}"}]}
                body["rule"] = {"condition": condition, "strict": True, "showCustomUi": True}
            requests.append({"setDataValidation": body})
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


def frozen_columns(profile: Profile) -> int:
    """Columns kept in view while scrolling right: through the first one people read (a hidden key
    column stays in A, where the writer reads the keys, and the column after it is frozen with it)."""
    wanted = 2 if profile.columns[0].hidden else 1
    return min(wanted, len(profile.columns) - 1)  # Sheets refuses to freeze every column


def _key_column(sheet_id: int, hidden: bool) -> Json:
    """Hide (or show again) column A: row keys such as "order/SKU" that no person needs to read."""
    columns = {"sheetId": sheet_id, "dimension": "COLUMNS", "startIndex": 0, "endIndex": 1}
    return {
        "updateDimensionProperties": {
            "range": columns,
            "properties": {"hiddenByUser": hidden},
            "fields": "hiddenByUser",
        }
    }


def _structure(spec: TabSpec, state: TabState | None, fresh: bool) -> list[Json]:
    """Create the tab, or widen it; freeze its header row and first column (again on a new layout, so a
    person's own freeze otherwise stands), and hide a key column nobody reads."""
    width = len(spec.profile.columns)
    frozen = {"frozenRowCount": 1, "frozenColumnCount": frozen_columns(spec.profile)}
    hide = spec.profile.columns[0].hidden
    if state is None:
        rows = 1 + max(len(spec.rows), 1)
        grid = {"rowCount": rows, "columnCount": width, **frozen}
        new = {"addSheet": {"properties": {"sheetId": spec.sheet_id, "title": spec.title, "gridProperties": grid}}}
        return [new, _key_column(spec.sheet_id, True)] if hide else [new]
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
    if fresh:
        grid_props = {"sheetId": state.sheet_id, "gridProperties": frozen}
        fields = "gridProperties.frozenRowCount,gridProperties.frozenColumnCount"
        requests += [
            {"updateSheetProperties": {"properties": grid_props, "fields": fields}},
            _key_column(state.sheet_id, hide),
        ]
    elif state.frozen_rows != 1:
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
            return j not in inputs or bool(data[j].get("userEnteredValue"))
        return before[j] != now[j]

    write = [j for j in range(len(data)) if needs_write(j)]
    own_lists = frozenset(j for j, cell in enumerate(data) if "dataValidation" in cell)
    runs = _apart(_segments(write, inputs), own_lists)
    return now, [_cells_request(sheet_id, position, c0, [data[c0:c1]]) for c0, c1 in runs]


def _apart(runs: Sequence[tuple[int, int]], alone: frozenset[int]) -> list[tuple[int, int]]:
    """Cut runs so each column in `alone` is written by itself (its request sets validation, which must
    not clear a neighbour's)."""
    cut: list[tuple[int, int]] = []
    for c0, c1 in runs:
        start = c0
        for j in range(c0, c1):
            if j in alone:
                cut += [(start, j)] if start < j else []
                cut.append((j, j + 1))
                start = j + 1
        if start < c1:
            cut.append((start, c1))
    return cut


def _check_incremental(state: TabState | None, known: Snapshot, fresh: bool) -> None:
    """An incremental plan needs the sheet to hold exactly the rows the snapshot remembers."""
    if state is None or fresh or known.owners is None:
        raise SnapshotMismatch("the tab is new, has a new layout, or was written before ranks were kept")
    if state.keys == known.keys:  # every row where the last push left it: nothing to count
        return
    keys = [k for k in state.keys if k]
    if len(keys) != len(known.rows) or set(keys) != known.rows.stored.keys():
        raise SnapshotMismatch("rows were added, removed or duplicated in the sheet since the last push")


def _cell_writes(
    spec: TabSpec,
    layout: Layout,
    wanted: Wanted,
    known: Snapshot,
    at: Mapping[str, int],
    *,
    encoded: Mapping[str, list[Json]],
) -> tuple[list[Json], dict[str, str], int]:
    """The cell writes (changed cells of kept rows, whole new rows with their formats), the rows' stored
    memos, and how many kept rows changed. `at` is each projected key's data row after the layout;
    `encoded` each writable row's cells (a kept row missing from it stays as it was)."""
    sheet_id, rows = layout.grid.sheet_id, layout.grid.rows
    inputs = frozenset(j for j, c in enumerate(spec.profile.columns) if c.is_input)
    arriving = set(layout.new_keys)
    requests: list[Json] = []
    stored: dict[str, str] = {}
    if spec.touched is not None:  # the other rows' memos are copied as they are
        stored = dict(known.rows.stored)
        for key in wanted.old:
            stored.pop(key, None)
    changed = 0
    for key, row in sorted(wanted.projected.items(), key=lambda kv: at[kv[0]]):
        if key in arriving:
            continue
        before = known.rows.get(key)
        if key not in encoded:
            if key in known.rows.stored:
                stored[key] = known.rows.stored[key]
            continue
        known_cells = before.cells() if before and before.digests else None
        digests, writes = _changed_cells(encoded[key], at[key] + 1, sheet_id, known_cells, inputs)
        stored[key] = Memo("".join(digests), row.owner, wanted.rank(key)).encode()
        changed += bool(writes)
        requests += writes
    for start, end in row_runs(sorted(at[k] for k in arriving)):
        for offset in range(start, end, ROWS_PER_REQUEST):
            batch = []
            for key in rows[offset : min(end, offset + ROWS_PER_REQUEST)]:
                row, data = wanted.projected[key], encoded[key]
                stored[key] = Memo("".join(digest(d) for d in data), row.owner, wanted.rank(key)).encode()
                batch.append(data)
            requests.append(_cells_request(sheet_id, offset + 1, 0, batch))
        requests += _choice_requests(spec, sheet_id, start + 1, [wanted.projected[k] for k in rows[start:end]])
        if not layout.first_fill:
            requests += _format_requests(spec, sheet_id, start + 1, end + 1)
    if layout.first_fill:
        requests += _format_requests(spec, sheet_id, 1, max(1 + len(rows), 2))
    return requests, stored, changed


def _owners(spec: TabSpec, known: Snapshot, wanted: Wanted) -> dict[str, list[str]]:
    """Each order's rows after the plan: the re-read orders' rows now, the others' as remembered."""
    owners: dict[str, list[str]] = {}
    if spec.touched is not None and known.owners is not None:
        owners = dict(known.owners)
        for owner in spec.touched:
            owners.pop(str(owner), None)
    for key, row in wanted.projected.items():
        owners.setdefault("" if row.owner is None else str(row.owner), []).append(key)
    return owners


def plan_tab(spec: TabSpec, state: TabState | None, snapshot: Snapshot, owner: str | None = None) -> TabPlan:
    """The requests that make the tab show the wanted rows, touching only what changed since `snapshot`.

    Raises SnapshotMismatch for an incremental spec the sheet no longer matches (re-project in full).
    """
    profile = spec.profile
    encoded, unwritten, cut_cells = _encode(spec.rows, profile.columns)
    sheet_id = state.sheet_id if state else spec.sheet_id
    known = snapshot if state else Snapshot()
    layout_key = layout_of(profile)
    fresh = known.layout != layout_key  # a new tab or a new layout: header, formats and every row are written
    if spec.touched is not None:
        _check_incremental(state, known, fresh)
    requests = _structure(spec, state, fresh)
    if fresh:
        requests.append(_header(spec, sheet_id, state))
        known = Snapshot(layout_key)
    # A report or charted tab holds only what the backend writes and its order means something, so one
    # sorted by hand, or that would grow at the bottom below its totals, is rewritten in order.
    keys_now = [k for k in state.keys if k] if state and profile.keeps_order else []
    has_inputs = any(c.is_input for c in profile.columns)
    reorder = profile.keeps_order and not has_inputs and keys_now != [row.key for row in spec.rows]
    if len(encoded) < len(spec.rows):  # a row that cannot be written is not added; one the tab shows stays as it was
        shown = frozenset() if fresh or reorder or state is None else frozenset(state.keys)
        spec = replace(spec, rows=[row for row in spec.rows if row.key in encoded or row.key in shown])
    wanted = wanted_rows(spec, known)
    layout = lay_out(spec, state, known, wanted, rewrite=fresh or reorder)
    rows = layout.grid.rows
    if spec.touched is None or len(wanted.projected) > FEW_ROWS:
        at = {key: index for index, key in enumerate(rows)}
    else:  # a few rows among many: look them up rather than index every row
        at = {key: rows.index(key) for key in wanted.projected}
    writes, stored, changed = _cell_writes(spec, layout, wanted, known, at, encoded=encoded)
    requests += layout.grid.requests + writes
    requests += _rule_requests(spec, sheet_id, state)
    requests += _protection_requests(spec, sheet_id, state, owner)
    if profile.chart is not None:
        charted = _charted_rows(profile, [key for key in layout.grid.rows if not key.startswith(BLANK)])
        respec = fresh or charted != _charted_rows(profile, keys_now)
        requests += _chart_requests(spec, sheet_id, state, respec, charted)
    keys = tuple(rows) if not layout.grid.blanks else tuple("" if k.startswith(BLANK) else k for k in rows)
    if fresh:
        requests += column_keys(profile.columns, sheet_id, existed=state is not None)
    return TabPlan(
        requests=requests,
        snapshot=Snapshot(layout_key, Memos(stored), _owners(spec, known, wanted), keys, layout.grid.order),
        added=len(layout.new_keys),
        changed=changed,
        removed=layout.removed,
        moved=layout.grid.moves,
        final_rows=layout.grid.size,
        cut=cut_cells,
        unwritten=unwritten,
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
        "hiddenDimensionStrategy": "SHOW_ALL",  # the domain may be the hidden key column ("2026-05 USD")
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
        for c0, c1 in row_runs(hidden)
    ]


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
