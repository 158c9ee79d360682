"""Importing a Seller Center order export from the command line."""

from __future__ import annotations

from pathlib import Path

import click

from backend import runtime
from backend.cli.common import reports_errors
from backend.cli.shops import shop_ids
from backend.services import csv_import


@click.command("import-csv")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path))
@click.option("--shop", required=True, help="The shop's id (or its platform shop id).")
@reports_errors
def import_csv_command(file: Path, shop: str) -> None:
    """Import an order export (TikTok Seller Center CSV, Shopee Seller Centre .xlsx); bad rows are listed."""
    ids = shop_ids(shop)
    if len(ids) > 1:
        raise click.ClickException(f"{shop!r} names more than one shop; use the shop's database id")
    report = csv_import.import_orders(runtime.database(), ids[0], file)
    click.echo(f"shop {report.shop_id}: {report.summary()}")
    for error in report.bad_rows:
        click.echo(f"line {error.line}: {error.message}")
