"""The Sheets budget, shared through the database by every process: per identity, per Cloud project, per team."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from backend.db import Database
from backend.errors import RateLimited
from backend.sheets.budget import Quota, SheetsBudget

WRITER = "orderdeck-writer@orderdeck-sandbox.iam.gserviceaccount.com"
PLENTY = Quota(10_000, 60)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 5, 1, 12, 0, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def budget(
    db: Database,
    clock: Clock,
    team: int,
    *,
    identity: str = WRITER,
    user: Quota = PLENTY,
    project: Quota = PLENTY,
    max_wait: float = 0.0,
    keep: float = 0.0,
    pace: bool = False,
) -> SheetsBudget:
    scopes = {"user": user, "project": project}
    quotas = {(kind, scope): quota for kind in ("read", "write") for scope, quota in scopes.items()}
    return SheetsBudget(
        db,
        identity,
        "orderdeck-sandbox",
        team,
        quotas,
        max_wait=max_wait,
        keep=keep,
        pace=pace,
        clock=clock,
        sleep=clock.sleep,
    )


def takes_until_refused(spender: SheetsBudget, kind: str = "read") -> int:
    taken = 0
    while True:
        try:
            spender.take(kind)
        except RateLimited:
            return taken
        taken += 1


def test_every_process_shares_one_budget_and_a_team_alone_may_use_all_of_it(sheets_app: Flask) -> None:
    db, clock = sheets_app.extensions["orderdeck.db"], Clock()
    quota = Quota(20, 60)  # 19 usable: a margin under Google's count
    one, other = budget(db, clock, 1, user=quota), budget(db, clock, 1, user=quota)  # two workers, one team
    for _ in range(quota.usable // 2):
        one.take("read")
        other.take("read")
    one.take("read")
    assert one.waits == other.waits == 0  # a burst of the whole minute at once: no wait
    with pytest.raises(RateLimited, match=WRITER) as spent:
        other.take("read")
    assert spent.value.detail["retry_after"] >= 1
    other.take("write")  # writes are a bucket of their own
    patient = budget(db, clock, 1, user=quota, max_wait=120)
    patient.take("read")  # waits until the first units leave the last minute
    assert patient.waits > 0 and clock.now - datetime(2026, 5, 1, 12, 0, 1, tzinfo=UTC) >= timedelta(seconds=59)


def test_a_team_past_its_share_of_an_identity_waits_and_the_other_does_not(sheets_app: Flask) -> None:
    db, clock = sheets_app.extensions["orderdeck.db"], Clock()
    quota = Quota(20, 60)
    quiet, hog = budget(db, clock, 2, user=quota), budget(db, clock, 1, user=quota)
    quiet.take("read")  # the quiet team has used the identity lately: the two compete
    hogged = takes_until_refused(hog)
    assert 0 < hogged < quota.usable - 1
    share = quota.usable // 2
    for _ in range(share - 1):
        quiet.take("read")  # the rest of its share, while the hog is refused
    assert quiet.waits == 0


def test_the_project_quota_is_shared_fairly_by_the_teams_of_every_identity_in_it(sheets_app: Flask) -> None:
    db, clock = sheets_app.extensions["orderdeck.db"], Clock()
    project = Quota(30, 60)
    quiet = budget(db, clock, 2, identity="alice@seller.example", project=project)
    hog = budget(db, clock, 1, identity="bob@other.example", project=project)
    quiet.take("write")
    hogged = takes_until_refused(hog, "write")  # bob's own 60 a minute are far off: the project's are shared
    assert 0 < hogged < project.usable - 1
    for _ in range(project.usable // 2 - 1):
        quiet.take("write")
    assert quiet.waits == 0


def test_pushes_leave_a_quarter_of_the_write_quota_to_binds_and_edits_and_say_when_they_may_run(
    sheets_app: Flask,
) -> None:
    db, clock = sheets_app.extensions["orderdeck.db"], Clock()
    quota = Quota(20, 60)  # 19 usable; pushes stop 5 (a quarter of 20) short of that
    pushes = budget(db, clock, 1, user=quota, keep=0.25)
    sidebar = budget(db, clock, 1, user=quota)
    assert pushes.next_slot() == 0
    assert takes_until_refused(pushes, "write") == quota.usable - 5
    assert 0 < pushes.next_slot() <= 10.05  # not now: a push is scheduled for a later window instead
    assert takes_until_refused(sidebar, "write") == 5  # a bind or an edit still finds the quarter


def test_pushes_spread_their_share_over_the_minute_so_a_long_stream_is_never_a_minute_behind(sheets_app: Flask) -> None:
    """Paced (as pushes are), a ten-second window hands out a seventh of the share: a stream of pushes goes
    on every window for as long as it lasts. Unpaced, the same stream spends the minute at once and then
    nothing is handed out until it ages out."""
    db, clock = sheets_app.extensions["orderdeck.db"], Clock()
    quota = Quota(60, 60)  # Google's 60 writes a minute: 57 usable, 42 once a quarter is kept

    def stream(spender: SheetsBudget, seconds: int) -> list[int]:
        """Units handed out in each ten-second window of a push asked for every second."""
        clock.sleep(10 - clock.now.second % 10)  # from the start of a window
        per_window = []
        for _ in range(seconds // 10):
            taken = 0
            for _ in range(10):
                if spender.next_slot("write") == 0:
                    spender.take("write")
                    taken += 1
                clock.sleep(1)
            per_window.append(taken)
        return per_window

    paced = stream(budget(db, clock, 1, identity="paced@x.test", user=quota, keep=0.25, pace=True), 120)
    assert paced == [6] * 12  # every window, as long as it lasts
    clock.sleep(120)
    bursty = stream(budget(db, clock, 1, identity="bursty@x.test", user=quota, keep=0.25), 120)
    assert bursty[:6] == [10, 10, 10, 10, 2, 0]  # the minute spent in 40 s, then nothing until it ages out


def test_a_team_pushing_as_fast_as_pacing_allows_leaves_another_teams_push_its_part_of_the_window(
    sheets_app: Flask,
) -> None:
    """Pacing counts each team's own use: a busy team on a shared identity cannot fill the window a quiet
    team's push needs (one team must not slow another)."""
    db, clock = sheets_app.extensions["orderdeck.db"], Clock()
    quota = Quota(60, 60)
    clock.sleep(10 - clock.now.second % 10)
    quiet = budget(db, clock, 2, user=quota, keep=0.25, pace=True)
    quiet.take("write")  # the quiet team pushed a minute ago: the two share the identity
    clock.sleep(60)
    hog = budget(db, clock, 1, user=quota, keep=0.25, pace=True)
    taken = 0
    while hog.next_slot("write") == 0:
        hog.take("write")
        taken += 1
    assert taken == 3  # half the span's 42, a seventh of it per window
    assert quiet.next_slot("write") == 0  # the quiet team's push goes now, not next window
    quiet.take("write")
