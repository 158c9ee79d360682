"""Exchange rates: the newest rate on or before the day, inverses and crosses through EUR, never a guess."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from backend.domain.fx import Conversion, FxRate, RateBook, parse_pair

D = Decimal
FRI, SAT, MON = date(2026, 3, 6), date(2026, 3, 7), date(2026, 3, 9)
ECB_RATES = [
    FxRate(FRI, "EUR", "USD", D("1.0850")),
    FxRate(FRI, "EUR", "CNY", D("7.8125")),
    FxRate(MON, "EUR", "USD", D("1.0900")),
    FxRate(MON, "EUR", "CNY", D("7.8500")),
]
ECB = RateBook([*ECB_RATES, FxRate(FRI, "EUR", "GBP", D("0.84310"))])


def test_a_weekend_takes_the_last_working_days_rate_and_before_the_first_there_is_none() -> None:
    saturday = ECB.conversion("EUR", "USD", SAT)
    assert saturday == Conversion("EUR", "USD", D("1.0850"), FRI)
    assert ECB.conversion("EUR", "USD", MON) == Conversion("EUR", "USD", D("1.0900"), MON)
    assert ECB.conversion("EUR", "USD", date(2026, 3, 5)) is None
    assert ECB.conversion("USD", "USD", SAT) == Conversion("USD", "USD", D(1), SAT)


def test_pairs_cross_through_eur_rounded_to_ten_significant_digits() -> None:
    cny_usd = ECB.conversion("CNY", "USD", SAT)
    assert cny_usd is not None
    assert cny_usd.rate == D("0.13888")  # 1.0850 / 7.8125, exactly
    assert cny_usd.label == "CNY→USD 0.13888 on 2026-03-06 (via EUR)"
    gbp_usd = ECB.conversion("GBP", "USD", MON)  # GBP has no Monday rate: the cross is as old as its older leg
    assert gbp_usd == Conversion("GBP", "USD", D("1.292847824"), FRI, "EUR")
    assert ECB.conversion("USD", "EUR", SAT) == Conversion("USD", "EUR", D("0.9216589862"), FRI, "inverse")
    assert ECB.conversion("JPY", "USD", SAT) is None  # no JPY rate at all: flagged by the caller, never guessed


def test_the_newest_candidate_wins_and_a_stored_rate_beats_a_derived_one_of_the_same_day() -> None:
    typed = RateBook([*ECB_RATES, FxRate(FRI, "CNY", "USD", D("0.1390")), FxRate(MON, "USD", "CNY", D("7.1"))])
    assert typed.conversion("CNY", "USD", SAT) == Conversion("CNY", "USD", D("0.1390"), FRI)
    monday = typed.conversion("CNY", "USD", MON)  # Monday's inverse beats Friday's stored rate and Monday's cross
    assert monday == Conversion("CNY", "USD", D("0.1408450704"), MON, "inverse")


@pytest.mark.parametrize("text", ["CNY→USD", "cny/usd", " CNY - USD "])
def test_pairs_are_read_however_they_are_typed(text: str) -> None:
    assert parse_pair(text) == ("CNY", "USD")


@pytest.mark.parametrize("text", ["CNYUSD", "CNY→CNY", "YUAN→USD", ""])
def test_a_bad_pair_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a currency pair"):
        parse_pair(text)
