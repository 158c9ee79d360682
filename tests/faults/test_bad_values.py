"""One bad value blocks nothing (issue 14, class 5), attacked over HTTP against the running backend.

A 60,000-character buyer message, a tab that would pass the 10 million cells of a spreadsheet, a row
holding a number no cell can hold, TikTok text longer than its column, and export cells longer than
theirs: each is cut with a marker or refused alone, and everything around it goes through. Run on
PostgreSQL too (DATABASE_URL), where a too-long value used to fail its whole batch.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import Result
from sqlalchemy import select
from sqlalchemy.engine import make_url

from backend.db import Database
from backend.domain.lists import TITLE as LISTS_TAB
from backend.domain.sheet_plan import MAX_CELLS
from backend.models import FailedItem, Order, OrderLine, SheetBinding, Shop, SyncRun, Team
from backend.platforms.tiktok.seller_center import parse_export
from backend.sandbox.server import RunningServer
from backend.sandbox.sheets import GoogleSandboxes
from backend.sandbox.tiktok.render import recipient
from backend.sandbox.tiktok.world import Order as SandboxOrder
from backend.sandbox.tiktok_shop import TikTokShopSandbox
from backend.services import bindings
from backend.services.ingest import ingest_orders
from tests import factories
from tests.api.conftest import AUDIENCE, WRITER
from tests.conftest import Live, serve_backend

ADMIN = "founder@acme.test"  # the team serve_backend makes
SUPPORT = "cs@acme.test"
PACKER = "packer@acme.test"
SECRET = "bad-values-task-secret"
MARKER = " … [cut: {:,} characters]"
US_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "seller_center" / "us_orders.csv"


@pytest.fixture
def served(
    migrated: Database, tiktok: tuple[TikTokShopSandbox, RunningServer], google: GoogleSandboxes, tmp_path: Path
) -> Iterator[Live]:
    """The backend over HTTP against the TikTok and Google sandboxes, writing as a service account."""
    sandbox, server = tiktok
    key = google.identity.write_service_account_key(tmp_path / "sa.json", WRITER)
    google.sheets.quotas.reset()
    settings = {**google.settings(), "GOOGLE_APPLICATION_CREDENTIALS": str(key), "TASKS_SECRET": SECRET}
    with serve_backend(migrated, sandbox, server.url, **settings) as live:
        with live.db.session() as session:
            team = session.get_one(Team, live.team_id)
            factories.member(session, team, SUPPORT, "support")
            factories.member(session, team, PACKER, "warehouse")
        yield live


def task(live: Live, path: str) -> dict[str, Any]:
    response = httpx.post(f"{live.url}{path}", headers={"X-OrderDeck-Task-Secret": SECRET}, timeout=120)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def cli(live: Live, args: list[str]) -> Result:
    """A `flask --app backend …` command against the served backend's database."""
    with live.app.app_context():
        return live.app.test_cli_runner().invoke(args=args)


def sandbox_shop_orders(live: Live, shop_id: int) -> list[SandboxOrder]:
    with live.db.session() as session:
        external = session.get_one(Shop, shop_id).external_id
    return list(live.sandbox.shops[external].orders.values())


def shared_file(google: GoogleSandboxes, *people: tuple[str, str], tabs: list[str] | None = None) -> str:
    sheet = google.sheets.create_spreadsheet(ADMIN, "Orders", sheets=tabs)
    google.sheets.share(sheet.id, "writer", email=WRITER)
    for email, role in people:
        google.sheets.share(sheet.id, role, email=email)
    return sheet.id


def bind(live: Live, file_id: str, tab: str, profile: str) -> int:
    with live.db.session() as session:
        team = session.get_one(Team, live.team_id)
        return bindings.bind(session, team, file_id, tab, profile).id


def test_a_60000_character_buyer_message_reaches_the_sheet_cut_with_a_marker_and_the_rest_is_written(
    served: Live, google: GoogleSandboxes
) -> None:
    [shop_id] = served.connect_shop(orders=12)
    chatty = sandbox_shop_orders(served, shop_id)[3]
    message = "Please call before delivery. " * 2_069 + "Thanks"  # 60,007 characters
    chatty.buyer_message = message
    sync = task(served, f"/tasks/sync-shop/{shop_id}")
    assert "failed 0" in sync["sync"], sync
    file_id = shared_file(google, (SUPPORT, "writer"))
    binding_id = bind(served, file_id, "Service", "customer_service")

    pushed = task(served, f"/tasks/push-binding/{binding_id}")["result"]

    [tab] = pushed["tabs"]
    assert tab["skipped"] is None and tab["cut"] == 1 and tab["unwritten"] == []
    with served.db.session() as session:
        stored = session.scalar(select(Order.buyer_message).where(Order.external_id == chatty.order_id))
        count = len(session.scalars(select(Order.id).where(Order.shop_id == shop_id)).all())
    assert stored == message  # the database keeps every character; only the cell is cut
    rows = google.sheets.values(file_id, "Service")
    assert len(rows) == 1 + count  # every order reached the tab
    column = bindings.builtin_profiles()["customer_service"].index_of("buyer_message")
    [cell] = [row[column] for row in rows[1:] if row[0] == chatty.order_id]
    assert cell.endswith(MARKER.format(len(message))) and len(cell) <= 50_000
    assert message.startswith(cell.removesuffix(MARKER.format(len(message))))
    status = httpx.get(
        f"{served.url}/addon/status",
        params={"spreadsheet_id": file_id},
        headers={"Authorization": f"Bearer {google.identity.mint_id_token(AUDIENCE, ADMIN)}"},
    ).json()
    assert [b["last_push_error"] for b in status["spreadsheet"]["bindings"]] == [None]


def near_full_file(served: Live, google: GoogleSandboxes) -> tuple[str, dict[str, int], str, str]:
    """A spreadsheet near Google's 10 million cells with two tabs bound, room for the small one and half the
    big one: its id, the bindings by tab, and the small and the big tab."""
    [shop_id] = served.connect_shop(orders=30)
    task(served, f"/tasks/sync-shop/{shop_id}")
    # How many cells each tab takes, measured in a spreadsheet with room to spare.
    probe = shared_file(google, (PACKER, "writer"))
    tabs = (("Ship next", "sla_watch"), ("Pick", "pick_list"))
    sizes = {}
    for tab, profile in tabs:
        task(served, f"/tasks/push-binding/{bind(served, probe, tab, profile)}")
        grid = google.sheets.spreadsheets[probe].sheet_by_title(tab)
        assert grid is not None
        sizes[tab] = grid.row_count * grid.column_count
    small, big = sorted(sizes, key=sizes.__getitem__)
    assert sizes[big] > sizes[small]
    listed = google.sheets.spreadsheets[probe].sheet_by_title(LISTS_TAB)  # the carrier dropdowns' choices
    lists = listed.row_count * listed.column_count if listed else 0
    # A spreadsheet already near the limit: room for the small tab (with its lists) and half the big one.
    file_id = shared_file(google, (PACKER, "writer"), tabs=["Archive"])
    archive = google.sheets.spreadsheets[file_id].sheet_by_title("Archive")
    assert archive is not None
    archive.grid["rowCount"], archive.grid["columnCount"] = MAX_CELLS - lists - sizes[small] - sizes[big] // 2, 1
    tabs = (("Ship next", "sla_watch"), ("Pick", "pick_list"))
    ids = {tab: bind(served, file_id, tab, profile) for tab, profile in tabs}
    return file_id, ids, small, big


def sidebar_errors(served: Live, google: GoogleSandboxes, file_id: str) -> dict[str, str | None]:
    """Each bound tab's problem as the sidebar's health shows it."""
    token = google.identity.mint_id_token(AUDIENCE, ADMIN)
    status = httpx.get(
        f"{served.url}/addon/status", params={"spreadsheet_id": file_id}, headers={"Authorization": f"Bearer {token}"}
    ).json()
    return {b["tab"]: b["last_push_error"] for b in status["spreadsheet"]["bindings"]}


def test_a_tab_that_would_pass_ten_million_cells_is_refused_by_name_and_the_other_tab_is_written(
    served: Live, google: GoogleSandboxes
) -> None:
    file_id, ids, small, big = near_full_file(served, google)

    pushed = task(served, f"/tasks/push-binding/{ids[small]}")["result"]

    by_tab = {t["tab"]: t for t in pushed["tabs"]}
    assert by_tab[small]["skipped"] is None and by_tab[small]["added"] > 0
    refusal = by_tab[big]["skipped"]
    assert refusal.startswith(f"tab {big!r} was not written") and "10,000,000" in refusal
    assert google.sheets.spreadsheets[file_id].sheet_by_title(big) is None
    assert len(google.sheets.values(file_id, f"'{small}'")) > 1
    assert sidebar_errors(served, google, file_id) == {small: None, big: refusal}


def test_a_tab_refused_as_too_big_is_not_tried_again_by_every_sweep_until_what_decides_its_size_changes(
    served: Live, google: GoogleSandboxes
) -> None:
    file_id, ids, small, big = near_full_file(served, google)
    refusal = {t["tab"]: t for t in task(served, f"/tasks/push-binding/{ids[small]}")["result"]["tabs"]}[big]["skipped"]
    served.app.extensions["orderdeck.tasks"].drain()
    asked = len(google.sheets.log)

    # Sweep after sweep finds nothing to do: no push is asked for, and Google is not asked anything.
    for _ in range(3):
        assert task(served, "/tasks/push-due")["push"] == []
    again = task(served, f"/tasks/push-binding/{ids[big]}")["result"]
    assert again == {"skipped": "nothing changed since the last push"}
    served.app.extensions["orderdeck.tasks"].drain()
    assert len(google.sheets.log) == asked
    # The sidebar still says why the tab is empty and what to do.
    assert sidebar_errors(served, google, file_id) == {small: None, big: refusal}
    assert "narrow the profile's age window or move the tab to another spreadsheet" in refusal

    # The team makes room (a tab of the file emptied by hand), which OrderDeck cannot see: an hour on, the
    # refusal is looked at again, and the tab is written.
    archive = google.sheets.spreadsheets[file_id].sheet_by_title("Archive")
    assert archive is not None
    archive.grid["rowCount"] = 1
    with served.db.session() as session:
        binding = session.get_one(SheetBinding, ids[big])
        assert binding.refused_at is not None
        binding.refused_at -= timedelta(hours=1)
    assert task(served, "/tasks/push-due")["push"] == [min(ids.values())]  # the spreadsheet's task (its first tab)
    served.app.extensions["orderdeck.tasks"].drain()
    assert google.sheets.spreadsheets[file_id].sheet_by_title(big) is not None
    assert sidebar_errors(served, google, file_id) == {small: None, big: None}


def test_a_tab_refused_as_too_big_is_tried_again_at_once_when_its_profile_or_binding_changes(
    served: Live, google: GoogleSandboxes
) -> None:
    file_id, ids, small, big = near_full_file(served, google)
    task(served, f"/tasks/push-binding/{ids[small]}")
    served.app.extensions["orderdeck.tasks"].drain()
    assert task(served, "/tasks/push-due")["push"] == []

    # Bound again to a narrower profile (the customer-service tab is far narrower than the pick list):
    # what decided the refusal changed, so the next push tries the tab again, and it fits.
    archive = google.sheets.spreadsheets[file_id].sheet_by_title("Archive")
    assert archive is not None
    archive.grid["rowCount"] //= 2
    bind(served, file_id, big, "customer_service")
    pushed = task(served, f"/tasks/push-binding/{ids[small]}")["result"]
    [tab] = [t for t in pushed["tabs"] if t["tab"] == big]
    assert tab["skipped"] is None and tab["added"] > 0
    assert sidebar_errors(served, google, file_id) == {small: None, big: None}


def test_a_row_holding_a_number_no_cell_can_hold_is_reported_and_the_other_rows_are_written(
    served: Live, google: GoogleSandboxes
) -> None:
    if make_url(served.db.url).get_backend_name() == "postgresql":
        pytest.skip("PostgreSQL's NUMERIC(18,4) refuses such an amount at the door; SQLite keeps exact decimal text")
    with served.db.session() as session:
        team = session.get_one(Team, served.team_id)
        shop = factories.shop(session, team)
        fine = [factories.order(session, shop, total_amount=Decimal("19.90")) for _ in range(3)]
        huge = factories.order(session, shop, total_amount=Decimal("1e400"))  # a double cannot hold it
        keys = {o.external_id for o in fine}
    file_id = shared_file(google, (SUPPORT, "writer"))
    binding_id = bind(served, file_id, "Service", "customer_service")
    # customer_service shows no money: a custom tab of the sales the support role may see
    with served.db.session() as session:
        team = session.get_one(Team, served.team_id)
        bindings.define_profile(
            session,
            team,
            {"key": "cs_totals", "audience_role": "support", "grain": "order", "columns": ["order_id", "total_amount"]},
            ADMIN,
        )
        session.get_one(SheetBinding, binding_id).profile_key = "cs_totals"

    result = cli(served, ["sheet", "push", "--spreadsheet", file_id])

    assert result.exit_code == 1
    assert f"'Service': row {huge.external_id} was not written: Order total: " in result.stderr
    assert "+3 ~0 -0" in result.stdout
    shown = {row[0] for row in google.sheets.values(file_id, "Service")[1:]}
    assert shown == keys
    with served.db.session() as session:
        error = session.get_one(SheetBinding, binding_id).last_push_error
    assert error is not None and huge.external_id in error


def test_tiktok_text_longer_than_its_column_is_cut_with_a_marker_and_an_overlong_id_refuses_only_its_order(
    served: Live,
) -> None:
    [shop_id] = served.connect_shop(orders=20)
    orders = sandbox_shop_orders(served, shop_id)
    wordy, bad_sku = orders[2], orders[5]
    line = wordy.lines[0]
    line.sku = replace(line.sku, product_name="Extra soft cotton " * 40)  # 720 characters, the column keeps 512
    wordy.damage = {"delivery_option_name": "Express " * 40}  # 320, kept: 255
    shop = next(s for s in served.sandbox.shops.values() if wordy.order_id in s.orders)
    wordy.damage["recipient_address"] = recipient(shop, wordy) | {"name": "Jordan " * 50}  # 350, kept: 255
    other = bad_sku.lines[0]
    other.sku = replace(other.sku, seller_sku="SKU-" + "9" * 196)  # a seller SKU of 200: cut, it would match nothing

    sync = task(served, f"/tasks/sync-shop/{shop_id}")

    assert f"new {len(orders) - 1}," in sync["sync"] and "failed 1," in sync["sync"], sync
    with served.db.session() as session:
        run = session.scalars(select(SyncRun).order_by(SyncRun.id.desc())).first()
        assert run is not None and run.status == "ok"
        stored = session.scalars(select(Order).where(Order.external_id == wordy.order_id)).one()
        names = session.scalars(select(OrderLine.product_name).where(OrderLine.order_id == stored.id)).all()
        [failed] = session.scalars(select(FailedItem).where(FailedItem.shop_id == shop_id)).all()
        assert session.scalar(select(Order.id).where(Order.external_id == bad_sku.order_id)) is None
        for text, limit, full in (
            (stored.delivery_option_name, 255, "Express " * 40),
            (stored.recipient_name, 255, "Jordan " * 50),
            (names[0], 512, "Extra soft cotton " * 40),
        ):
            assert text is not None and len(text) <= limit and text.endswith(MARKER.format(len(full)))
    assert failed.external_id == bad_sku.order_id
    assert "seller_sku" in failed.reason and "128" in failed.reason  # refused by TikTok's schema or by its column
    status = cli(served, ["shop", "status", "--team", "Acme Trading"])
    assert status.exit_code == 0 and "failed payloads 1" in status.stdout


def long_export(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    """The US fixture with a 600-character product name, a 300-character recipient and a 200-character SKU."""
    text = US_FILE.read_text(encoding="utf-8-sig")
    records = list(csv.reader(io.StringIO(text)))
    header = records[0]
    index = {name: header.index(name) for name in ("Order ID", "Product Name", "Recipient", "Seller SKU")}
    lines: dict[str, int] = {}
    data_lines = [n for n, r in enumerate(records, start=1) if n > 2 and r[index["Order ID"]].strip()]
    for field, value in (("Product Name", "Soft " * 120), ("Recipient", "Jane " * 60), ("Seller SKU", "S" * 200)):
        number = data_lines[len(lines)]
        records[number - 1][index[field]] = value
        lines[field] = number
    out = io.StringIO()
    csv.writer(out).writerows(records)
    path = tmp_path / "long.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path, lines


def test_export_cells_longer_than_their_columns_fail_their_rows_by_line_and_the_rest_imports(
    served: Live, tmp_path: Path
) -> None:
    path, lines = long_export(tmp_path)
    with served.db.session() as session:
        team = session.get_one(Team, served.team_id)
        shop_id = factories.shop(session, team, region="US", time_zone="America/Los_Angeles").id
    result = cli(served, ["import-csv", str(path), "--shop", str(shop_id)])

    assert result.exit_code == 0, result.output
    for field, limit in (("Product Name", 512), ("Recipient", 255), ("Seller SKU", 128)):
        assert f"line {lines[field]}: {field} has " in result.output and f"at most {limit}" in result.output
    with served.db.session() as session:
        assert session.scalars(select(Order.id).where(Order.shop_id == shop_id)).all()
        reasons = session.scalars(select(FailedItem.reason).where(FailedItem.shop_id == shop_id)).all()
    assert any(f"line {lines['Seller SKU']}:" in r for r in reasons)


def test_an_id_too_long_for_its_column_refuses_its_order_alone_whatever_the_platform(served: Live) -> None:
    """TikTok's payload schema bounds its ids; a platform without one still cannot fail a page with one."""
    parsed = parse_export(US_FILE, time_zone="America/Los_Angeles", currency="USD")
    first, *rest = parsed.orders
    item = replace(first.line_items[0], seller_sku="S" * 200)
    orders = [replace(first, line_items=(item, *first.line_items[1:])), *rest]
    with served.db.session() as session:
        shop = factories.shop(session, session.get_one(Team, served.team_id), region="US")
        result = ingest_orders(session, shop, orders, source="csv")
        stored = set(session.scalars(select(Order.external_id).where(Order.shop_id == shop.id)))
    [refused] = result.refused
    assert (refused.order_id, refused.field_name) == (first.order_id, "seller_sku")
    assert "200 characters" in str(refused) and "at most 128" in str(refused)
    assert stored == {o.order_id for o in rest}


def test_a_payload_number_past_64_bits_is_stored_and_read_back_exactly(served: Live) -> None:
    """JSON columns are written by orjson, which refuses such a number: the standard library writes it then."""
    first, *_ = parse_export(US_FILE, time_zone="America/Los_Angeles", currency="USD").orders
    order = replace(first, raw={**first.raw, "fee_micros": 2**70, "note": "中文"})
    with served.db.session() as session:
        shop = factories.shop(session, session.get_one(Team, served.team_id), region="US")
        result = ingest_orders(session, shop, [order], source="csv")
    with served.db.session() as session:
        raw = session.scalars(select(Order.raw).where(Order.shop_id == shop.id)).one()
    assert result.new == 1 and raw["fee_micros"] == 2**70 and raw["note"] == "中文"


def test_text_holding_tabs_newlines_and_backslashes_is_stored_and_read_back_exactly(served: Live) -> None:
    """PostgreSQL takes a batch's rows as COPY text, where a tab ends a field, a newline a row, `\\N` is
    NULL and `\\.` ends the data: each must be kept as written, and the order after it stored too."""
    tricky = "a\tb\nc\r\\N \\. \\t ，中文\\"
    first, second, *_ = parse_export(US_FILE, time_zone="America/Los_Angeles", currency="USD").orders
    item = replace(first.line_items[0], product_name=tricky, sku_name="\\.")
    order = replace(
        first,
        line_items=(item, *first.line_items[1:]),
        buyer_message=tricky,
        raw={**first.raw, "note": tricky, "path": "C:\\orders\\", "nul": "\x00"},
    )
    with served.db.session() as session:
        shop = factories.shop(session, session.get_one(Team, served.team_id), region="US")
        result = ingest_orders(session, shop, [order, second], source="csv")
    with served.db.session() as session:
        stored = session.scalars(select(Order).where(Order.shop_id == shop.id).order_by(Order.id)).all()
        names = [line.product_name for line in stored[0].lines]
        assert result.new == 2 and [o.external_id for o in stored] == [first.order_id, second.order_id]
        assert stored[0].buyer_message == tricky and names[0] == tricky and stored[0].lines[0].sku_name == "\\."
        assert stored[0].raw["note"] == tricky and stored[0].raw["path"] == "C:\\orders\\"
        assert stored[0].raw["nul"] == "\x00" and len(stored[1].lines) == len(second.line_items)
