"""Setting up: the schema, teams and members."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from backend import i18n
from backend.cli.common import reports_errors
from backend.db import get_db
from backend.services import retention, teams


@click.command("init-db")
@reports_errors
def init_db_command() -> None:
    """Create the schema or upgrade it to the newest migration."""
    db = get_db()
    db.migrate()
    click.echo(f"database ready: {db.engine.url.render_as_string(hide_password=True)}")


team_cli = AppGroup("team", help="Teams.")
LANGUAGE = click.Choice(i18n.LANGUAGES)


@team_cli.command("create")
@click.argument("name")
@click.option("--admin", "admin_email", required=True, help="Email of the team's first admin.")
@click.option("--language", type=LANGUAGE, default="en", help="Sheets, sidebar and Discord in en or zh-Hans.")
@reports_errors
def team_create_command(name: str, admin_email: str, language: str) -> None:
    """Create a team and its first admin."""
    with get_db().session() as session:
        team = teams.create_team(session, name, admin_email, language)
        click.echo(
            f"team {team.name!r} created (id {team.id}); admin {team.members[0].email}; language {team.language}"
        )


@team_cli.command("set")
@click.argument("name")
@click.option(
    "--retention-days",
    type=int,
    default=None,
    help="Days after delivery or cancellation that buyers' personal data is kept, then masked (1-365).",
)
@click.option(
    "--reporting-currency",
    default=None,
    help="A 3-letter code (USD): report tabs add every currency up in it; '' clears it.",
)
@click.option("--language", type=LANGUAGE, default=None, help="en or zh-Hans (a spreadsheet may override it).")
@reports_errors
def team_set_command(
    name: str, retention_days: int | None, reporting_currency: str | None, language: str | None
) -> None:
    """Change a team's settings."""
    if retention_days is None and reporting_currency is None and language is None:
        raise click.UsageError("say what to change: --retention-days N, --reporting-currency CODE or --language LANG")
    with get_db().session() as session:
        team = teams.team_by_name(session, name)
        if language is not None:
            teams.set_language(session, team, language, actor="cli")
            click.echo(f"team {team.name!r} speaks {team.language}; its sheets are rewritten in it at the next push")
        if retention_days is not None:
            retention.set_retention(session, team, retention_days, actor="cli")
            click.echo(
                f"team {team.name!r} keeps buyers' personal data {team.retention_days} days after an order ends; "
                "older orders are masked by the next retention sweep"
            )
        if reporting_currency is not None:
            code = teams.set_reporting_currency(session, team, reporting_currency, actor="cli")
            click.echo(f"team {team.name!r} " + (f"reports in {code}" if code else "has no reporting currency"))


member_cli = AppGroup("member", help="Team members and roles.")


@member_cli.command("add")
@click.option("--team", "team_name", required=True)
@click.argument("email")
@click.option("--role", required=True, help="admin, finance, procurement, warehouse, support or viewer.")
@reports_errors
def member_add_command(team_name: str, email: str, role: str) -> None:
    """Add a member to a team, or change a member's role."""
    with get_db().session() as session:
        member = teams.add_member(session, teams.team_by_name(session, team_name), email, role)
        click.echo(f"{member.email} is {member.role} in {team_name!r}")
