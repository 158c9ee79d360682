"""Sandbox state: spreadsheets (sheets, sparse cells, protections, metadata) and their Drive files.

Cells are plain CellData dicts that are replaced, never mutated, so `Spreadsheet.clone()` can copy the
cell map shallowly: batchUpdate applies to a clone and swaps it in only when every request succeeded.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from backend.domain import a1
from backend.sandbox.sheets.errors import invalid

MAX_CELLS = 10_000_000
MAX_CELL_CHARS = 50_000
ROLE_RANK = {"reader": 1, "commenter": 2, "writer": 3, "fileOrganizer": 3, "organizer": 3, "owner": 4}

Json = dict[str, Any]


@dataclass(frozen=True)
class Rect:
    """A bounded, zero-based half-open grid rectangle on one sheet."""

    sheet_id: int
    r0: int
    r1: int
    c0: int
    c1: int

    @property
    def rows(self) -> int:
        return self.r1 - self.r0

    @property
    def cols(self) -> int:
        return self.c1 - self.c0

    def intersect(self, other: Rect) -> Rect | None:
        if self.sheet_id != other.sheet_id:
            return None
        r0, r1 = max(self.r0, other.r0), min(self.r1, other.r1)
        c0, c1 = max(self.c0, other.c0), min(self.c1, other.c1)
        return Rect(self.sheet_id, r0, r1, c0, c1) if r0 < r1 and c0 < c1 else None

    def contains(self, other: Rect) -> bool:
        return self.intersect(other) == other

    def cells(self) -> list[tuple[int, int]]:
        return [(r, c) for r in range(self.r0, self.r1) for c in range(self.c0, self.c1)]


@dataclass
class Sheet:
    properties: Json
    cells: dict[tuple[int, int], Json] = field(default_factory=dict)
    protected_ranges: list[Json] = field(default_factory=list)
    conditional_formats: list[Json] = field(default_factory=list)
    charts: list[Json] = field(default_factory=list)
    column_properties: dict[int, Json] = field(default_factory=dict)  # DimensionProperties set per column

    @property
    def sheet_id(self) -> int:
        return int(self.properties["sheetId"])

    @property
    def title(self) -> str:
        return str(self.properties["title"])

    @property
    def grid(self) -> Json:
        grid: Json = self.properties.setdefault("gridProperties", {})
        return grid

    @property
    def row_count(self) -> int:
        return int(self.grid.get("rowCount", 0))

    @property
    def column_count(self) -> int:
        return int(self.grid.get("columnCount", 0))

    def rect(self, grid_range: Json) -> Rect:
        """A GridRange dict bounded to this sheet; out-of-grid bounds raise the 'exceeds grid limits' error."""
        r0 = int(grid_range.get("startRowIndex", 0))
        r1 = int(grid_range.get("endRowIndex", self.row_count))
        c0 = int(grid_range.get("startColumnIndex", 0))
        c1 = int(grid_range.get("endColumnIndex", self.column_count))
        if r0 < 0 or c0 < 0 or r0 > r1 or c0 > c1:
            raise invalid(f"Invalid range: start index must be <= end index and >= 0 ({grid_range})")
        rect = Rect(self.sheet_id, r0, r1, c0, c1)
        self.check_inside(rect)
        return rect

    def check_inside(self, rect: Rect) -> None:
        if rect.r1 > self.row_count or rect.c1 > self.column_count:
            raise invalid(
                f"Range ({self.a1(rect)}) exceeds grid limits. Max rows: {self.row_count}, "
                f"max columns: {self.column_count}"
            )

    def a1(self, rect: Rect) -> str:
        return a1.A1Range(self.title, rect.r0, rect.r1, rect.c0, rect.c1).to_a1()

    def whole(self) -> Rect:
        return Rect(self.sheet_id, 0, self.row_count, 0, self.column_count)

    def clone(self) -> Sheet:
        return Sheet(
            properties=copy.deepcopy(self.properties),
            cells=dict(self.cells),
            protected_ranges=copy.deepcopy(self.protected_ranges),
            conditional_formats=copy.deepcopy(self.conditional_formats),
            charts=copy.deepcopy(self.charts),
            column_properties=copy.deepcopy(self.column_properties),
        )

    def hidden_columns(self) -> set[int]:
        return {c for c, props in self.column_properties.items() if props.get("hiddenByUser")}


@dataclass
class Permission:
    id: str
    type: str
    role: str
    email_address: str | None = None
    domain: str | None = None
    allow_file_discovery: bool | None = None

    def resource(self) -> Json:
        body: Json = {"kind": "drive#permission", "id": self.id, "type": self.type, "role": self.role}
        if self.email_address:
            body["emailAddress"] = self.email_address
        if self.domain:
            body["domain"] = self.domain
        if self.allow_file_discovery is not None:
            body["allowFileDiscovery"] = self.allow_file_discovery
        return body


@dataclass(frozen=True)
class ShareEmail:
    """The e-mail Drive would have sent about a share (sendNotificationEmail was not false)."""

    file_id: str
    to: str
    role: str
    sender: str


@dataclass
class DriveFile:
    id: str
    name: str
    mime_type: str
    owner: str
    permissions: list[Permission]
    created_by_client: str
    created_time: str


@dataclass
class Spreadsheet:
    id: str
    properties: Json
    sheets: list[Sheet]
    developer_metadata: list[Json] = field(default_factory=list)
    named_ranges: list[Json] = field(default_factory=list)

    @property
    def time_zone(self) -> str:
        return str(self.properties.get("timeZone", "Etc/GMT"))

    def clone(self) -> Spreadsheet:
        return Spreadsheet(
            id=self.id,
            properties=copy.deepcopy(self.properties),
            sheets=[s.clone() for s in self.sheets],
            developer_metadata=copy.deepcopy(self.developer_metadata),
            named_ranges=copy.deepcopy(self.named_ranges),
        )

    def sheet_by_id(self, sheet_id: int) -> Sheet:
        for sheet in self.sheets:
            if sheet.sheet_id == sheet_id:
                return sheet
        raise invalid(f"No grid with id: {sheet_id}")

    def sheet_by_title(self, title: str) -> Sheet | None:
        return next((s for s in self.sheets if s.title.lower() == title.lower()), None)

    def first_visible(self) -> Sheet:
        visible = [s for s in self.sheets if not s.properties.get("hidden")]
        return min(visible or self.sheets, key=lambda s: int(s.properties.get("index", 0)))

    def resolve(self, text: str) -> tuple[Sheet, a1.A1Range]:
        """Resolve A1 text (or a named range) to a sheet and its parsed range."""
        named = next((n for n in self.named_ranges if n["name"] == text), None)
        if named is not None:
            r = named["range"]
            sheet = self.sheet_by_id(int(r.get("sheetId", 0)))
            return sheet, a1.A1Range(
                sheet.title,
                r.get("startRowIndex"),
                r.get("endRowIndex"),
                r.get("startColumnIndex"),
                r.get("endColumnIndex"),
            )
        try:
            parsed = a1.parse(text)
        except a1.A1Error as exc:
            raise invalid(f"Unable to parse range: {text}") from exc
        found = self.first_visible() if parsed.sheet is None else self.sheet_by_title(parsed.sheet)
        if found is None:
            raise invalid(f"Unable to parse range: {text}")
        return found, parsed

    def rect_for(self, text: str) -> tuple[Sheet, Rect]:
        """A1 text → bounded rectangle; open sides end at the grid, explicit ones must fit it."""
        sheet, r = self.resolve(text)
        grid_range = {"sheetId": sheet.sheet_id}
        for key, value in (
            ("startRowIndex", r.start_row),
            ("endRowIndex", r.end_row),
            ("startColumnIndex", r.start_col),
            ("endColumnIndex", r.end_col),
        ):
            if value is not None:
                grid_range[key] = value
        return sheet, sheet.rect(grid_range)

    def cell_count(self) -> int:
        return sum(s.row_count * s.column_count for s in self.sheets)

    def check_cell_limit(self) -> None:
        if self.cell_count() > MAX_CELLS:
            raise invalid(
                f"This action would increase the number of cells in the workbook above the limit of {MAX_CELLS} cells."
            )
