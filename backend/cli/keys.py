"""`keys rotate`: move every secret at rest to a new encryption key."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from backend import runtime
from backend.cli.common import reports_errors
from backend.services import keys

keys_cli = AppGroup("keys", help="Encryption keys for secrets at rest.")


@keys_cli.command("rotate")
@reports_errors
def keys_rotate_command() -> None:
    """Re-encrypt every secret under ORDERDECK_ENCRYPTION_KEY (the old key in ORDERDECK_OLD_ENCRYPTION_KEY)."""
    if not runtime.config().ORDERDECK_OLD_ENCRYPTION_KEY:
        click.echo("note: ORDERDECK_OLD_ENCRYPTION_KEY is not set; secrets are re-sealed under the same key", err=True)
    report = keys.rotate(runtime.database(), runtime.secret_box())
    for column, count in sorted(report.resealed.items()):
        click.echo(f"{column}: {count} re-encrypted")
    click.echo(f"{report.total} secrets now sealed under the current key; retire the old one")
