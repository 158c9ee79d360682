"""Discord channels: `notify channel add|list|remove|test`."""

from __future__ import annotations

from typing import Any

import click
import httpx
from flask.cli import AppGroup

from backend import runtime
from backend.cli.common import reports_errors
from backend.db import get_db
from backend.services import channels, teams

notify_cli = AppGroup("notify", help="Notifications to Discord.")
channel_cli = AppGroup("channel", help="Discord channels per event kind.")
notify_cli.add_command(channel_cli)

KINDS = click.Choice(channels.kinds())


def _line(channel: dict[str, Any]) -> str:
    state = "on" if channel["enabled"] else f"OFF: {channel['problem']}"
    kinds = ",".join(channel["kinds"]) or "every kind"
    return f"{channel['id']}\t{channel['name']}\t{kinds}\t{channel['webhook']}\t{state}"


@channel_cli.command("add")
@click.option("--team", "team_name", required=True)
@click.option("--kind", "kinds", multiple=True, type=KINDS, help="An event kind (repeat for several; none = all).")
@click.option("--name", default="Discord", help="What the sidebar and this command call the channel.")
@click.argument("url")
@reports_errors
def channel_add_command(team_name: str, kinds: tuple[str, ...], name: str, url: str) -> None:
    """Send KIND events to the Discord webhook URL (…/api/webhooks/<id>/<token>)."""
    with get_db().session() as session:
        team = teams.team_by_name(session, team_name)
        added = channels.add(
            session, runtime.secret_box(), runtime.config(), team, url=url, kinds=kinds, name=name, actor="cli"
        )
    click.echo(f"channel {added['id']} added: {_line(added)}")


@channel_cli.command("list")
@click.option("--team", "team_name", required=True)
@reports_errors
def channel_list_command(team_name: str) -> None:
    """The team's channels: id, name, kinds, webhook (without its token), on or off and why."""
    with get_db().session() as session:
        found = channels.listing(session, runtime.secret_box(), teams.team_by_name(session, team_name))
    if not found:
        click.echo(f"{team_name!r} has no Discord channel")
    for channel in found:
        click.echo(_line(channel))


@channel_cli.command("remove")
@click.option("--team", "team_name", required=True)
@click.argument("channel_id", type=int)
@reports_errors
def channel_remove_command(team_name: str, channel_id: int) -> None:
    """Remove a channel (the id from `notify channel list`); messages still waiting for it are dropped."""
    with get_db().session() as session:
        team = teams.team_by_name(session, team_name)
        removed = channels.remove(session, runtime.secret_box(), team, channel_id, actor="cli")
    click.echo(f"channel {removed['id']} ({removed['name']}) removed")


@channel_cli.command("test")
@click.option("--team", "team_name", required=True)
@click.argument("channel_id", type=int)
@reports_errors
def channel_test_command(team_name: str, channel_id: int) -> None:
    """Post a test message to a channel now; exits non-zero when Discord does not take it."""
    db = get_db()
    with db.session() as session:
        team_id = teams.team_by_name(session, team_name).id
    with httpx.Client() as client:
        result = channels.send_test(db, runtime.secret_box(), client, team_id, channel_id, actor="cli")
    if not result["sent"]:
        raise click.ClickException(f"Discord did not take the test message: {result['error']}")
    click.echo(f"test message sent to channel {result['id']} ({result['name']})")
