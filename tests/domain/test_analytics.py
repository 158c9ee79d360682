"""Handling-time analytics against a hand-computed fixture (hours chosen so the figures are exact)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from backend.domain.analytics import (
    ALL_MEMBERS,
    Sample,
    Scope,
    analytics_rows,
    bucket_label,
    leaderboard,
    leaderboard_rows,
    percentile,
    summarize,
    trend_rows,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Wednesday 2026-03-11 12:00 in Shanghai: inside ISO week 2026-W11 (Mon 9 – Sun 15 March).
MIDWEEK = datetime(2026, 3, 11, 4, 0, tzinfo=UTC)
HOUR = 3600.0


def sample(
    member: str | None,
    hours: float,
    finished: datetime = MIDWEEK,
    *,
    stage: str = "fulfilment",
    role: str = "warehouse",
    shop: int = 1,
    platform: str = "tiktok",
) -> Sample:
    return Sample(stage, role, member, finished - timedelta(hours=hours), finished, shop, platform)


# Hand-computed (linear interpolation, rank h = (n-1)p):
#   ana 1,2,3,4,10  → median 3,   p90 h=3.6 → 4 + 0.6·6 = 7.6
#   bo  2,2,5,9     → median 3.5, p90 h=2.7 → 5 + 0.7·4 = 7.8
#   dee 3,3,3       → median 3,   p90 3
#   cy  0.5         → one quick order: below the minimum volume
#   all 13 sorted 0.5,1,2,2,2,3,3,3,3,4,5,9,10 → median x[6] = 3, p90 h=10.8 → 5 + 0.8·4 = 8.2
WEEK = (
    [sample("ana@acme.test", h) for h in (1, 2, 3, 4, 10)]
    + [sample("bo@acme.test", h) for h in (2, 2, 5, 9)]
    + [sample("dee@acme.test", h) for h in (3, 3, 3)]
    + [sample("cy@acme.test", 0.5)]
)


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        ([5.0], 0.5, 5.0),
        ([1, 2, 3, 4], 0.5, 2.5),
        ([1, 2, 3, 4], 0.9, 3.7),
        ([4, 1, 3, 2], 0.0, 1.0),
        ([1, 2], 1.0, 2.0),
    ],
)
def test_percentile_is_linear_between_closest_ranks(values: list[float], p: float, expected: float) -> None:
    assert percentile(values, p) == pytest.approx(expected)


def test_percentile_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError, match="no values"):
        percentile([], 0.5)


def test_median_p90_and_count_per_role_and_member() -> None:
    stats = summarize(WEEK, Scope("week", SHANGHAI))
    everyone = stats[("2026-W11", "fulfilment", "warehouse", ALL_MEMBERS)]
    assert (everyone.count, everyone.median / HOUR, round(everyone.p90 / HOUR, 9)) == (13, 3.0, 8.2)
    ana = stats[("2026-W11", "fulfilment", "warehouse", "ana@acme.test")]
    assert (ana.count, ana.median / HOUR, round(ana.p90 / HOUR, 9)) == (5, 3.0, 7.6)
    bo = stats[("2026-W11", "fulfilment", "warehouse", "bo@acme.test")]
    assert (bo.count, bo.median / HOUR, round(bo.p90 / HOUR, 9)) == (4, 3.5, 7.8)


def test_leaderboard_needs_the_minimum_volume_and_breaks_ties_by_volume() -> None:
    start, end = datetime(2026, 3, 8, 16, tzinfo=UTC), datetime(2026, 3, 15, 16, tzinfo=UTC)
    board = leaderboard(WEEK, "fulfilment", start, end, min_count=3)
    assert [(s.rank, s.member, s.stats.count, s.stats.median / HOUR) for s in board] == [
        (1, "ana@acme.test", 5, 3.0),  # same median as dee, more orders
        (2, "dee@acme.test", 3, 3.0),
        (3, "bo@acme.test", 4, 3.5),
    ]
    assert leaderboard(WEEK, "fulfilment", start, end, min_count=1)[0].member == "cy@acme.test"
    assert leaderboard(WEEK, "fulfilment", end, end + timedelta(days=7), min_count=1) == []


def test_equal_median_and_volume_share_a_rank() -> None:
    tied = [sample("a@x.test", 2), sample("b@x.test", 2), sample("c@x.test", 4)]
    board = leaderboard(tied, "fulfilment", MIDWEEK - timedelta(days=1), MIDWEEK + timedelta(seconds=1), 1)
    assert [(s.rank, s.member) for s in board] == [(1, "a@x.test"), (1, "b@x.test"), (3, "c@x.test")]


def test_buckets_follow_the_team_time_zone() -> None:
    sunday_night_utc = datetime(2026, 3, 15, 17, 0, tzinfo=UTC)  # Monday 01:00 in Shanghai
    assert bucket_label(sunday_night_utc, "week", SHANGHAI) == "2026-W12"
    assert bucket_label(sunday_night_utc, "week", ZoneInfo("UTC")) == "2026-W11"
    assert bucket_label(sunday_night_utc, "day", SHANGHAI) == "2026-03-16"
    assert bucket_label(datetime(2026, 3, 31, 20, tzinfo=UTC), "month", SHANGHAI) == "2026-04"
    assert bucket_label(datetime(2026, 3, 31, 20, tzinfo=UTC), "month", ZoneInfo("America/Los_Angeles")) == "2026-03"


def test_rows_per_period_filtered_by_shop_and_platform() -> None:
    samples = [
        sample("ana@acme.test", 2, datetime(2026, 3, 10, 2, tzinfo=UTC)),
        sample("ana@acme.test", 4, datetime(2026, 3, 11, 2, tzinfo=UTC)),
        sample(None, 6, datetime(2026, 3, 11, 3, tzinfo=UTC)),
        sample("sam@acme.test", 30, datetime(2026, 3, 11, 5, tzinfo=UTC), stage="exception", role="support"),
        sample("pat@acme.test", 1, datetime(2026, 3, 11, 5, tzinfo=UTC), shop=2),
        sample("pat@acme.test", 1, datetime(2026, 3, 11, 5, tzinfo=UTC), platform="shopee"),
    ]
    rows = analytics_rows(samples, Scope("day", SHANGHAI, shop_ids={1}, platform="tiktok"))
    assert rows == [
        ["Period", "Stage", "Role", "Member", "Handled", "Median (h)", "P90 (h)"],
        ["2026-03-10", "Paid → ready to ship", "warehouse", "(all)", 1, 2.0, 2.0],
        ["2026-03-10", "Paid → ready to ship", "warehouse", "ana@acme.test", 1, 2.0, 2.0],
        ["2026-03-11", "Exception raised → resolved", "support", "(all)", 1, 30.0, 30.0],
        ["2026-03-11", "Exception raised → resolved", "support", "sam@acme.test", 1, 30.0, 30.0],
        ["2026-03-11", "Paid → ready to ship", "warehouse", "(all)", 2, 5.0, 5.8],
        ["2026-03-11", "Paid → ready to ship", "warehouse", "ana@acme.test", 1, 4.0, 4.0],
    ]
    assert trend_rows(samples, Scope("week", SHANGHAI, shop_ids={1}, platform="tiktok")) == [
        [
            "Period",
            "Paid → ready to ship median (h)",
            "Exception raised → resolved median (h)",
            "Stock-out raised → resolved median (h)",
        ],
        ["2026-W11", 4.0, 30.0, ""],
    ]


def test_leaderboard_rows_cover_this_week_and_this_month() -> None:
    earlier_this_month = [sample("bo@acme.test", 1, datetime(2026, 3, 2, 4, tzinfo=UTC)) for _ in range(3)]
    rows = leaderboard_rows(WEEK + earlier_this_month, MIDWEEK + timedelta(hours=1), SHANGHAI, min_count=3)
    assert rows[0] == ["Window", "Stage", "Rank", "Member", "Handled", "Median (h)", "P90 (h)"]
    week = [r[2:5] for r in rows if r[0].startswith("This week")]
    month = [r[2:5] for r in rows if r[0].startswith("This month")]
    assert week == [[1, "ana@acme.test", 5], [2, "dee@acme.test", 3], [3, "bo@acme.test", 4]]
    # bo's month: 1,1,1,2,2,5,9 → median 2, best of the month
    assert month == [[1, "bo@acme.test", 7], [2, "ana@acme.test", 5], [3, "dee@acme.test", 3]]
    assert rows[1][0] == "This week (2026-W11)" and rows[-1][0] == "This month (2026-03)"
