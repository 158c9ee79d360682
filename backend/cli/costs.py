"""SKU unit costs: `costs import FILE --team NAME`."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from backend.cli.common import read_text, reports_errors
from backend.db import get_db
from backend.services import costs, teams

costs_cli = AppGroup("costs", help="SKU unit costs (COGS) with effective dates.")


@costs_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--team", "team_name", required=True)
@reports_errors
def costs_import_command(file: Path, team_name: str) -> None:
    """Import unit costs from a CSV (seller_sku, unit_cost, currency, effective_from); all rows or none."""
    with get_db().session() as session:
        team = teams.team_by_name(session, team_name)
        result = costs.import_costs(session, team, read_text(file), actor=f"csv:{file.name}")
        click.echo(
            f"{result.created} new, {result.updated} changed, {result.unchanged} unchanged; "
            f"profit of {len(result.affected_order_ids)} order(s) recomputed on the next push"
        )
