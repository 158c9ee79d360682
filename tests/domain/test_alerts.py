"""SLA tiers: which message is due when, quiet hours, and embeds that always fit Discord's limits."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from backend.domain.alerts import (
    EMBED_TOTAL_MAX,
    OrderRef,
    QuietHours,
    dispatch_deadline,
    embed,
    embed_chars,
    message,
    sla_message,
    tier_due,
)
from backend.sandbox.discord import validation_errors

DEADLINE = datetime(2026, 3, 12, 10, 0, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")


def at(hours_before: float) -> datetime:
    return DEADLINE - timedelta(hours=hours_before)


def due_name(now: datetime, sent: set[str]) -> str | None:
    """The name of the tier due at `now` (no quiet hours), or None when none is."""
    tier = tier_due(DEADLINE, now, sent=sent)
    return None if tier is None else tier.name


def names_sent_by_sweeping(every: timedelta, quiet: QuietHours | None = None) -> list[tuple[str, datetime]]:
    sent: list[tuple[str, datetime]] = []
    now = at(30)
    while now < DEADLINE + timedelta(hours=2):
        tier = tier_due(DEADLINE, now, {name for name, _ in sent}, quiet)
        if tier is not None:
            sent.append((tier.name, now))
        now += every
    return sent


def test_a_sweep_every_few_minutes_sends_each_tier_once_as_it_is_crossed() -> None:
    sent = names_sent_by_sweeping(timedelta(minutes=5))
    assert sent == [("T-24h", at(24)), ("T-12h", at(12)), ("T-4h", at(4))]


def test_a_late_sweep_sends_only_the_most_urgent_tier() -> None:
    assert due_name(at(10), sent=set()) == "T-12h"
    assert due_name(at(9), sent={"T-12h"}) is None  # T-24h is moot now
    assert due_name(at(3), sent={"T-12h"}) == "T-4h"


def test_no_tier_before_24_hours_or_after_the_deadline() -> None:
    assert tier_due(DEADLINE, at(24.01), sent=set()) is None
    assert tier_due(DEADLINE, at(0), sent=set()) is None
    assert tier_due(DEADLINE, at(-1), sent=set()) is None


def test_quiet_hours_hold_the_first_tiers_until_morning_but_never_t4() -> None:
    # London is on GMT on 12 March: quiet 22:00–08:00 local; the deadline is 10:00.
    quiet = QuietHours(time(22), time(8), LONDON)
    sent = names_sent_by_sweeping(timedelta(minutes=5), quiet)
    # T-24h (10:00 the day before) is outside quiet hours; T-12h (22:00) waits for 08:00, by which
    # time T-4h (06:00) has been sent during quiet hours, so T-12h never goes out.
    assert sent == [("T-24h", at(24)), ("T-4h", at(4))]


def test_quiet_hours_release_a_held_tier_when_they_end() -> None:
    quiet = QuietHours(time(21), time(23), LONDON)  # T-12h at 22:00 falls inside
    sent = names_sent_by_sweeping(timedelta(minutes=5), quiet)
    assert sent == [("T-24h", at(24)), ("T-12h", at(11)), ("T-4h", at(4))]


def test_quiet_hours_are_read_in_the_team_zone_across_daylight_saving() -> None:
    quiet = QuietHours(time(22), time(8), LONDON)
    assert quiet.contains(datetime(2026, 7, 1, 21, 30, tzinfo=UTC))  # 22:30 BST
    assert not quiet.contains(datetime(2026, 1, 1, 21, 30, tzinfo=UTC))  # 21:30 GMT
    daytime = QuietHours(time(12), time(14), LONDON)
    assert daytime.contains(datetime(2026, 1, 1, 13, tzinfo=UTC)) and not daytime.contains(
        datetime(2026, 1, 1, 14, tzinfo=UTC)
    )


def test_dispatch_deadline_is_rts_sla_then_shipping_due() -> None:
    later = DEADLINE + timedelta(hours=5)
    assert dispatch_deadline(DEADLINE, later) == DEADLINE
    assert dispatch_deadline(None, later) == later
    assert dispatch_deadline(None, None) is None


def test_sla_message_passes_discords_checks_and_links_the_sheet() -> None:
    tier = tier_due(DEADLINE, at(4), sent=set())
    assert tier is not None
    link = "https://docs.google.com/spreadsheets/d/abc/edit#gid=7"
    body = sla_message(OrderRef("5770001", "Acme UK", "AWAITING_SHIPMENT", link), tier, DEADLINE)
    assert validation_errors(body) is None
    [item] = body["embeds"]
    assert item["url"] == link and item["title"] == "T-4h: order 5770001 must ship within 4 h"
    assert f"<t:{int(DEADLINE.timestamp())}:R>" in item["description"]
    assert body["allowed_mentions"] == {"parse": []}


def test_oversized_text_is_clipped_to_fit_rather_than_refused() -> None:
    long = embed("t" * 300, "d" * 500, fields=[(f"n{i}", "v" * 2000) for i in range(30)], footer="f" * 100)
    assert len(long["title"]) == 256 and {len(f["value"]) for f in long["fields"]} == {1024}
    assert len(long["fields"]) == 5  # 256 + 500 + 100 + 5 × (2 + 1024) ≤ 6000 < 6 fields
    huge = embed("t" * 300, "d" * 5000, footer="f" * 3000)
    assert len(huge["description"]) == 6000 - 256 - 2048 and embed_chars(huge) == EMBED_TOTAL_MAX
    body = message(*[embed(f"#{i}", "x" * 1500) for i in range(12)])
    assert sum(embed_chars(e) for e in body["embeds"]) <= EMBED_TOTAL_MAX
    assert len(body["embeds"]) == 3
    assert validation_errors(body) is None
    assert validation_errors(message(huge)) is None and validation_errors(message(long)) is None


@pytest.mark.parametrize("hours", [24, 12, 4])
def test_each_tier_is_due_exactly_at_its_boundary(hours: int) -> None:
    assert due_name(at(hours), sent=set()) == f"T-{hours}h"
