"""`flask --app backend …` commands (the contract in DESIGN.md). Each command calls one service."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click
from flask import Flask
from flask.cli import AppGroup

from backend.db import get_db
from backend.errors import NotBuiltYet, OrderDeckError
from backend.services import teams

F = TypeVar("F", bound=Callable[..., Any])


def reports_errors(fn: F) -> F:
    """Turn an OrderDeckError into click's one-line `Error: …` and a non-zero exit."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except OrderDeckError as exc:
            raise click.ClickException(exc.message) from None

    return wrapper  # type: ignore[return-value]


@click.command("init-db")
@reports_errors
def init_db_command() -> None:
    """Create the schema or upgrade it to the newest migration."""
    db = get_db()
    db.migrate()
    click.echo(f"database ready: {db.engine.url.render_as_string(hide_password=True)}")


team_cli = AppGroup("team", help="Teams.")


@team_cli.command("create")
@click.argument("name")
@click.option("--admin", "admin_email", required=True, help="Email of the team's first admin.")
@reports_errors
def team_create_command(name: str, admin_email: str) -> None:
    """Create a team and its first admin."""
    with get_db().session() as session:
        team = teams.create_team(session, name, admin_email)
        click.echo(f"team {team.name!r} created (id {team.id}); admin {team.members[0].email}")


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


def not_built(name: str, issue: int) -> click.Command:
    """A DESIGN.md command whose issue has not landed: says so and exits non-zero."""

    @click.command(name, context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
    @reports_errors
    def command() -> None:
        raise NotBuiltYet(f"`{name}` is not built yet (issue {issue})")

    command.help = f"Not built yet (issue {issue})."
    return command


def init_app(app: Flask) -> None:
    for cmd in (init_db_command, team_cli, member_cli):
        app.cli.add_command(cmd)
    for name, issue in (
        ("shop", 3),
        ("sync", 4),
        ("sheet", 5),
        ("import-csv", 4),
        ("worker", 4),
        ("keys", 10),
        ("costs", 7),
        ("demo", 9),
    ):
        app.cli.add_command(not_built(name, issue))
