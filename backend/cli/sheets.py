"""`sheet bind` and `sheet push`: bind a tab to a column profile, and write dirty bindings now."""

from __future__ import annotations

import click

from backend import runtime
from backend.cli.common import reports_errors
from backend.db import get_db
from backend.errors import OrderDeckError
from backend.services import addon_sheets, bindings, sheet_refresh, teams


@click.group("sheet")
def sheet_cli() -> None:
    """Spreadsheets: bind tabs to column profiles and push orders into them."""


@sheet_cli.command("bind")
@click.argument("spreadsheet_id")
@click.option("--team", "team_name", required=True)
@click.option("--tab", required=True, help="Tab title; created on the first push if missing.")
@click.option("--profile", "profile_key", required=True, help="sla_watch, profit_ledger, customer_service, …")
@click.option("--shops", default="", help="Comma-separated shop ids (default: all of the team's shops).")
@click.option("--as", "actor", default=None, help="Acting member (default: the team's first admin).")
@reports_errors
def bind_command(spreadsheet_id: str, team_name: str, tab: str, profile_key: str, **options: str | None) -> None:
    with get_db().session() as session:
        team_id = teams.team_by_name(session, team_name).id
    title = addon_sheets.check_opens(get_db(), runtime.config(), runtime.secret_box(), team_id, spreadsheet_id)
    with get_db().session() as session:
        team = teams.team_by_name(session, team_name)
        shop_list = [s.strip() for s in (options["shops"] or "").split(",") if s.strip()]
        actor = options["actor"]
        binding = bindings.bind(
            session, team, spreadsheet_id, tab, profile_key, shops=shop_list, actor=actor, title=title
        )
        writer = sheet_refresh.writer_identity(team)
        click.echo(
            f"tab {binding.tab_title!r} of {spreadsheet_id} shows {binding.profile_key} "
            f"({binding.spreadsheet.audience_role} audience); share the file with {writer} as an editor"
        )


@sheet_cli.command("push")
@click.option("--spreadsheet", "google_id", default=None, help="Only this spreadsheet (all its tabs).")
@reports_errors
def push_command(google_id: str | None) -> None:
    results = sheet_refresh.push_dirty(sheet_refresh.pusher(), google_id)
    if not results:
        click.echo("nothing to push")
    failed = False
    for result in results:
        if isinstance(result, OrderDeckError):
            failed = True
            click.echo(f"failed: {result.message}", err=True)
            continue
        for tab in result.tabs:
            if tab.skipped:
                failed = True
                click.echo(f"{result.spreadsheet} {tab.tab!r}: {tab.skipped}", err=True)
                continue
            cut = f", {tab.cut} cell(s) cut to fit" if tab.cut else ""
            click.echo(f"{result.spreadsheet} {tab.tab!r}: +{tab.added} ~{tab.changed} -{tab.removed}{cut}")
            for problem in tab.unwritten:
                failed = True
                click.echo(f"{result.spreadsheet} {tab.tab!r}: {problem}", err=True)
        click.echo(f"{result.spreadsheet}: {result.writes} write(s), {result.reads} read(s), {result.bytes_sent} bytes")
    if failed:
        raise click.exceptions.Exit(1)
