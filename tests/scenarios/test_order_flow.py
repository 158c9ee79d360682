"""One order's way through, end to end over real local servers.

TikTok Shop sandbox → webhook → backend (HTTP) → ingest → dirty binding → push → Google Sheets
sandbox, driven only by what production uses: the consent exchange, signed webhooks, the /tasks
routes with their shared secret, and the real Google clients.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from backend.db import Database
from backend.models import Order
from backend.sandbox.server import RunningServer
from backend.sandbox.sheets import GoogleSandboxes, google_sandboxes
from backend.sandbox.tiktok_shop import TikTokShopSandbox
from backend.services import bindings, teams
from tests.conftest import Live, serve_backend

WRITER = "orderdeck@acme-sandbox.iam.gserviceaccount.com"
SECRET = "task-secret"
SHEET_STATUSES = {"ON_HOLD", "AWAITING_SHIPMENT", "PARTIALLY_SHIPPING", "AWAITING_COLLECTION"}


@pytest.fixture
def world(
    migrated: Database, tiktok: tuple[TikTokShopSandbox, RunningServer], tmp_path: Path
) -> Iterator[tuple[Live, GoogleSandboxes]]:
    sandbox, server = tiktok
    with google_sandboxes() as google:
        key = google.identity.write_service_account_key(tmp_path / "sa.json", WRITER)
        with serve_backend(
            migrated,
            sandbox,
            server.url,
            TASKS_SECRET=SECRET,
            SHEETS_API_ENDPOINT=google.sheets.sheets_endpoint,
            DRIVE_API_ENDPOINT=google.sheets.drive_endpoint,
            GOOGLE_APPLICATION_CREDENTIALS=str(key),
        ) as live:
            yield live, google


def task(live: Live, path: str) -> dict[str, object]:
    response = httpx.get(f"{live.url}{path}", headers={"X-OrderDeck-Task-Secret": SECRET}, timeout=60)
    assert response.status_code == 200, response.text
    live.drain()
    body = response.json()
    assert isinstance(body, dict)
    return body


def sheet_orders(google: GoogleSandboxes, spreadsheet_id: str, as_user: str) -> dict[str, str]:
    """Order id → status text, as the warehouse member sees the tab."""
    rows = google.sheets.values(spreadsheet_id, "Warehouse!A1:Z", as_user=as_user)
    header = rows[0]
    order_col, status_col = header.index("Order"), header.index("Status")
    return {str(r[order_col]): str(r[status_col]) for r in rows[1:] if len(r) > status_col}


def test_orders_flow_from_tiktok_webhooks_into_the_warehouse_sheet(world: tuple[Live, GoogleSandboxes]) -> None:
    live, google = world
    [shop_id] = live.connect_shop("Acme US", "US", orders=40)
    with live.db.session() as session:
        team = teams.team_by_name(session, "Acme Trading")
        teams.add_member(session, team, "pack@acme.test", "warehouse")
    sheet = google.sheets.create_spreadsheet(
        "founder@acme.test", "Acme warehouse", sheets=["Warehouse"], time_zone="America/Los_Angeles"
    )
    google.sheets.share(sheet.id, "writer", email=WRITER)
    google.sheets.share(sheet.id, "reader", email="pack@acme.test")
    with live.app.app_context(), live.db.session() as session:
        bindings.bind(
            session,
            teams.team_by_name(session, "Acme Trading"),
            sheet.id,
            "Warehouse",
            "sla_watch",
            actor="founder@acme.test",
        )

    task(live, "/tasks/sync-due")  # the cron sweep: syncs the shop (its first sync), then pushes its sheet
    assert_sheet_matches_database(live, google, sheet.id)

    shop_key = next(iter(live.sandbox.shops))
    live.sandbox.add_orders(shop_key, 1)  # one new order: its webhook round pushes the sheet, no sweep needed
    assert live.sandbox.deliver_webhooks() > 0
    live.drain()
    assert_sheet_matches_database(live, google, sheet.id)

    # A burst: every round of events asks for a push; one that finds a push running leaves it to the
    # single trailing push that follows, so the sheet catches up with no sweep at all.
    live.sandbox.add_orders(shop_key, 5)
    live.sandbox.advance(2 * 3600)  # the new orders leave ON_HOLD; older ones ship
    assert live.sandbox.deliver_webhooks() > 0
    live.drain()
    assert_sheet_matches_database(live, google, sheet.id)
    assert task(live, "/tasks/push-due")["push"] == []  # nothing left for the sweep
    assert shop_id


def assert_sheet_matches_database(live: Live, google: GoogleSandboxes, spreadsheet_id: str) -> None:
    with live.db.session() as session:
        wanted = {
            oid: status
            for oid, status in session.execute(select(Order.external_id, Order.status))
            if status in SHEET_STATUSES
        }
        sandbox_now = live.sandbox.now()
        truth = {oid: o.status_at(sandbox_now) for s in live.sandbox.shops.values() for oid, o in s.orders.items()}
    assert wanted == {oid: st for oid, st in truth.items() if st in SHEET_STATUSES}, "database lags TikTok"
    seen = sheet_orders(google, spreadsheet_id, "pack@acme.test")
    assert set(seen) == set(wanted)
