"""`flask --app backend …` commands (the contract in DESIGN.md), one module per area.

Each command parses its arguments and calls one service; `COMMANDS` is the whole command map.
"""

from __future__ import annotations

import click
from flask import Flask

from backend.cli import (
    after_sales,
    costs,
    csv_import,
    demo,
    fx,
    keys,
    limits,
    notify,
    purchases,
    setup,
    sheets,
    shops,
    worker,
)
from backend.cli.common import reports_errors
from backend.errors import NotBuiltYet

COMMANDS: list[click.Command] = [
    setup.init_db_command,
    setup.team_cli,
    setup.member_cli,
    shops.shop_cli,
    shops.sync_command,
    worker.worker_command,
    costs.costs_cli,
    fx.fx_cli,
    purchases.purchases_cli,
    csv_import.import_csv_command,
    sheets.sheet_cli,
    keys.keys_cli,
    notify.notify_cli,
    limits.limits_cli,
    demo.demo_command,
    after_sales.after_sales_cli,
]

# DESIGN.md commands whose issues have not landed yet, with the issue that builds each.
NOT_BUILT: dict[str, int] = {}


def not_built(name: str, issue: int) -> click.Command:
    """A command whose issue has not landed: says so and exits non-zero."""

    @click.command(name, context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
    @reports_errors
    def command() -> None:
        raise NotBuiltYet(f"`{name}` is not built yet (issue {issue})")

    command.help = f"Not built yet (issue {issue})."
    return command


def init_app(app: Flask) -> None:
    for cmd in COMMANDS:
        app.cli.add_command(cmd)
    built = {cmd.name for cmd in COMMANDS}
    for name, issue in NOT_BUILT.items():
        if name not in built:
            app.cli.add_command(not_built(name, issue))
