"""Handing packages over (pure): handover choices, waves split per shop, option and handover, and what a row says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backend.domain import fulfilment
from backend.domain.lists import ITEMS, TITLE, plan_lists
from backend.platforms.fulfilment import HandoverChoices, HandoverMethod, PickupSlot, ShipProblem

NOON = datetime(2026, 11, 24, 17, tzinfo=UTC)  # 09:00 in Los Angeles


def test_the_dropdown_offers_drop_off_then_the_slots_not_yet_over_on_the_shops_clock() -> None:
    past = PickupSlot(NOON - timedelta(hours=6), NOON - timedelta(hours=3))
    soon = PickupSlot(NOON, NOON + timedelta(hours=3))
    labels = fulfilment.choice_labels(HandoverChoices(True, True, (past, soon)), "America/Los_Angeles")
    assert list(labels) == ["Drop-off", "Pickup Tue 24 Nov 03:00–06:00", "Pickup Tue 24 Nov 09:00–12:00"]
    open_now = fulfilment.still_open(labels, NOON)
    assert list(open_now) == ["Drop-off", "Pickup Tue 24 Nov 09:00–12:00"]
    assert open_now["Pickup Tue 24 Nov 09:00–12:00"].method is HandoverMethod.PICKUP
    assert list(fulfilment.choice_labels(HandoverChoices(False, True), "UTC")) == ["Drop-off"]


def test_a_pass_mixing_options_and_handovers_becomes_one_wave_each_in_marking_order() -> None:
    marks = [
        ((1, "std", "Drop-off"), "a"),
        ((1, "exp", "Drop-off"), "b"),
        ((1, "std", "Drop-off"), "c"),
        ((1, "std", "Pickup Tue"), "d"),
        ((2, "std", "Drop-off"), "e"),
        ((1, "std", "Drop-off"), "f"),
    ]
    assert fulfilment.waves(marks) == [["a", "c", "f"], ["b"], ["d"], ["e"]]


def test_every_problem_says_what_to_do_and_quotes_the_platform() -> None:
    for problem in ShipProblem:
        assert fulfilment.advice(problem, "code 1").endswith("(code 1)") or problem is ShipProblem.ALREADY_SHIPPED
    assert (
        fulfilment.advice(ShipProblem.SLOT_EXPIRED, "") == "That pickup slot has passed: pick a later slot or Drop-off."
    )


def test_the_list_tab_keeps_each_lists_column_and_rewrites_only_what_changed() -> None:
    first = plan_lists({"carriers:1:a": ("A", ["UPS", "USPS"])}, {}, None, new_sheet_id=9, editors=["w@x"])
    assert first.requests[0]["addSheet"]["properties"] | {"gridProperties": {}} == {
        "sheetId": 9, "title": TITLE, "hidden": True, "gridProperties": {}
    }  # fmt: skip
    assert first.refs == {"carriers:1:a": f"'{TITLE}'!$A$2:$A${ITEMS + 1}"}
    existing = {"properties": {"sheetId": 9, "gridProperties": {"columnCount": 1}}}
    second = plan_lists(
        {"handover:1:t": ("T", ["Drop-off"]), "carriers:1:a": ("A", ["UPS", "USPS"])},
        first.layout,
        existing,
        new_sheet_id=0,
        editors=[],
    )
    assert second.refs["carriers:1:a"].endswith("$A$2:$A$201") and second.refs["handover:1:t"].endswith("$B$201")
    written = [r for r in second.requests if "updateCells" in r]
    assert [r["updateCells"]["start"]["columnIndex"] for r in written] == [1]  # only the new list
    assert any("appendDimension" in r for r in second.requests)
