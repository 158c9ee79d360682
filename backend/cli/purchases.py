"""Procurement: `purchases import FILE --team NAME`."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from backend.cli.common import reports_errors
from backend.db import get_db
from backend.services import purchases, teams

purchases_cli = AppGroup("purchases", help="Purchase orders bought on 1688, Taobao or elsewhere.")


@purchases_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--team", "team_name", required=True)
@reports_errors
def purchases_import_command(file: Path, team_name: str) -> None:
    """Import purchase lines from 1688's buyer order export (.xlsx) or OrderDeck's CSV template (UTF-8 or
    GB18030).

    Good rows are kept and each bad one is reported by line number; nothing imported exits non-zero. Values
    typed in the purchase_orders tab are never overwritten.
    """
    with get_db().session() as session:
        team = teams.team_by_name(session, team_name)
        result = purchases.import_purchases(session, team, file.read_bytes(), file_name=file.name, actor="cli")
    for problem in result.problems:
        click.echo(problem, err=True)
    if not result.accepted:
        raise click.ClickException(f"no purchase lines imported from {file.name}")
    click.echo(
        f"{result.layout} layout: {result.created} new, {result.updated} changed, {result.unchanged} unchanged "
        f"purchase lines; {result.unmapped} without a seller SKU (type it in the purchase_orders tab); "
        f"{len(result.problems)} line(s) refused"
    )
