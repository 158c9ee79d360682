"""Connecting shops and syncing their orders from the command line."""

from __future__ import annotations

import sys
from collections.abc import Callable

import click
from flask.cli import AppGroup
from sqlalchemy import ColumnElement, func, select

from backend import runtime
from backend.cli.common import reports_errors
from backend.db import Database
from backend.errors import OrderDeckError
from backend.models import Shop, ShopStatus
from backend.platforms import registry
from backend.platforms.base import ConsentReturn
from backend.services import finance, health, leases, shop_round, shops, sync, teams
from backend.services.shops import Platform

shop_cli = AppGroup("shop", help="Shops on every sales channel.")


@shop_cli.command("connect")
@click.option(
    "--platform",
    "platform_name",
    type=click.Choice(registry.names()),
    default=registry.DEFAULT,
    show_default=True,
    help="The sales channel whose consent page gave the code.",
)
@click.option("--team", "team_name", required=True)
@click.option("--auth-code", required=True, help="The code the platform's consent page redirected with.")
@click.option("--shop-id", default="", help="Shopee: the shop_id the consent redirect named (a shop account).")
@click.option(
    "--main-account-id", default="", help="Shopee: the main_account_id the redirect named (cross-border sellers)."
)
@reports_errors
def shop_connect_command(
    platform_name: str, team_name: str, auth_code: str, shop_id: str, main_account_id: str
) -> None:
    """Exchange a platform's auth code, store its tokens sealed, and record every shop it authorizes."""
    db = runtime.database()
    with db.session() as session:
        team_id = teams.team_by_name(session, team_name).id
    consent = ConsentReturn(auth_code.strip(), shop_id.strip(), main_account_id.strip())
    for shop in shops.connect(db, runtime.platform(), team_id, consent, name=platform_name):
        click.echo(f"connected {shop.name} ({shop.region}, {shop.currency}, {shop.time_zone}) as shop {shop.id}")


def shop_ids(shop: str | None) -> list[int]:
    """Every active shop of every platform, or the one named by database id or platform shop id."""
    where: ColumnElement[bool] = Shop.status == ShopStatus.ACTIVE
    if shop:
        as_id = int(shop) if shop.isdigit() and len(shop) < 10 else -1
        where = (Shop.external_id == shop) | (Shop.id == as_id)
    with runtime.database().session() as session:
        ids = list(session.scalars(select(Shop.id).where(where).order_by(Shop.id)))
        waiting = session.scalar(select(func.count()).select_from(Shop)) or 0
    if shop and not ids:
        raise click.ClickException(f"no shop {shop!r}")
    if not ids and waiting:
        raise click.ClickException(f"no shop can be synced: {waiting} need re-authorization (see shop status)")
    if not ids:
        raise click.ClickException(
            "no shop is connected yet: connect one with flask --app backend shop connect, or from the sidebar"
        )
    return ids


@click.command("sync")
@click.option("--shop", default=None, help="A shop's id (or platform shop id); default: every active shop.")
@click.option("--full", is_flag=True, help="Read every order and after-sales case again, not just what changed.")
@click.option("--settle", is_flag=True, help="Also walk the finance statements: settled profit, without the worker.")
@reports_errors
def sync_command(shop: str | None, full: bool, settle: bool) -> None:
    """Bring orders and after-sales cases up to date and say what changed."""
    db, platform = runtime.database(), runtime.platform()
    failed = False
    for shop_id in shop_ids(shop):
        if sys.stdout.isatty():
            with click.progressbar(length=1, label=f"shop {shop_id}", show_pos=True) as bar:

                def advance(progress: sync.SyncProgress) -> None:
                    bar.length = max(progress.total, progress.seen, 1)
                    bar.update(progress.seen - bar.pos)

                report = _sync_one(db, platform, shop_id, full, advance)
        else:
            report = _sync_one(db, platform, shop_id, full, None)
        if report is None or report.sync is None:
            failed = True
            continue
        click.echo(f"shop {shop_id}: {report.sync.summary()}")
        if report.after_sales is not None:
            click.echo(f"shop {shop_id}: {report.after_sales.summary()}")
        click.echo(f"shop {shop_id}: stock counts refreshed for {report.stock_skus} SKUs")
        if settle and not _settle_one(db, platform, shop_id):
            failed = True
    if failed:
        raise click.ClickException("some shops were not synced (see above)")


def _sync_one(
    db: Database, platform: Platform, shop_id: int, full: bool, on_page: Callable[[sync.SyncProgress], None] | None
) -> shop_round.RoundReport | None:
    """One round for the shop (see shop_round); a shop that fails says why on one line and the others go on."""
    try:
        return shop_round.run(db, platform, shop_id, full=full, settle=False, on_page=on_page)
    except leases.LeaseHeld as exc:
        click.echo(f"shop {shop_id}: skipped, {exc.message}", err=True)
    except OrderDeckError as exc:
        click.echo(f"shop {shop_id}: not synced, {exc}", err=True)
    return None


def _settle_one(db: Database, platform: Platform, shop_id: int) -> bool:
    """Walk the shop's statements from where the last walk ended; says what settled, or why not, on one line."""
    try:
        walk = finance.settle(db, platform, shop_id)
    except OrderDeckError as exc:
        click.echo(f"shop {shop_id}: not settled, {exc.message}", err=True)
        return False
    line = (
        f"shop {shop_id}: {walk.statements} statement(s), {len(walk.orders_settled)} order(s) settled, "
        f"{walk.adjustments} adjustment(s)"
    )
    if walk.unknown_orders:
        line += f"; {len(walk.unknown_orders)} order(s) not synced yet (the next sync brings them)"
    if walk.mismatches:
        line += f"; lines do not add up to the platform's amount for {', '.join(sorted(walk.mismatches))}"
    click.echo(line)
    return True


@shop_cli.command("status")
@click.option("--team", "team_name", required=True)
@reports_errors
def shop_status_command(team_name: str) -> None:
    """Sync health per shop: last sync, lag, orders the webhooks missed, failed payloads (last 7 days)."""
    with runtime.database().session() as session:
        rows = health.team_health(session, teams.team_by_name(session, team_name).id)
    if not rows:
        click.echo(f"team {team_name!r} has no shops; connect one with `shop connect`")
    for row in rows:
        lag = f"{row.lag_seconds // 60} min ago" if row.lag_seconds is not None else "never"
        state = "ok" if not row.needs_reauthorization else f"{row.status}: {row.status_reason}"
        if row.after_sales_problem:
            state += f" ({row.after_sales_problem})"
        click.echo(
            f"{row.name} ({row.platform}, {row.region}) — {state}; last sync {lag}; webhooks {row.webhooks_7d}, "
            f"missed by webhook {row.missed_by_webhook_7d}, failed payloads {row.failed_items_7d}"
        )
        if row.last_failure:
            click.echo(f"  last failed payload: {row.last_failure}")
