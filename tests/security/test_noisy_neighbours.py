"""Noisy neighbours (issue 14, class 2): one team hammering the Google identity it shares with another
cannot stall the other's pushes, and is itself told when to try again.

The scenario (bench/bench_fairness.py, which also prints its latencies): two teams on one service
account; the quiet one changes an order and pushes every few seconds over /tasks; the other, from thirteen
threads, tries binds it never proved, creates spreadsheets, presses Sync now, types into its sheet and pushes
its own files.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.db import Database
from bench.bench_fairness import QUIET_PUSHES, World, fairness_world, run_scenario
from tests.conftest import _empty_tables

LIMITED_ROUTES = ("/addon/bindings", "/addon/spreadsheets", "/addon/sync", "/addon/edits")


@pytest.fixture
def world(migrated: Database, tmp_path: Path) -> Iterator[World]:
    try:
        with fairness_world(migrated.url, tmp_path) as running:
            yield running
    finally:
        _empty_tables(migrated)


def test_while_one_team_hammers_the_shared_identity_the_others_pushes_never_wait_and_the_hammer_gets_429(
    world: World,
) -> None:
    outcome = run_scenario(world, QUIET_PUSHES)

    quiet = outcome.quiet_pushes
    assert len(quiet) == QUIET_PUSHES
    for push in quiet:
        [tab] = push["tabs"]
        assert push["budget_waits"] == 0, push  # admitted at once, every time
        assert tab["skipped"] is None and tab["changed"] == 1, push
    # The hammering team wanted more than its share, and waited: its pushes were put off until it had room.
    assert outcome.hammer_deferred + outcome.hammer_push_waits > 0, outcome
    for route in LIMITED_ROUTES:
        refused = [r for r in outcome.hammer_429s if r["route"] == route]
        assert refused, (route, outcome.hammer_statuses)
        for answer in refused:
            assert answer["header"] and int(answer["header"]) >= 1, answer
            assert answer["retry_after"] == int(answer["header"]), answer
    assert outcome.google_429s == 0  # and nobody met Google's own quota
