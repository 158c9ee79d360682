"""The dropdown lists tab counts towards Google's 10 million cells like any tab (backend/domain/lists.py)."""

from __future__ import annotations

from backend.domain.lists import ITEMS, TITLE, find_tab, plan_lists

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


def test_the_lists_tab_is_made_in_the_files_language_found_by_its_id_and_keeps_its_title() -> None:
    made = plan_lists(WANTED, {}, None, new_sheet_id=7, editors=["w@acme.example"], new_title="OrderDeck 下拉列表")
    assert made.requests[0]["addSheet"]["properties"]["title"] == "OrderDeck 下拉列表"
    assert made.refs["c:1:opt-a"] == f"'OrderDeck 下拉列表'!$A$2:$A${ITEMS + 1}"
    renamed = {"sheetId": 7, "title": "Lists (mine)", "gridProperties": {"rowCount": ITEMS + 1, "columnCount": 2}}
    tabs = {"lists (mine)": {"properties": renamed}, "pack": {"properties": {"sheetId": 9, "title": "Pack"}}}
    existing = find_tab(tabs, made.layout, ["OrderDeck lists"])  # by its stored id, whatever it is called now
    assert existing is tabs["lists (mine)"]
    kept = plan_lists(WANTED, made.layout, existing, new_sheet_id=8, editors=["w@acme.example"], new_title=TITLE)
    assert kept.title == "Lists (mine)" and kept.refs["c:1:opt-b"].startswith("'Lists (mine)'!")
    before = {"orderdeck lists": {"properties": {"sheetId": 3, "title": "OrderDeck lists"}}}  # made before, no id kept
    assert find_tab(before, {}, ["OrderDeck 下拉列表", TITLE]) is before["orderdeck lists"]
    assert find_tab(tabs, {"sheet_id": 4}, [TITLE]) is None
