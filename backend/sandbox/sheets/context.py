"""Who is acting on which spreadsheet, and the edit-protection rule every cell write goes through."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from backend.sandbox.sheets.errors import invalid
from backend.sandbox.sheets.model import Json, Rect, Spreadsheet

PROTECTED_MESSAGE = (
    "You are trying to edit a protected cell or object. Please contact the spreadsheet owner to remove "
    "protection if you need to edit."
)


@dataclass
class Context:
    """One request's view: a working copy of the spreadsheet plus the caller's identity."""

    spreadsheet: Spreadsheet
    caller: str
    client_id: str
    owner: str
    now: dt.datetime
    member_of: Callable[[str, str], bool] = lambda group, email: False
    new_id: Callable[[], int] = field(default=lambda: secrets.randbelow(2**31 - 1) + 1)

    def can_edit_protection(self, protected: Json) -> bool:
        """Owner always; else listed users, members of listed groups, or the owner's domain if allowed."""
        if protected.get("warningOnly") or self.caller == self.owner:
            return True
        editors = protected.get("editors", {})
        if self.caller in editors.get("users", []):
            return True
        if any(self.member_of(group, self.caller) for group in editors.get("groups", [])):
            return True
        return bool(editors.get("domainUsersCanEdit")) and _domain(self.caller) == _domain(self.owner)

    def protected_rect(self, protected: Json) -> Rect:
        grid_range = protected.get("range")
        if grid_range is None:
            named = next(n for n in self.spreadsheet.named_ranges if n["namedRangeId"] == protected.get("namedRangeId"))
            grid_range = named["range"]
        sheet = self.spreadsheet.sheet_by_id(int(grid_range.get("sheetId", 0)))
        whole = sheet.whole()
        return Rect(
            sheet.sheet_id,
            int(grid_range.get("startRowIndex", 0)),
            int(grid_range.get("endRowIndex", whole.r1)),
            int(grid_range.get("startColumnIndex", 0)),
            int(grid_range.get("endColumnIndex", whole.c1)),
        )

    def check_editable(self, rect: Rect) -> None:
        """Reject a write touching a protected range the caller may not edit (holes excepted)."""
        sheet = self.spreadsheet.sheet_by_id(rect.sheet_id)
        for protected in sheet.protected_ranges:
            if self.can_edit_protection(protected):
                continue
            hit = rect.intersect(self.protected_rect(protected))
            if hit is None:
                continue
            holes = [sheet.rect(h) for h in protected.get("unprotectedRanges", [])]
            if not any(h.contains(hit) for h in holes):
                raise invalid(PROTECTED_MESSAGE)


def _domain(email: str) -> str:
    return email.rpartition("@")[2].lower()
