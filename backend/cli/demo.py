"""`demo`: the whole product on this machine — sandboxes, backend, worker, live traffic and the demo page."""

from __future__ import annotations

import logging
import sys
import time
from typing import TYPE_CHECKING

import click

from backend import i18n
from backend.cli.common import reports_errors, stop_on_signals
from backend.cli.setup import LANGUAGE
from backend.config import INSTANCE_DIR, PROJECT_ROOT
from backend.errors import InvalidInput

if TYPE_CHECKING:
    from backend.demo.world import StatePaths

STATE_DIR = INSTANCE_DIR / "demo"
DEFAULT_PORT = 8400
TOUR = """\
A short tour:
  1. The page opens on the warehouse spreadsheet as Wang (3PL warehouse): what to ship next, most urgent
     first, with a live countdown; shaded cells are protected; no prices, costs or profit.
  2. Pick Felix (finance) and the Finance sheet: a ledger of revenue, fees, COGS and net profit per order,
     and its other tabs (the monthly chart). Pick Wang again on the Finance sheet: Google refuses him.
     Priya (procurement) types stock counts in the Procurement sheet, SKUs short of stock first.
  3. The sidebar on the right is the real add-on (appsscript/Sidebar.html), calling the backend as the
     member you picked: try "Sync now"; as Ada (admin) connect a shop, add a member or create a sheet.
  4. New orders arrive every few seconds by signed TikTok webhooks and Shopee pushes (Demo MY sells on
     Shopee, the Platform column says so): rows appear and statuses move on within a push (about
     10 s). Discord messages from the SLA sweeps show at the bottom.
"""


def _logging(log_file: str) -> None:
    """Warnings on the terminal, everything (every sandbox request, every task) in the log file."""
    root = logging.getLogger()
    for handler in root.handlers:
        handler.setLevel(logging.WARNING)
    to_file = logging.FileHandler(log_file, encoding="utf-8")
    to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(to_file)
    root.setLevel(logging.INFO)


def _choose(mode: str | None, paths: StatePaths) -> bool:
    """True to resume: as asked, else ask on a terminal, else resume whatever can be resumed."""
    if mode is not None:
        return mode == "resume"
    if not paths.resumable():
        if paths.exists():
            click.echo("demo: the last run did not stop cleanly, so it cannot be resumed: starting fresh.")
        return False
    if sys.stdin.isatty():
        answer = click.prompt(
            f"A demo is saved in {paths.root}. Resume it, or start fresh?",
            type=click.Choice(["resume", "fresh"]),
            default="resume",
        )
        return bool(answer == "resume")
    return True


@click.command("demo")
@click.option("--fresh", "mode", flag_value="fresh", help="Forget the saved demo and seed a new one.")
@click.option("--resume", "mode", flag_value="resume", help="Carry on with the demo saved in instance/demo.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, help="Port of the demo page on 127.0.0.1.")
@click.option("--language", type=LANGUAGE, default=i18n.DEFAULT, show_default=True,
              help="The demo team's language when seeded fresh: sheets, sidebar, Discord and the page.")  # fmt: skip
@reports_errors
def demo_command(mode: str | None, port: int, language: str) -> None:
    """Start the sandboxes and the backend on SQLite, with sample shops, sheets and live order traffic."""
    # Imported here: every other command, and gunicorn, load backend.cli without the sandboxes.
    from backend.demo import world as demo  # noqa: PLC0415

    paths = demo.StatePaths(STATE_DIR)
    resume = _choose(mode, paths)
    paths.root.mkdir(parents=True, exist_ok=True)
    _logging(str(paths.root / "demo.log"))
    stop = stop_on_signals("\ndemo: {signal}, stopping…")
    click.echo(("demo: resuming" if resume else "demo: seeding a fresh demo") + f" in {paths.root} …")
    new_key = not paths.key.exists()
    started = time.monotonic()
    try:
        world = demo.start(STATE_DIR, resume=resume, page_port=port, language=language)
    except OSError as exc:
        raise InvalidInput(f"cannot listen on 127.0.0.1:{port} ({exc.strerror}): pass a free --port") from None
    took = time.monotonic() - started
    key_note = "generated a new one" if new_key else "kept from the last run"
    click.echo(
        f"\nOrderDeck demo is running: {world.url}/   (ready in {took:.1f} s)\n\n"
        f"  backend        {world.backend_server.url}  (PUBLIC_BASE_URL; webhooks, /addon, /tasks)\n"
        f"  TikTok Shop    {world.tiktok_server.url}  (sandbox: 2 shops, orders moving)\n"
        f"  Shopee         {world.shopee_server.url}  (sandbox: 1 shop, orders moving)\n"
        f"  Google         {world.google.sheets_server.url}  (Sheets/Drive sandbox), "
        f"{world.google.identity_server.url}  (sign-in)\n"
        f"  Discord        {world.discord_server.url}\n"
        f"  database       {paths.database}  (SQLite)\n"
        f"  encryption key {paths.key}  (the demo's own Fernet key: {key_note})\n"
        f"  log            {paths.root / 'demo.log'}\n"
        f"  command line   . {paths.cli_env.relative_to(PROJECT_ROOT)}  (in another terminal, then e.g. "
        'flask --app backend shop status --team "Demo Trading")\n\n'
        f"{TOUR}\n"
        "Ctrl-C stops everything; the next `make demo` offers to resume this demo or start fresh.\n"
    )
    stop.wait()
    world.stop()
    click.echo("demo: stopped (state saved for --resume)")
