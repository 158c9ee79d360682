"""Handling-time analytics: how long each stage takes, per role and per member, and who is fastest.

Stages: paid → ready to ship (warehouse), exception raised → resolved (the template's handler role,
support for most), stock-out raised → resolved (procurement). A sample is bucketed by when the work
finished, in the team's time zone. Durations are seconds; the sheet rows show hours.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

STAGE_LABELS = {
    "fulfilment": "Paid → ready to ship",
    "exception": "Exception raised → resolved",
    "stock_out": "Stock-out raised → resolved",
}
PERIODS = ("day", "week", "month")
ANALYTICS_HEADER = ["Period", "Stage", "Role", "Member", "Handled", "Median (h)", "P90 (h)"]
TREND_HEADERS = {stage: f"{label} median (h)" for stage, label in STAGE_LABELS.items()}
LEADERBOARD_HEADER = ["Window", "Stage", "Rank", "Member", "Handled", "Median (h)", "P90 (h)"]
WINDOWS = {"week": "This week", "month": "This month"}  # the leaderboard's, to date
ALL_MEMBERS = "(all)"
# The actor of a sheet edit whose editor Google did not name (an empty `e.user`): work done, by nobody known.
UNKNOWN_MEMBER = "unknown member"


@dataclass(frozen=True)
class Sample:
    """One piece of handled work; `member` is None when no person is known (a status from sync, an edit
    whose editor Google did not name)."""

    stage: str
    role: str
    member: str | None
    started_at: datetime
    finished_at: datetime
    shop_id: int | None = None
    platform: str | None = None

    @property
    def seconds(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th quantile (0 ≤ p ≤ 1) by linear interpolation between closest ranks.

    Sort the n values; the rank is h = (n − 1)·p; the result is x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]).
    This is Sheets' and Excel's PERCENTILE / PERCENTILE.INC (and numpy's default), so a team that
    checks the analytics tab with =PERCENTILE(range, 0.9) gets the same figure; the median is p = 0.5,
    the mean of the two middle values for an even count.
    """
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= p <= 1:
        raise ValueError(f"p must be between 0 and 1, not {p}")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (rank - low) * (ordered[high] - ordered[low])


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def period_start(instant: datetime, period: str, zone: ZoneInfo) -> datetime:
    """Start of the day, ISO week (Monday) or month holding `instant`, in `zone`."""
    day = instant.astimezone(zone).date()
    if period == "week":
        day -= timedelta(days=day.weekday())
    elif period == "month":
        day = day.replace(day=1)
    elif period != "day":
        raise ValueError(f"period must be one of {PERIODS}, not {period!r}")
    return local_midnight(day, zone)


def next_period_start(start: datetime, period: str, zone: ZoneInfo) -> datetime:
    day = start.date()
    if period == "month":
        following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    else:
        following = day + timedelta(days=7 if period == "week" else 1)
    return local_midnight(following, zone)


def bucket_label(instant: datetime, period: str, zone: ZoneInfo) -> str:
    """2026-03-12 (day), 2026-W11 (ISO week), 2026-03 (month), in `zone`."""
    start = period_start(instant, period, zone)
    if period == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    return start.strftime("%Y-%m") if period == "month" else start.date().isoformat()


@dataclass(frozen=True)
class Stats:
    count: int
    median: float
    p90: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Stats:
        return cls(len(seconds), percentile(seconds, 0.5), percentile(seconds, 0.9))


def filtered(samples: Iterable[Sample], shop_ids: Collection[int] | None, platform: str | None) -> list[Sample]:
    return [
        s
        for s in samples
        if (shop_ids is None or s.shop_id in shop_ids) and (platform is None or s.platform == platform)
    ]


@dataclass(frozen=True)
class Scope:
    """How to slice samples: bucket size and zone, optionally only some shops or one platform."""

    period: str
    zone: ZoneInfo
    shop_ids: Collection[int] | None = None
    platform: str | None = None

    def bucketed(self, samples: Iterable[Sample]) -> Iterator[tuple[str, Sample]]:
        for sample in filtered(samples, self.shop_ids, self.platform):
            yield bucket_label(sample.finished_at, self.period, self.zone), sample


def summarize(samples: Iterable[Sample], scope: Scope) -> dict[tuple[str, str, str, str], Stats]:
    """(bucket, stage, role, member or ALL_MEMBERS) → stats, for every bucket that has work."""
    groups: dict[tuple[str, str, str, str], list[float]] = defaultdict(list)
    for bucket, sample in scope.bucketed(samples):
        groups[(bucket, sample.stage, sample.role, ALL_MEMBERS)].append(sample.seconds)
        if sample.member:
            groups[(bucket, sample.stage, sample.role, sample.member)].append(sample.seconds)
    return {key: Stats.of(values) for key, values in sorted(groups.items())}


def hours(seconds: float) -> float:
    return round(seconds / 3600, 2)


def analytics_rows(samples: Iterable[Sample], scope: Scope) -> list[list[Any]]:
    """The analytics tab's table: a header, then one row per bucket, stage, role and member."""
    rows: list[list[Any]] = [list(ANALYTICS_HEADER)]
    for (bucket, stage, role, member), stats in summarize(samples, scope).items():
        rows.append([bucket, STAGE_LABELS[stage], role, member, stats.count, hours(stats.median), hours(stats.p90)])
    return rows


def trend_rows(samples: Iterable[Sample], scope: Scope) -> list[list[Any]]:
    """Median hours per stage (columns) by bucket (rows): the chart's source range; no work is ""."""
    groups: dict[tuple[str, str], list[float]] = defaultdict(list)
    for bucket, sample in scope.bucketed(samples):
        groups[(bucket, sample.stage)].append(sample.seconds)
    rows: list[list[Any]] = [["Period", *TREND_HEADERS.values()]]
    for bucket in sorted({bucket for bucket, _ in groups}):
        medians = (groups.get((bucket, stage)) for stage in STAGE_LABELS)
        rows.append([bucket, *(hours(percentile(v, 0.5)) if v else "" for v in medians)])
    return rows


@dataclass(frozen=True)
class Standing:
    rank: int
    member: str
    stats: Stats


def leaderboard(
    samples: Iterable[Sample], stage: str, start: datetime, end: datetime, min_count: int
) -> list[Standing]:
    """Members ranked by median handling time for work finished in [start, end).

    Only members with at least `min_count` pieces rank, so one quick order does not win. Ties go to
    the member who handled more, then alphabetically; equal medians and counts share a rank.
    """
    per_member: dict[str, list[float]] = defaultdict(list)
    for s in samples:
        if s.stage == stage and s.member and start <= s.finished_at < end:
            per_member[s.member].append(s.seconds)
    ranked = sorted(
        ((member, Stats.of(values)) for member, values in per_member.items() if len(values) >= min_count),
        key=lambda item: (item[1].median, -item[1].count, item[0]),
    )
    standings: list[Standing] = []
    for index, (member, stats) in enumerate(ranked):
        tied = standings and (standings[-1].stats.median, standings[-1].stats.count) == (stats.median, stats.count)
        standings.append(Standing(standings[-1].rank if tied else index + 1, member, stats))
    return standings


def leaderboard_rows(samples: Sequence[Sample], now: datetime, zone: ZoneInfo, min_count: int) -> list[list[Any]]:
    """The leaderboard block: this week and this month to date, each stage, in the team's zone."""
    rows: list[list[Any]] = [list(LEADERBOARD_HEADER)]
    for period, label in WINDOWS.items():
        start = period_start(now, period, zone)
        for stage, stage_label in STAGE_LABELS.items():
            for standing in leaderboard(samples, stage, start, now, min_count):
                rows.append(
                    [
                        f"{label} ({bucket_label(start, period, zone)})",
                        stage_label,
                        standing.rank,
                        standing.member,
                        standing.stats.count,
                        hours(standing.stats.median),
                        hours(standing.stats.p90),
                    ]
                )
    return rows
