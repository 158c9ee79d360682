"""Exchange rates from the command line: OrderDeck's pair CSV and the ECB's files as published, bad lines named
by number, the reporting currency, and the rates tab listing what the team still has to enter."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from flask.testing import FlaskCliRunner
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backend.domain.views import FxRateView
from backend.models import AuditEntry, FxRate, SheetBinding, Team
from backend.services import bindings, fx, teams
from tests import factories

TEAM = "Acme Trading"
BAD_RATE = "rate '{}' must be a number above 0 with at most 12 decimals"
# The history file as the ECB publishes it (eurofxref-hist.csv): newest first, "N/A", a comma closing each line.
ECB_HISTORY = """Date,USD,JPY,BGN,CYP,CZK,GBP,CNY,
2026-03-09,1.0900,162.12,1.9558,N/A,25.123,0.84500,7.8500,
2026-03-06,1.0850,161.16,1.9558,N/A,25.101,0.84310,7.8125,
"""
# The daily file (eurofxref.csv): spaces after the commas and the date spelt out.
ECB_DAILY = (
    "Date, USD, JPY, BGN, CZK, DKK, GBP, CNY, \n"
    "10 March 2026, 1.0925, 162.50, 1.9558, 25.140, 7.4601, 0.84620, 7.8700, \n"
)


def import_file(runner: FlaskCliRunner, path: Path, text: str) -> tuple[int, str, str]:
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(args=["fx", "import", str(path), "--team", TEAM])
    return result.exit_code, result.stdout, result.stderr


def stored(session: Session) -> list[tuple[date, str, str, Decimal]]:
    rows = session.execute(select(FxRate.day, FxRate.base, FxRate.quote, FxRate.rate).order_by(FxRate.id)).all()
    return sorted((day, base, quote, rate) for day, base, quote, rate in rows)


def test_the_pair_layout_keeps_good_lines_and_names_each_bad_one(
    runner: FlaskCliRunner, session: Session, tmp_path: Path
) -> None:
    assert runner.invoke(args=["team", "create", TEAM, "--admin", "founder@acme.test"]).exit_code == 0
    text = (
        "date,from,to,rate\n"
        "2026-03-06,CNY,USD,0.1390\n"
        "2026-03-06,cny,gbp,0.1094\n"
        "2026-03-07,CNY,USD,0.13x\n"
        "06/03/2026,CNY,USD,0.14\n"
        "2026-03-08,CNY,CNY,1\n"
        "2026-03-06,CNY,USD,0.1391\n"
        "2026-03-09,CNY,USD,-1\n"
    )

    code, out, err = import_file(runner, tmp_path / "rates.csv", text)

    assert code == 0, err
    assert err.splitlines() == [
        "line 4: " + BAD_RATE.format("0.13x"),
        "line 5: date '06/03/2026' must be a date as YYYY-MM-DD",
        "line 6: from and to are both CNY",
        "line 7: CNY→USD on 2026-03-06 repeats line 2",
        "line 8: " + BAD_RATE.format("-1"),
    ]
    assert "2 new, 0 changed, 0 unchanged" in out and "5 line(s) refused" in out
    assert stored(session) == [
        (date(2026, 3, 6), "CNY", "GBP", Decimal("0.1094")),
        (date(2026, 3, 6), "CNY", "USD", Decimal("0.1390")),
    ]
    source = session.scalars(select(FxRate.source)).first()
    assert source == "csv:rates.csv"


def test_ecb_files_as_published_are_stored_per_euro_and_missing_rates_skipped(
    runner: FlaskCliRunner, session: Session, tmp_path: Path
) -> None:
    assert runner.invoke(args=["team", "create", TEAM, "--admin", "founder@acme.test"]).exit_code == 0

    code, out, err = import_file(runner, tmp_path / "eurofxref-hist.csv", ECB_HISTORY)
    assert code == 0 and err == "" and "ECB layout: 12 new" in out  # 6 currencies × 2 days, CYP's N/A skipped
    again = import_file(runner, tmp_path / "eurofxref-hist.csv", ECB_HISTORY.replace("1.0900", "1.0901"))
    assert again[0] == 0 and "0 new, 1 changed, 11 unchanged" in again[1]
    daily = import_file(runner, tmp_path / "eurofxref.csv", ECB_DAILY)
    assert daily[0] == 0 and "7 new" in daily[1] and "from 2026-03-10 to 2026-03-10" in daily[1]

    rows = stored(session)
    assert (date(2026, 3, 9), "EUR", "USD", Decimal("1.0901")) in rows
    assert (date(2026, 3, 10), "EUR", "DKK", Decimal("7.4601")) in rows
    assert not [r for r in rows if r[2] == "CYP"] and {r[1] for r in rows} == {"EUR"}
    assert set(session.scalars(select(FxRate.source))) == {"ecb:eurofxref-hist.csv", "ecb:eurofxref.csv"}
    team = teams.team_by_name(session, TEAM)
    book = fx.rate_books(session, [team.id], {"CNY", "USD"}, date(2026, 3, 7), date(2026, 3, 8))[team.id]
    saturday = book.conversion("CNY", "USD", date(2026, 3, 7))
    assert saturday is not None and saturday.rate == Decimal("0.13888") and saturday.via == "EUR"


def test_nothing_imported_exits_non_zero_with_one_line_per_error(
    runner: FlaskCliRunner, session: Session, tmp_path: Path
) -> None:
    assert runner.invoke(args=["team", "create", TEAM, "--admin", "founder@acme.test"]).exit_code == 0

    code, _out, err = import_file(runner, tmp_path / "bad.csv", "date,from,to,rate\n2026-13-01,CNY,USD,x\n")
    assert code != 0
    assert err.splitlines() == [
        "line 2: date '2026-13-01' must be a date as YYYY-MM-DD; " + BAD_RATE.format("x"),
        "Error: no rates imported from bad.csv",
    ]
    code, _out, err = import_file(runner, tmp_path / "other.csv", "when,amount\n2026-03-01,7\n")
    assert code != 0 and err.startswith("line 1: expected the columns date, from, to, rate, or the ECB's layout")
    code, _out, err = import_file(runner, tmp_path / "ecb.csv", "Date,USD,\n2026-03-06,1.08x,\n")
    assert code != 0 and err.splitlines()[0] == "line 2: USD: " + BAD_RATE.format("1.08x")
    assert stored(session) == []


def test_the_reporting_currency_is_a_team_setting_that_refreshes_its_tabs(
    runner: FlaskCliRunner, session: Session
) -> None:
    assert runner.invoke(args=["team", "create", TEAM, "--admin", "founder@acme.test"]).exit_code == 0
    team = teams.team_by_name(session, TEAM)
    bindings.bind(session, team, "financeSheet000000000001", "By month", "profit_by_month", actor="founder@acme.test")
    session.execute(update(SheetBinding).values(dirty=False))
    session.commit()

    result = runner.invoke(args=["team", "set", TEAM, "--reporting-currency", "usd"])

    assert result.exit_code == 0 and "reports in USD" in result.stdout
    session.expire_all()
    assert session.get_one(Team, team.id).reporting_currency == "USD"
    assert session.scalars(select(SheetBinding.dirty)).all() == [True]
    assert session.scalars(select(AuditEntry.action).where(AuditEntry.action == "team.reporting_currency")).one()
    refused = runner.invoke(args=["team", "set", TEAM, "--reporting-currency", "dollars"])
    assert refused.exit_code != 0 and "must be a 3-letter code" in refused.output
    cleared = runner.invoke(args=["team", "set", TEAM, "--reporting-currency", ""])
    assert cleared.exit_code == 0 and "no reporting currency" in cleared.stdout


def test_the_rates_tab_lists_stored_pairs_and_the_pairs_still_missing(session: Session) -> None:
    team = factories.team(session, reporting_currency="USD")
    factories.shop(session, team, region="US", currency="USD", time_zone="America/Los_Angeles")
    factories.shop(session, team, region="GB", currency="GBP", time_zone="Europe/London")
    factories.sku_cost(session, team, "TEA", Decimal("20.00"), currency="CNY")
    rates = [fx.rate_row("2026-03-06", "CNY", "USD", "0.1390"), fx.rate_row("2026-03-09", "CNY", "USD", "0.1400")]
    fx.upsert_rates(session, team, rates, source="felix@acme.test")

    assert fx.rate_views(session, team) == [
        FxRateView("CNY→GBP", needed_for="unit costs in CNY on GBP orders"),
        FxRateView(
            "CNY→USD", Decimal("0.1400"), date(2026, 3, 9), "felix@acme.test", "unit costs in CNY on USD orders"
        ),
        FxRateView("GBP→USD", needed_for="reporting in USD"),
    ]
