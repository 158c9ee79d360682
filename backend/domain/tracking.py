"""A shipped order's carrier events (pure): what they say about the parcel, and when to ask the carrier again.

Polling respects the platform's rate limits by spending little: at most six calls per in-transit order a
day (every four hours) while its parcel moves, fewer once it is quiet (no new event for a day: every eight
hours; for three days: twice a day), and none after delivery or return. An order not yet collected is
asked every eight hours: the first scan comes when the carrier picks it up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from backend.domain import alerts
from backend.platforms.fulfilment import TrackingEvent, TrackingKind

ACTIVE = timedelta(hours=4)  # six calls a day at most
QUIET_AFTER, QUIET = timedelta(days=1), timedelta(hours=8)
SILENT_AFTER, SILENT = timedelta(days=3), timedelta(hours=12)
WAITING = timedelta(hours=8)  # handed over, not collected yet
GIVE_UP_AFTER = timedelta(days=60)  # a parcel with no news for this long is no longer polled
EVENTS_KEPT = 50


class Problem:
    FAILED_DELIVERY = "failed_delivery"
    RETURNED = "returned"


PROBLEM_LABELS = {Problem.FAILED_DELIVERY: "failed delivery", Problem.RETURNED: "returned to sender"}


@dataclass(frozen=True)
class Summary:
    latest: str
    latest_at: datetime | None
    delivered_at: datetime | None
    problem: str | None


def summarize(events: Sequence[TrackingEvent]) -> Summary:
    """The newest event, delivery, and a failed-delivery flag (cleared by a later delivery) or a return."""
    ordered = sorted(events, key=lambda e: e.at)
    latest = ordered[-1] if ordered else None
    delivered = next((e.at for e in reversed(ordered) if e.kind is TrackingKind.DELIVERED), None)
    problem = None
    if any(e.kind is TrackingKind.RETURNED for e in ordered):
        problem = Problem.RETURNED
    elif any(e.kind is TrackingKind.FAILED_ATTEMPT and (delivered is None or e.at > delivered) for e in ordered):
        problem = Problem.FAILED_DELIVERY
    return Summary(latest.description if latest else "", latest.at if latest else None, delivered, problem)


def next_poll(now: datetime, shipped_at: datetime, summary: Summary, *, collected: bool) -> datetime | None:
    """When to ask again; None once there is nothing more to learn (delivered, returned, long silent)."""
    if summary.delivered_at is not None or summary.problem == Problem.RETURNED:
        return None
    last_news = summary.latest_at or shipped_at
    quiet_for = now - last_news
    if quiet_for > GIVE_UP_AFTER:
        return None
    if not collected and summary.latest_at is None:
        return now + WAITING
    if quiet_for >= SILENT_AFTER:
        return now + SILENT
    return now + (QUIET if quiet_for >= QUIET_AFTER else ACTIVE)


def days_in_transit(shipped_at: datetime | None, delivered_at: datetime | None, now: datetime) -> int | None:
    if shipped_at is None:
        return None
    return max(((delivered_at or now) - shipped_at).days, 0)


def stored(events: Sequence[TrackingEvent]) -> list[list[str]]:
    """Events as JSON rows, the newest EVENTS_KEPT."""
    rows = [[e.at.isoformat(), e.description[:500], e.kind.value] for e in sorted(events, key=lambda e: e.at)]
    return rows[-EVENTS_KEPT:]


def late_message(ref: alerts.OrderRef, due: datetime, latest_at: datetime | None, zone: str) -> dict[str, Any]:
    """The Discord message for an order still undelivered past its delivery deadline (sent once). The
    carrier's own words stay out: a scan may name the buyer's street, and a channel's audience is unknown."""
    local = ZoneInfo(zone)
    lines = [f"Delivery was due {due.astimezone(local):%Y-%m-%d %H:%M} ({zone}); not delivered yet."]
    if latest_at is not None:
        lines.append(f"Last carrier event {latest_at.astimezone(local):%Y-%m-%d %H:%M}.")
    return alerts.message(
        alerts.embed(
            f"Late delivery: order {ref.external_id} ({ref.shop_name})",
            "\n".join(lines),
            color=alerts.RED,
            url=ref.link,
            footer="OrderDeck tracking",
        )
    )
