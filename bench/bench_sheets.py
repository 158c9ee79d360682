"""Sheets pushes for a 5,000-order shop: OrderDeck's diffed batchUpdate against two common alternatives.

All three run against the same local Sheets/Drive sandbox through google-api-python-client, with the
same rows (the `sla_watch` profile) and the same three cases: the first fill, a push after 20 orders
changed, and a push with nothing changed. Requests and bytes are counted by the sandbox's request log;
"quota minutes" is what the writes cost at Google's 60 write requests per minute per user.

    .venv/bin/python bench/bench_sheets.py [ORDERS]
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as a plain script

from sqlalchemy import select

from backend import create_app
from backend.config import config_for_tests
from backend.domain.columns import Formula
from backend.domain.profiles import Row, project
from backend.models import Order, Shop
from backend.sandbox.sheets import GoogleSandboxes, QuotaLimits, start_google
from backend.services import bindings
from backend.services.ingest import mark_bindings_dirty
from backend.services.sheet_refresh import Pusher
from backend.services.views import order_views
from backend.sheets.google import clients, writer_for
from tests import factories

ORDERS = 5_000
CHANGED = 20
WRITER = "orderdeck-writer@orderdeck-sandbox.iam.gserviceaccount.com"
ADMIN = "owner@seller.example"
TAB = "Ship next"


def _plain(cell: Any) -> Any:
    if isinstance(cell, Formula):
        return cell.text
    if isinstance(cell, Decimal):
        return float(cell)
    return "" if cell is None else cell


def _measure(google: GoogleSandboxes, action: Callable[[], None]) -> dict[str, Any]:
    start = len(google.sheets.log)
    began = time.perf_counter()
    action()
    seconds = time.perf_counter() - began
    calls = google.sheets.log[start:]  # Sheets and Drive calls alike
    writes = [c for c in calls if c.method != "GET"]
    return {
        "requests": len(calls),
        "writes": len(writes),
        "reads": len(calls) - len(writes),
        "bytes": sum(c.body_size for c in calls),
        "seconds": round(seconds, 3),
        "quota_minutes": round(len(writes) / 60, 2),
    }


class PerRowScript:
    """A typical gspread script: read the key column, then one values.update per changed row (append new)."""

    def __init__(self, sheets: Any, file_id: str) -> None:
        self.sheets, self.file_id, self.written = sheets, file_id, dict[str, tuple[Any, ...]]()

    def push(self, rows: Sequence[Row]) -> None:
        keys = (
            self.sheets.spreadsheets()
            .values()
            .get(spreadsheetId=self.file_id, range=f"'{TAB}'!A:A", majorDimension="COLUMNS")
            .execute()
            .get("values", [[]])[0]
        )
        where = {k: i + 1 for i, k in enumerate(keys)}
        next_row = len(keys) + 1
        for row in rows:
            values = tuple(_plain(c) for c in row.cells)
            if self.written.get(row.key) == values:
                continue
            at = where.get(row.key)
            if at is None:
                at, next_row = next_row, next_row + 1
            self.sheets.spreadsheets().values().update(
                spreadsheetId=self.file_id,
                range=f"'{TAB}'!A{at}",
                valueInputOption="USER_ENTERED",
                body={"values": [list(values)]},
            ).execute()
            self.written[row.key] = values


class FullRewrite:
    """Clear the tab and write every row again on each push (values.clear + values.update)."""

    def __init__(self, sheets: Any, file_id: str, headers: Sequence[str]) -> None:
        self.sheets, self.file_id, self.headers = sheets, file_id, list(headers)

    def push(self, rows: Sequence[Row]) -> None:
        values = self.sheets.spreadsheets().values()
        values.clear(spreadsheetId=self.file_id, range=f"'{TAB}'", body={}).execute()
        body = {"values": [self.headers, *[[_plain(c) for c in r.cells] for r in rows]]}
        values.update(
            spreadsheetId=self.file_id, range=f"'{TAB}'!A1", valueInputOption="USER_ENTERED", body=body
        ).execute()


def run(orders: int = ORDERS) -> dict[str, object]:
    google = start_google(quota_limits=QuotaLimits(10**9, 10**9, 10**9, 10**9))  # alternatives would 429 at 60/min
    try:
        with tempfile.TemporaryDirectory() as tmp:
            return _run(google, Path(tmp), orders)
    finally:
        google.stop()


def _new_file(google: GoogleSandboxes, rows: int, columns: int) -> str:
    ss = google.sheets.create_spreadsheet(ADMIN, "Bench", sheets=[TAB], time_zone="Asia/Bangkok")
    google.sheets.share(ss.id, "writer", email=WRITER)
    sheet = ss.sheets[0]
    sheet.grid.update({"rowCount": rows, "columnCount": columns})
    return ss.id


def _run(google: GoogleSandboxes, tmp: Path, orders: int) -> dict[str, object]:
    key = google.identity.write_service_account_key(tmp / "sa.json", WRITER)
    config = config_for_tests(
        f"sqlite:///{tmp / 'bench.db'}",
        SHEETS_API_ENDPOINT=google.sheets.sheets_endpoint,
        DRIVE_API_ENDPOINT=google.sheets.drive_endpoint,
        GOOGLE_APPLICATION_CREDENTIALS=str(key),
    )
    app = create_app(config)
    db = app.extensions["orderdeck.db"]
    db.migrate()
    with app.app_context(), db.session() as session:
        team = factories.team(session, "Bench", admin=ADMIN)
        shop = factories.shop(session, team)
        for n in range(orders):
            factories.order(session, shop, skus=((f"SKU-{n % 300}", 1 + n % 3, Decimal("9.90")),), package=None)
        ours = google.sheets.create_spreadsheet(ADMIN, "OrderDeck", time_zone="Asia/Bangkok").id
        google.sheets.share(ours, "writer", email=WRITER)
        binding = bindings.bind(session, team, ours, TAB, "sla_watch")
        spreadsheet_id, binding_id, team_id, shop_id = binding.spreadsheet_id, binding.id, team.id, shop.id
    pusher = Pusher(db, config, app.extensions["orderdeck.secrets"], sharing_ttl=600)
    profile = bindings.builtin_profiles()["sla_watch"]

    def current_rows() -> list[Row]:
        with app.app_context(), db.session() as session:
            shops = list(session.scalars(select(Shop).where(Shop.id == shop_id)))
            return project(profile, order_views(session, shops), now=factories.NOW, sheet_zone="Asia/Bangkok")

    def change_orders() -> None:
        with app.app_context(), db.session() as session:
            picked = session.scalars(select(Order).where(Order.shop_id == shop_id).order_by(Order.id).limit(CHANGED))
            for order in picked:
                order.is_on_hold = not order.is_on_hold
            mark_bindings_dirty(session, team_id, shop_id)

    results: dict[str, dict[str, Any]] = {}

    def push() -> None:
        pusher.push_spreadsheet(spreadsheet_id, [binding_id])

    results["orderdeck first push"] = _measure(google, push)
    change_orders()
    results["orderdeck 20 changed"] = _measure(google, push)
    results["orderdeck nothing changed"] = _measure(google, push)

    with app.app_context(), db.session() as session:
        service = clients(config, writer_for(session, team_id, config, app.extensions["orderdeck.secrets"])).sheets
    width = len(profile.columns)
    rows = current_rows()
    per_row = PerRowScript(service, _new_file(google, orders + 10, width))
    rewrite = FullRewrite(service, _new_file(google, orders + 10, width), profile.headers)
    results["per-row first push"] = _measure(google, lambda: per_row.push(rows))
    results["rewrite first push"] = _measure(google, lambda: rewrite.push(rows))
    change_orders()
    rows = current_rows()
    results["per-row 20 changed"] = _measure(google, lambda: per_row.push(rows))
    results["rewrite 20 changed"] = _measure(google, lambda: rewrite.push(rows))
    results["per-row nothing changed"] = _measure(google, lambda: per_row.push(rows))
    results["rewrite nothing changed"] = _measure(google, lambda: rewrite.push(rows))
    db.dispose()
    return {"orders": orders, "rows": len(rows), "cases": results}


def main() -> None:
    orders = int(sys.argv[1]) if len(sys.argv) > 1 else ORDERS
    figures = run(orders)
    cases = figures["cases"]
    assert isinstance(cases, dict)
    print(f"Sheets push, {figures['orders']} orders ({figures['rows']} rows, profile sla_watch), local sandbox")
    print(f"{'case':28} {'requests':>8} {'writes':>7} {'reads':>6} {'bytes sent':>12} {'seconds':>8} {'quota min':>9}")
    for name, c in cases.items():
        print(
            f"{name:28} {c['requests']:>8} {c['writes']:>7} {c['reads']:>6} {c['bytes']:>12,} "
            f"{c['seconds']:>8} {c['quota_minutes']:>9}"
        )


if __name__ == "__main__":
    main()
