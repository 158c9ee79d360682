"""`limits show | set | reset`: what one team (or member) may spend of what teams share."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from backend import runtime
from backend.cli.common import reports_errors
from backend.services import limits

limits_cli = AppGroup("limits", help="Limits per team and member on shared quota and work (schemas/limits.json).")
TEAM = click.option("--team", "team_name", default=None, help="One team's limit (default: every team's).")


def _echo(rule: limits.Rule) -> None:
    source = "override" if rule.overridden else "default"
    click.echo(f"{rule.name:28} {rule.describe():>16}  {source:8}  {rule.what}")


@limits_cli.command("show")
@TEAM
@reports_errors
def limits_show_command(team_name: str | None) -> None:
    """Every limit as it holds now (for one team with --team)."""
    with runtime.database().session() as session:
        for rule in limits.show(session, team_name):
            _echo(rule)


@limits_cli.command("set")
@click.argument("name")
@click.argument("count", type=int)
@click.argument("seconds", type=int)
@TEAM
@reports_errors
def limits_set_command(name: str, count: int, seconds: int, team_name: str | None) -> None:
    """At most COUNT of NAME per SECONDS, stored in the database: every process uses it at once."""
    with runtime.database().session() as session:
        _echo(limits.set_limit(session, name, count, seconds, team_name=team_name, actor="cli"))


@limits_cli.command("reset")
@click.argument("name")
@TEAM
@reports_errors
def limits_reset_command(name: str, team_name: str | None) -> None:
    """Back to the default (or, for a team, to the deployment-wide value)."""
    with runtime.database().session() as session:
        _echo(limits.reset_limit(session, name, team_name=team_name))
