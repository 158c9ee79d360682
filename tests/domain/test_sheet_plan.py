"""Sheet plans: first fill, nothing-changed, a few changed rows, sorted sheets, input cells, limits."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from backend.domain.columns import Dropdown
from backend.domain.profiles import Profile, Row
from backend.domain.sheet_plan import (
    MAX_CELL_CHARS,
    MAX_CELLS,
    Snapshot,
    TabPlan,
    TabSpec,
    TabState,
    desired_protections,
    over_cell_limit,
    plan_tab,
    split_bodies,
    urgency_rules,
)
from backend.services.bindings import builtin_profiles

EDITORS = ("writer@orderdeck.iam.gserviceaccount.com", "owner@seller.example")


def sla_profile() -> Profile:
    return builtin_profiles()["sla_watch"]


def make_rows(profile: Profile, n: int, tracking: str = "") -> list[Row]:
    tracking_at = profile.index_of("tracking_number")
    rows = []
    for i in range(n):
        cells: list[Any] = [f"K{i}"] + [f"v{i}-{j}" for j in range(1, len(profile.columns))]
        cells[tracking_at] = tracking or None
        rows.append(Row(f"K{i}", tuple(cells)))
    return rows


def spec(rows: Sequence[Row], profile: Profile | None = None) -> TabSpec:
    return TabSpec(
        "Ship next",
        7,
        profile or sla_profile(),
        rows,
        EDITORS,
        {"tracking_number": ("packer@3pl.example",), "carrier": ("packer@3pl.example",)},
    )


def state_after(plan: TabPlan, tab: TabSpec, keys: Sequence[str]) -> TabState:
    """The state a faithful API leaves after applying `plan` (protections and rules as requested)."""
    return TabState(
        sheet_id=plan.sheet_id,
        row_count=max(plan.final_rows, 1 + len(keys)),
        column_count=len(tab.profile.columns),
        frozen_rows=1,
        keys=tuple(keys),
        protected_ranges=tuple(
            {**p, "editors": {"users": [*p["editors"]["users"], "owner@seller.example"]}}
            for p in desired_protections(tab, plan.sheet_id)
        ),
        conditional_formats=tuple(urgency_rules(tab.profile, plan.sheet_id)),
    )


def kinds(requests: Sequence[dict[str, Any]]) -> list[str]:
    return [next(iter(r)) for r in requests]


def test_first_fill_creates_the_tab_header_rows_formats_rules_and_protections_in_one_body() -> None:
    tab = spec(make_rows(sla_profile(), 3))
    plan = plan_tab(tab, None, Snapshot())
    assert kinds(plan.requests)[:4] == ["addSheet", "updateDimensionProperties", "updateCells", "updateCells"]
    grid = plan.requests[0]["addSheet"]["properties"]["gridProperties"]
    assert (grid["frozenRowCount"], grid["frozenColumnCount"]) == (1, 2)  # the header; the key column and Order
    hidden = plan.requests[1]["updateDimensionProperties"]
    assert (hidden["range"]["startIndex"], hidden["range"]["endIndex"], hidden["properties"]) == (
        0,
        1,
        {"hiddenByUser": True},
    )  # the "order/SKU" key stays in column A, where the writer reads it back, out of sight
    header = plan.requests[2]["updateCells"]["rows"][0]["values"]
    assert header[0] == {
        "userEnteredValue": {"stringValue": "Order / SKU"},
        "userEnteredFormat": {"textFormat": {"bold": True}},
    }
    assert len(plan.requests[3]["updateCells"]["rows"]) == 3
    assert kinds(plan.requests).count("addConditionalFormatRule") == 2
    protections = [r["addProtectedRange"]["protectedRange"] for r in plan.requests if "addProtectedRange" in r]
    sheet, *inputs = protections
    assert sheet["range"] == {"sheetId": 7} and sheet["editors"]["users"] == sorted(EDITORS)
    assert {p["description"] for p in inputs} == {
        "OrderDeck: Carrier is typed by warehouse",
        "OrderDeck: Tracking number is typed by warehouse",
    }
    assert all("packer@3pl.example" in p["editors"]["users"] for p in inputs)
    assert len(split_bodies(plan.requests)) == 1
    assert (plan.added, plan.changed, plan.removed) == (3, 0, 0)


def test_protection_ids_are_stable_so_a_retry_does_not_duplicate_them() -> None:
    tab = spec(make_rows(sla_profile(), 1))
    first = plan_tab(tab, None, Snapshot())
    again = plan_tab(tab, None, Snapshot())
    ids = [
        r["addProtectedRange"]["protectedRange"]["protectedRangeId"] for r in first.requests if "addProtectedRange" in r
    ]
    assert ids == [
        r["addProtectedRange"]["protectedRange"]["protectedRangeId"] for r in again.requests if "addProtectedRange" in r
    ]


def test_nothing_changed_means_no_requests() -> None:
    rows = make_rows(sla_profile(), 50)
    tab = spec(rows)
    first = plan_tab(tab, None, Snapshot())
    second = plan_tab(tab, state_after(first, tab, [r.key for r in rows]), first.snapshot, owner="owner@seller.example")
    assert second.requests == []


def test_twenty_changed_rows_of_5000_cost_twenty_row_writes_in_one_small_body() -> None:
    rows = make_rows(sla_profile(), 5000)
    tab = spec(rows)
    first = plan_tab(tab, None, Snapshot())
    assert 1 < len(split_bodies(first.requests)) <= 3  # past 2 MB only
    status = tab.profile.index_of("pick_status")
    changed = [
        Row(r.key, tuple("SHIPPED" if j == status else c for j, c in enumerate(r.cells))) if i % 250 == 0 else r
        for i, r in enumerate(rows)
    ]
    state = state_after(first, tab, [r.key for r in rows])
    second = plan_tab(spec(changed), state, first.snapshot, owner="owner@seller.example")
    assert kinds(second.requests) == ["updateCells"] * 20
    assert {r["updateCells"]["start"]["rowIndex"] for r in second.requests} == {1 + i for i in range(0, 5000, 250)}
    assert len(split_bodies(second.requests)) == 1
    assert len(json.dumps(second.requests)) < 5000


def test_a_hand_sorted_sheet_is_updated_at_each_rows_new_place_and_gone_rows_are_deleted() -> None:
    rows = make_rows(sla_profile(), 5)
    tab = spec(rows)
    first = plan_tab(tab, None, Snapshot())
    state = state_after(first, tab, ["K4", "K2", "", "K0", "K3", "K1"])  # sorted by hand, a blank row kept
    product = tab.profile.index_of("product")
    wanted = [
        Row(r.key, tuple("NEW" if (j == product and r.key == "K0") else c for j, c in enumerate(r.cells)))
        for r in rows
        if r.key != "K2"
    ]
    second = plan_tab(spec(wanted), state, first.snapshot, owner="owner@seller.example")
    assert kinds(second.requests) == ["deleteDimension", "updateCells"]
    assert second.requests[0]["deleteDimension"]["range"] == {
        "sheetId": 7,
        "dimension": "ROWS",
        "startIndex": 2,
        "endIndex": 3,
    }
    write = second.requests[1]["updateCells"]
    assert write["start"] == {"sheetId": 7, "rowIndex": 3, "columnIndex": product}  # K0 moved up after the delete
    assert write["rows"] == [{"values": [{"userEnteredValue": {"stringValue": "NEW"}}]}]


def test_typed_input_is_kept_until_the_database_value_changes() -> None:
    profile = sla_profile()
    rows = make_rows(profile, 2)
    tab = spec(rows)
    first = plan_tab(tab, None, Snapshot())
    state = state_after(first, tab, ["K0", "K1"])
    assert plan_tab(tab, state, first.snapshot, owner="owner@seller.example").requests == []
    tracking = profile.index_of("tracking_number")
    stored = [Row("K0", tuple("TH123" if j == tracking else c for j, c in enumerate(rows[0].cells))), rows[1]]
    plan = plan_tab(spec(stored), state, first.snapshot, owner="owner@seller.example")
    assert plan.requests == [
        {
            "updateCells": {
                "start": {"sheetId": 7, "rowIndex": 1, "columnIndex": tracking},
                "rows": [{"values": [{"userEnteredValue": {"stringValue": "TH123"}}]}],
                "fields": "userEnteredValue",
            }
        }
    ]


def test_changes_on_both_sides_of_an_input_column_never_write_over_it() -> None:
    profile = sla_profile()
    rows = make_rows(profile, 1)
    tab = spec(rows)
    first = plan_tab(tab, None, Snapshot())
    tracking = profile.index_of("tracking_number")
    cells = list(rows[0].cells)
    cells[tracking - 1] = "changed"
    cells[tracking + 1] = "changed"
    plan = plan_tab(
        spec([Row("K0", tuple(cells))]), state_after(first, tab, ["K0"]), first.snapshot, owner="owner@seller.example"
    )
    columns = [
        (r["updateCells"]["start"]["columnIndex"], len(r["updateCells"]["rows"][0]["values"])) for r in plan.requests
    ]
    assert columns == [(tracking - 1, 1), (tracking + 1, 1)]


def test_new_members_are_added_to_the_protections_on_the_next_push() -> None:
    rows = make_rows(sla_profile(), 1)
    tab = spec(rows)
    first = plan_tab(tab, None, Snapshot())
    state = state_after(first, tab, ["K0"])
    grown = replace(
        tab,
        input_editors={
            "tracking_number": ("packer@3pl.example", "new@3pl.example"),
            "carrier": ("packer@3pl.example",),
        },
    )
    plan = plan_tab(grown, state, first.snapshot, owner="owner@seller.example")
    assert kinds(plan.requests) == ["updateProtectedRange"]
    assert "new@3pl.example" in plan.requests[0]["updateProtectedRange"]["protectedRange"]["editors"]["users"]


def test_a_new_layout_rewrites_the_tab() -> None:
    rows = make_rows(sla_profile(), 3)
    tab = spec(rows)
    first = plan_tab(tab, None, Snapshot())
    narrower = replace(sla_profile(), columns=sla_profile().columns[:-1])
    rows2 = [Row(r.key, r.cells[:-1]) for r in rows]
    plan = plan_tab(
        spec(rows2, narrower), state_after(first, tab, ["K0", "K1", "K2"]), first.snapshot, owner="owner@seller.example"
    )
    assert kinds(plan.requests)[:5] == [
        "updateSheetProperties",  # a new layout freezes the header row and first column again
        "updateDimensionProperties",
        "updateCells",
        "appendDimension",
        "deleteDimension",
    ]
    assert plan.removed == 3 and plan.added == 3


def strings_sent(requests: Sequence[dict[str, Any]]) -> list[str]:
    return [
        cell["userEnteredValue"]["stringValue"]
        for r in requests
        if "updateCells" in r
        for row in r["updateCells"].get("rows", [])
        for cell in row["values"]
        if "stringValue" in cell.get("userEnteredValue", {})
    ]


def test_text_past_the_cell_limit_is_cut_with_a_marker_and_counted() -> None:
    profile = sla_profile()
    rows = make_rows(profile, 2)
    long_cells = list(rows[1].cells)
    long_cells[1] = "x" * 60_000
    rows[1] = Row("K1", tuple(long_cells))
    plan = plan_tab(spec(rows), None, Snapshot())
    sent = strings_sent(plan.requests)
    [cut] = [v for v in sent if v.startswith("xxx")]
    assert len(cut) <= MAX_CELL_CHARS and cut.endswith(" … [cut: 60,000 characters]")
    assert plan.cut == 1 and plan.added == 2 and not plan.unwritten


def test_a_row_holding_a_number_no_cell_can_hold_is_left_out_and_named_and_the_rest_written() -> None:
    profile = sla_profile()
    rows = make_rows(profile, 3)
    cells = list(rows[1].cells)
    cells[2] = Decimal("1e400")  # finite as a Decimal, infinite as the double a Sheets number is
    rows[1] = Row("K1", tuple(cells))
    tab = spec(rows)
    plan = plan_tab(tab, None, Snapshot())
    assert plan.added == 2 and set(plan.snapshot.rows) == {"K0", "K2"}
    [why] = plan.unwritten
    assert why.startswith("row K1 was not written: ") and profile.columns[2].header in why
    # A row the tab already shows stays as it was written, and is tried again at the next push.
    good = plan_tab(spec(make_rows(profile, 3)), None, Snapshot())
    again = plan_tab(tab, state_after(good, tab, ["K0", "K1", "K2"]), good.snapshot)
    assert again.removed == 0 and again.snapshot.rows["K1"] == good.snapshot.rows["K1"] and again.unwritten


def test_a_tab_that_would_pass_ten_million_cells_is_refused_and_the_smaller_ones_let_in() -> None:
    profile = sla_profile()
    width = len(profile.columns)
    small = plan_tab(spec(make_rows(profile, 1)), None, Snapshot())
    big = plan_tab(spec(make_rows(profile, 400)), None, Snapshot())
    room = MAX_CELLS - small.final_rows * width - 100
    refused = over_cell_limit(room, {1: (big, None, width), 2: (small, None, width)})
    assert list(refused) == [1]
    assert f"{room + small.final_rows * width + big.final_rows * width:,} cells" in refused[1]
    assert "10,000,000" in refused[1]
    assert over_cell_limit(0, {1: (big, None, width), 2: (small, None, width)}) == {}


def test_a_cell_with_its_own_list_carries_its_dropdown_and_is_written_apart_from_its_neighbours() -> None:
    profile = builtin_profiles()["after_sales"]
    decision, reason = profile.index_of("case_decision"), profile.index_of("case_reject_reason")
    reasons = ("The product has been packed", "The buyer agreed to keep the order")

    def row(decided: str, chosen: str) -> Row:
        cells: list[Any] = [f"v{j}" for j in range(len(profile.columns))]
        cells[0] = "58001"
        cells[decision], cells[reason] = Dropdown(decided, ("approve", "reject")), Dropdown(chosen, reasons)
        return Row("58001", tuple(cells))

    tab = spec([row("", "")], profile)
    first = plan_tab(tab, None, Snapshot())
    [written] = [r["updateCells"] for r in first.requests if "updateCells" in r and "start" in r["updateCells"]]
    assert written["fields"] == "userEnteredValue,dataValidation"
    cell = written["rows"][0]["values"][reason]
    assert [v["userEnteredValue"] for v in cell["dataValidation"]["condition"]["values"]] == list(reasons)
    assert "userEnteredValue" not in cell  # nothing chosen yet

    later = plan_tab(replace(tab, rows=[row("reject", reasons[0])]), state_after(first, tab, ["58001"]), first.snapshot)
    updates = [r["updateCells"] for r in later.requests if "updateCells" in r and "start" in r["updateCells"]]
    assert sorted(u["start"]["columnIndex"] for u in updates) == [decision, reason]  # one request each
    assert all(u["fields"] == "userEnteredValue,dataValidation" and len(u["rows"][0]["values"]) == 1 for u in updates)
