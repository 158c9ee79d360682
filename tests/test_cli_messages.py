"""What a person at the command line reads when a command cannot do its work: one line saying what to do,
and a non-zero exit — never a traceback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from backend.config import TEST_ENCRYPTION_KEY
from backend.models import SkuCost, Spreadsheet
from backend.sandbox.sheets import GoogleSandboxes
from tests import factories
from tests.api.conftest import point_at_google
from tests.test_foundation import flask_cli

HEADER = "seller_sku,unit_cost,currency,effective_from\n"


def one_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    return lines[0]


@pytest.fixture
def empty_database(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A database nobody ran `init-db` on: a new SQLite file, or a new PostgreSQL database."""
    if make_url(database_url).get_backend_name() != "postgresql":
        yield f"sqlite:///{tmp_path / 'never-initialised.db'}"
        return
    url = make_url(database_url)
    name = f"{url.database}_noschema"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.mark.parametrize("command", [["team", "create", "Acme", "--admin", "a@acme.test"], ["sync"]])
def test_before_init_db_every_command_says_to_run_it(empty_database: str, command: list[str]) -> None:
    # The real entry point: what reaches the terminal, tracebacks included.
    done = flask_cli(*command, env={"DATABASE_URL": empty_database, "ORDERDECK_ENCRYPTION_KEY": TEST_ENCRYPTION_KEY})
    assert done.returncode != 0
    assert one_line(done.stdout + done.stderr).endswith("run flask --app backend init-db")


@pytest.fixture
def import_costs(runner: FlaskCliRunner, session: Session, tmp_path: Path) -> Callable[[bytes], Result]:
    """`costs import` of a file with these bytes, for team Acme."""
    factories.team(session, "Acme", admin="a@acme.test")
    session.commit()

    def run(content: bytes) -> Result:
        costs = tmp_path / "costs.csv"
        costs.write_bytes(content)
        return runner.invoke(args=["costs", "import", str(costs), "--team", "Acme"])

    return run


def test_a_cost_file_that_is_not_utf8_is_refused_in_one_line(
    import_costs: Callable[[bytes], Result], session: Session
) -> None:
    result = import_costs((HEADER + "CAFÉ-01,2.50,EUR,2026-01-01\n").encode("cp1252"))
    assert result.exit_code != 0
    assert one_line(result.output) == (
        'Error: costs.csv is not UTF-8 text (byte 49 is not): save it as "CSV UTF-8" and import again'
    )
    assert session.scalar(select(SkuCost.id)) is None


def test_a_currency_that_is_not_iso_4217_is_refused_and_nothing_is_imported(
    import_costs: Callable[[bytes], Result], session: Session
) -> None:
    result = import_costs((HEADER + "MUG-01,2.50,USD,2026-01-01\nMUG-02,3.10,XYZ,2026-01-01\n").encode())
    assert result.exit_code != 0
    assert one_line(result.output) == (
        "Error: no costs imported: line 3: currency 'XYZ' is not an ISO 4217 currency code: "
        "use one such as USD, GBP or CNY"
    )
    assert session.scalar(select(SkuCost.id)) is None
    assert import_costs((HEADER + "MUG-01,2.50,cny,2026-01-01\n").encode()).exit_code == 0  # any listed code


def test_sheet_bind_refuses_a_spreadsheet_that_does_not_exist(
    app: Flask, runner: FlaskCliRunner, session: Session, google: GoogleSandboxes, tmp_path: Path
) -> None:
    point_at_google(app, google, tmp_path)
    factories.team(session, "Acme", admin="a@acme.test")
    session.commit()
    missing = "1NoSuchSpreadsheet0000000000000000000000000"
    result = runner.invoke(
        args=["sheet", "bind", missing, "--team", "Acme", "--tab", "Ship next", "--profile", "sla_watch"]
    )
    assert result.exit_code != 0
    line = one_line(result.output)
    assert line.startswith(f"Error: no spreadsheet {missing} that ") and "share the file with" in line
    assert session.scalar(select(Spreadsheet.id)) is None  # nothing bound


def test_sync_with_no_shop_says_how_to_connect_one(app: Flask, runner: FlaskCliRunner) -> None:
    with app.app_context():  # as `flask` runs it (the command is a plain click command)
        result = runner.invoke(args=["sync"])
    assert result.exit_code != 0
    assert one_line(result.output) == (
        "Error: no shop is connected yet: connect one with flask --app backend shop connect, or from the sidebar"
    )
