"""The dropdown lists tab counts towards Google's 10 million cells like any tab (backend/domain/lists.py)."""

from __future__ import annotations

from backend.domain.lists import ITEMS, plan_lists

WANTED = {"c:1:opt-a": ("Standard", ["USPS", "UPS"]), "c:1:opt-b": ("Express", ["DHL Express"])}


def test_a_new_lists_tab_adds_its_grid_and_an_unchanged_one_adds_nothing() -> None:
    first = plan_lists(WANTED, {}, None, new_sheet_id=7, editors=["writer@acme.example"])
    assert first.cells == (ITEMS + 1) * 2
    existing = {"properties": {"sheetId": 7, "gridProperties": {"rowCount": ITEMS + 1, "columnCount": 2}}}
    again = plan_lists(WANTED, first.layout, existing, new_sheet_id=8, editors=["writer@acme.example"])
    assert again.cells == 0 and again.requests == []
    wider = plan_lists(WANTED | {"c:1:opt-c": ("Economy", ["USPS"])}, first.layout, existing, new_sheet_id=8,
                       editors=["writer@acme.example"])  # fmt: skip
    assert wider.cells == ITEMS + 1
