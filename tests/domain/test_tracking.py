"""Tracking (pure): what a parcel's events say, and a polling cadence that spends at most six calls a day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backend.domain import tracking
from backend.domain.tracking import Problem, Summary, next_poll, summarize
from backend.platforms.fulfilment import TrackingEvent, TrackingKind

T0 = datetime(2026, 11, 2, 8, tzinfo=UTC)
H = timedelta(hours=1)


def event(hours: float, kind: TrackingKind, text: str = "") -> TrackingEvent:
    return TrackingEvent(T0 + hours * H, text or kind.value, kind)


def test_a_failed_attempt_is_flagged_until_a_later_delivery_and_a_return_stays_flagged() -> None:
    failed = [event(0, TrackingKind.PICKED_UP), event(30, TrackingKind.FAILED_ATTEMPT, "Delivery attempt failed")]
    assert summarize(failed).problem == Problem.FAILED_DELIVERY
    assert summarize(failed).latest == "Delivery attempt failed"
    delivered = [*failed, event(50, TrackingKind.DELIVERED)]
    assert summarize(delivered).problem is None and summarize(delivered).delivered_at == T0 + 50 * H
    returned = [*failed, event(70, TrackingKind.RETURNED)]
    assert summarize(returned).problem == Problem.RETURNED


def polls_per_day(scans: list[timedelta], days: int = 8) -> list[int]:
    """Simulate a sweep every 10 minutes over a parcel whose carrier scans at these offsets after shipping."""
    now, shipped = T0, T0
    due: datetime | None = T0
    counts = [0] * days
    while now < T0 + timedelta(days=days):
        if due is not None and now >= due:
            counts[(now - T0).days] += 1
            seen = [shipped + s for s in scans if shipped + s <= now]
            summary = Summary("scan" if seen else "", seen[-1] if seen else None, None, None)
            due = next_poll(now, shipped, summary, collected=bool(seen))
        now += timedelta(minutes=10)
    return counts


def test_at_most_six_polls_a_day_while_moving_and_fewer_once_quiet() -> None:
    busy = polls_per_day([timedelta(hours=h) for h in range(6, 8 * 24, 6)])
    every_other_day = polls_per_day([timedelta(hours=6), *(timedelta(days=d) for d in (2, 4, 6))])
    one_scan = polls_per_day([timedelta(hours=6)])
    assert max(busy) == 6
    assert max(every_other_day) <= 6 and sum(every_other_day) < sum(busy) * 0.8
    assert one_scan == [5, 4, 3, 3, 2, 2, 2, 2]  # quiet after a day (every 8 h), silent after three (12 h)
    assert polls_per_day([])[:3] == [3, 3, 3]  # handed over, not collected yet


def test_no_poll_after_delivery_or_a_return_nor_after_two_months_of_silence() -> None:
    now = T0 + 5 * 24 * H
    delivered = Summary("Delivered", now, now, None)
    returned = Summary("Returned to sender", now, None, Problem.RETURNED)
    assert next_poll(now, T0, delivered, collected=True) is None
    assert next_poll(now, T0, returned, collected=True) is None
    assert next_poll(T0 + timedelta(days=61), T0, Summary("", None, None, None), collected=False) is None


def test_days_in_transit_count_to_delivery_or_now() -> None:
    assert tracking.days_in_transit(T0, T0 + 50 * H, T0 + 500 * H) == 2
    assert tracking.days_in_transit(T0, None, T0 + 73 * H) == 3
    assert tracking.days_in_transit(None, None, T0) is None
