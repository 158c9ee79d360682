"""Exchange rates: `fx import FILE --team NAME`."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from backend.cli.common import reports_errors
from backend.db import get_db
from backend.services import fx, teams

fx_cli = AppGroup("fx", help="Exchange rates for costs and reports in other currencies.")


@fx_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--team", "team_name", required=True)
@reports_errors
def fx_import_command(file: Path, team_name: str) -> None:
    """Import rates from a CSV (date, from, to, rate; or the ECB's reference rates as published).

    Good lines are kept and each bad one is reported on its own line; nothing imported exits non-zero.
    """
    with get_db().session() as session:
        team = teams.team_by_name(session, team_name)
        result = fx.import_rates(session, team, file.read_text(encoding="utf-8-sig"), file_name=file.name)
    for problem in result.problems:
        click.echo(problem, err=True)
    if not result.accepted:
        raise click.ClickException(f"no rates imported from {file.name}")
    click.echo(
        f"{result.layout} layout: {result.created} new, {result.updated} changed, {result.unchanged} unchanged "
        f"rates from {result.first} to {result.last}; {len(result.problems)} line(s) refused"
    )
