"""After-sales from the command line: the team's refund limits, a cancellation the seller starts, a case's history."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from backend import runtime
from backend.cli.common import reports_errors
from backend.services import teams
from backend.services.after_sales import seller

after_sales_cli = AppGroup("aftersales", help="After-sales: cancellations, returns and refunds.")


@after_sales_cli.command("refund-limit")
@click.option("--team", "team_name", required=True)
@click.argument("currency")
@click.argument("amount", required=False)
@reports_errors
def refund_limit_command(team_name: str, currency: str, amount: str | None) -> None:
    """Refunds above AMOUNT in CURRENCY wait for finance after support approves them (no AMOUNT: no limit)."""
    with runtime.database().session() as session:
        team = teams.team_by_name(session, team_name)
        click.echo(f"team {team.name!r}: {seller.set_refund_limit(session, team, currency, amount, actor='cli')}")


@after_sales_cli.command("cancel")
@click.argument("order_id")
@click.option("--shop", "shop_id", type=int, required=True, help="The shop's OrderDeck id (see `shop status`).")
@click.option("--reason", required=True, help="Why the seller cancels (the platform's cancel reason).")
@click.option("--lines", default="", help="Order line ids to cancel alone (US and UK), comma-separated.")
@reports_errors
def cancel_command(order_id: str, shop_id: int, reason: str, lines: str) -> None:
    """Cancel an order (or some lines) on the platform; prints the refund and the order's new status."""
    line_ids = tuple(i.strip() for i in lines.split(",") if i.strip())
    done = seller.seller_cancel(
        runtime.database(), runtime.platform(), shop_id, order_id, reason=reason, line_ids=line_ids
    )
    refund = f"{done.estimate.currency} {done.estimate.total}" if done.estimate else "unknown"
    click.echo(f"order {order_id}: cancellation {done.case_id or '(no id)'}, refund {refund}, now {done.order_status}")


@after_sales_cli.command("show")
@click.argument("case_id")
@click.option("--team", "team_name", required=True)
@reports_errors
def show_command(case_id: str, team_name: str) -> None:
    """A case's history: statuses and decisions OrderDeck recorded, and the platform's own records."""
    with runtime.database().session() as session:
        team = teams.team_by_name(session, team_name)
    for line in seller.history(runtime.database(), runtime.platform(), team, case_id):
        click.echo(f"{line.at:%Y-%m-%d %H:%M} UTC  {line.who}: {line.what}")
