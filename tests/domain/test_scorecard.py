"""The carrier scorecard against a fixture computed by hand (no code reused to find the expected figures)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from backend.domain.scorecard import HEADERS, Parcel, scorecard

NOW = datetime(2026, 12, 10, tzinfo=UTC)
LA = "America/Los_Angeles"


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00+00:00")


PARCELS = [
    # USPS, November: ship→delivery 2.0, 3.0, 5.5 days (median 3.0); due dates: on time, on time, late.
    Parcel("USPS", at("2026-11-02"), LA, at("2026-11-04"), at("2026-11-06")),
    Parcel("USPS", at("2026-11-10"), LA, at("2026-11-13"), at("2026-11-13", 18)),
    Parcel("USPS", at("2026-11-20"), LA, at("2026-11-26", 0), at("2026-11-25")),
    # USPS, November: never delivered, deadline passed, returned to sender: late and failed.
    Parcel("USPS", at("2026-11-21"), LA, None, at("2026-11-30"), failed=True),
    # UPS, November: 0.5 and 2.5 days, one failed attempt then delivered on time; one still
    # travelling with its deadline ahead (not judged).
    Parcel("UPS", at("2026-11-05"), LA, at("2026-11-06", 0), at("2026-11-08"), failed=True),
    Parcel("UPS", at("2026-11-15"), LA, at("2026-11-18", 0), at("2026-11-20")),
    Parcel("UPS", at("2026-11-30"), LA, None, at("2026-12-20")),
    # UPS, December 1st 03:00 UTC is still November 30th in Los Angeles: it counts in November.
    Parcel("UPS", at("2026-12-01", 3), LA, at("2026-12-02", 3), None),
    # FedEx, December: one parcel, 4 days, no deadline given (not judged).
    Parcel("FedEx", at("2026-12-03"), LA, at("2026-12-07"), None),
]


def test_the_scorecard_equals_the_hand_computed_fixture() -> None:
    rows = scorecard(PARCELS, NOW)

    assert rows[0] == list(HEADERS)
    assert rows[1:] == [
        # month, carrier: parcels, median days, on time (judged only), failed deliveries
        ["2026-12 FedEx", "2026-12", "FedEx", 1, Decimal("4.0"), None, 0],
        # UPS Nov: spans 0.5 d (11-05 12:00 → 11-06 00:00), 2.5 d, 1.0 d (Dec 1 03:00 → Dec 2 03:00): median 1.0;
        # judged: the first two (on time), the third has no deadline, the fourth's is ahead: 2 of 2.
        ["2026-11 UPS", "2026-11", "UPS", 4, Decimal("1.0"), Decimal("1.0000"), 1],
        # USPS Nov: spans 2.0, 3.0, 5.5 d: median 3.0; judged 4: on time 2 (11-04 ≤ 11-06, 11-13 12:00 ≤ 18:00).
        ["2026-11 USPS", "2026-11", "USPS", 4, Decimal("3.0"), Decimal("0.5000"), 1],
    ]


def test_an_empty_scorecard_is_its_header() -> None:
    assert scorecard([], NOW) == [list(HEADERS)]


def test_a_parcel_without_a_carrier_is_counted_under_no_carrier() -> None:
    rows = scorecard([Parcel("", NOW - timedelta(days=3), "UTC")], NOW)
    assert rows[1][2] == "(no carrier)" and rows[1][3] == 1 and rows[1][4] is None
