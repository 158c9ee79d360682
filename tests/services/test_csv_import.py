"""Importing Seller Center exports: idempotent, never undoing what the API delivered, bad rows kept by line."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from backend.db import Database, get_db
from backend.models import FailedItem, Order, SheetBinding, Shop, Spreadsheet, SyncRun
from backend.platforms.exports import RAW_KEY
from backend.platforms.tiktok.mapping import map_order
from backend.services import leases
from backend.services.csv_import import import_orders
from backend.services.ingest import ingest_orders
from backend.services.sync import shop_lease
from tests import factories
from tests.platforms.shopee.test_seller_centre import row, workbook

US_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "seller_center" / "us_orders.csv"
MUG_ORDER = "576000000000000002"  # 3 mugs, in transit; its latest milestone (Shipped Time) is this:
MUG_EXPORT_TIME = datetime(2026, 11, 22, 0, 12, 9, tzinfo=UTC)
API_LINE_IDS = ["577100000000000001", "577100000000000002", "577100000000000003"]
BAD_ROWS = [
    "line 9: Quantity 'two' is not a whole number",
    "line 10: order 576000000000000006 not imported: line 11 of it is bad",
    "line 11: Paid Time '23/11/2026 14:01:00' is not a date and time",
    "line 12: Order Amount '12.3O' is not an amount",
    "line 13: Order ID '5.76E+17' was rounded by a spreadsheet program; "
    "use the file exactly as Seller Center exported it",
]


@dataclass
class Setup:
    db: Database
    shop_id: int
    tiktok_shop_id: str
    binding_id: int


@pytest.fixture
def setup(app: Flask) -> Iterator[Setup]:
    with app.app_context():
        db = get_db()
        with db.session() as session:
            team = factories.team(session)
            shop = factories.shop(session, team, region="US", currency="USD", time_zone="America/Los_Angeles")
            sheet = Spreadsheet(team_id=team.id, google_id="sheet-wh", audience_role="warehouse")
            binding = SheetBinding(profile_key="warehouse", tab_title="To ship", created_by="o@x.test", dirty=False)
            sheet.bindings.append(binding)
            session.add(sheet)
            session.flush()
            ids = Setup(db, shop.id, shop.external_id, binding.id)
        yield ids


def mug_payload(*, status: str, update_time: datetime, **extra: Any) -> dict[str, Any]:
    """The mug order as the API's 202309 order detail sends it: one line item per unit, its own ids."""
    return {
        "id": MUG_ORDER,
        "status": status,
        "create_time": 1795237500,  # 2026-11-21 05:05:00 UTC, as in the export
        "update_time": int(update_time.timestamp()),
        "paid_time": 1795237544,
        "rts_sla_time": 1795410300,
        "shipping_type": "SELLER",
        "payment": {"currency": "USD", "sub_total": "28.97", "total_amount": "37.57", "shipping_fee": "5.99"},
        "line_items": [
            {
                "id": line_id,
                "sku_id": "1729000000000000021",
                "product_id": "1729000000000000020",
                "product_name": "Ceramic mug, 12 oz",
                "seller_sku": "MUG-WHT",
                "currency": "USD",
                "original_price": "9.99",
                "sale_price": "9.66",
                "display_status": status,
            }
            for line_id in API_LINE_IDS
        ],
        **extra,
    }


def ingest_from_api(setup: Setup, payload: dict[str, Any]) -> None:
    with setup.db.session() as session:
        shop = session.get(Shop, setup.shop_id)
        assert shop is not None
        ingest_orders(session, shop, [map_order(payload)], source="api", actor="sync")


def mug(setup: Setup) -> Order:
    with setup.db.sessions() as session:
        order = session.scalars(select(Order).where(Order.external_id == MUG_ORDER)).one()
        _ = order.lines, order.packages
        return order


def binding_dirty(setup: Setup, reset: bool = False) -> bool:
    with setup.db.session() as session:
        binding = session.get(SheetBinding, setup.binding_id)
        assert binding is not None
        dirty = binding.dirty
        if reset:
            binding.dirty = False
        return dirty


def test_importing_an_export_twice_stores_it_once(setup: Setup) -> None:
    first = import_orders(setup.db, setup.shop_id, US_FILE)
    assert first.summary() == "new 4, updated 0, unchanged 0, skipped (API newer) 0, bad rows 5"
    assert binding_dirty(setup, reset=True)
    with setup.db.sessions() as session:
        orders = {o.external_id: o for o in session.scalars(select(Order))}
        assert sorted(orders) == [f"57600000000000000{n}" for n in (1, 2, 3, 4)]
        assert {o.source for o in orders.values()} == {"csv"}
        assert sorted(line.external_id for line in orders[MUG_ORDER].lines) == [
            f"csv:{MUG_ORDER}:1729000000000000021:{n}" for n in (1, 2, 3)
        ]
        assert orders[MUG_ORDER].status == "IN_TRANSIT"
        assert orders[MUG_ORDER].tracking_number == "9400111899223344556677"
        assert orders["576000000000000001"].recipient_postal_code == "90012"
        stamps = {o.external_id: o.updated_at for o in orders.values()}

    second = import_orders(setup.db, setup.shop_id, US_FILE)
    assert second.summary() == "new 0, updated 0, unchanged 4, skipped (API newer) 0, bad rows 5"
    assert not binding_dirty(setup)  # nothing changed, nothing to push
    with setup.db.sessions() as session:
        assert {o.external_id: o.updated_at for o in session.scalars(select(Order))} == stamps


def test_bad_rows_are_recorded_with_their_line_numbers_and_the_good_rows_imported(setup: Setup) -> None:
    report = import_orders(setup.db, setup.shop_id, US_FILE)
    assert [f"line {e.line}: {e.message}" for e in report.bad_rows] == BAD_ROWS
    with setup.db.sessions() as session:
        run = session.scalars(select(SyncRun)).one()
        assert (run.kind, run.status, run.new_count, run.failed_count) == ("csv", "ok", 4, 5)
        failed = session.scalars(select(FailedItem).order_by(FailedItem.id)).all()
        assert [f.reason for f in failed] == BAD_ROWS
        assert {f.source for f in failed} == {"csv"} and {f.sync_run_id for f in failed} == {run.id}
        assert [f.external_id for f in failed] == [
            "576000000000000005",
            "576000000000000006",
            "576000000000000006",
            "576000000000000007",
            None,
        ]
        assert failed[0].payload["row"]["Quantity"] == "two"
        assert session.scalar(select(Order.id).where(Order.external_id == "576000000000000006")) is None


def test_an_api_payload_after_the_export_replaces_its_synthetic_lines(setup: Setup) -> None:
    import_orders(setup.db, setup.shop_id, US_FILE)
    ingest_from_api(setup, mug_payload(status="DELIVERED", update_time=MUG_EXPORT_TIME + timedelta(days=2)))
    order = mug(setup)
    assert (order.source, order.status) == ("api", "DELIVERED")
    assert sorted(line.external_id for line in order.lines) == API_LINE_IDS
    assert RAW_KEY not in order.raw

    again = import_orders(setup.db, setup.shop_id, US_FILE)
    assert (again.api_newer, again.result.unchanged, again.result.updated) == (1, 3, 0)
    assert mug(setup).status == "DELIVERED"


@pytest.mark.parametrize("api_later_by", [timedelta(0), timedelta(hours=3)])
def test_an_export_no_newer_than_the_api_data_is_skipped(setup: Setup, api_later_by: timedelta) -> None:
    ingest_from_api(setup, mug_payload(status="DELIVERED", update_time=MUG_EXPORT_TIME + api_later_by))
    before = mug(setup)
    report = import_orders(setup.db, setup.shop_id, US_FILE)
    assert report.summary() == "new 3, updated 0, unchanged 0, skipped (API newer) 1, bad rows 5"
    after = mug(setup)
    assert after.status == "DELIVERED"  # the export still says "In transit"
    assert sorted(line.external_id for line in after.lines) == API_LINE_IDS
    assert (after.raw, after.platform_update_time, after.updated_at) == (
        before.raw,
        before.platform_update_time,
        before.updated_at,
    )


def test_a_newer_export_updates_an_api_order_but_keeps_its_line_ids_and_deadlines(setup: Setup) -> None:
    ingest_from_api(setup, mug_payload(status="AWAITING_SHIPMENT", update_time=MUG_EXPORT_TIME - timedelta(days=1)))
    binding_dirty(setup, reset=True)
    report = import_orders(setup.db, setup.shop_id, US_FILE)
    assert (report.result.updated, report.api_newer) == (1, 0)
    assert binding_dirty(setup)
    order = mug(setup)
    assert (order.source, order.status, order.platform_update_time) == ("api", "IN_TRANSIT", MUG_EXPORT_TIME)
    assert order.tracking_number == "9400111899223344556677"
    assert sorted(line.external_id for line in order.lines) == API_LINE_IDS  # not csv:… ids
    assert {line.product_id for line in order.lines} == {"1729000000000000020"}
    assert order.rts_sla_at == datetime.fromtimestamp(1795410300, tz=UTC)
    assert order.shipping_type == "SELLER"
    assert order.raw["id"] == MUG_ORDER and len(order.raw[RAW_KEY]) == 1

    again = import_orders(setup.db, setup.shop_id, US_FILE)
    assert (again.result.unchanged, again.result.updated, again.api_newer) == (4, 0, 0)


def test_no_import_while_the_shop_is_being_synced(setup: Setup) -> None:
    lease = leases.held(setup.db, shop_lease(setup.shop_id), "another-worker", timedelta(minutes=1))
    with lease, pytest.raises(leases.LeaseHeld):
        import_orders(setup.db, setup.shop_id, US_FILE)
    with setup.db.sessions() as session:
        assert session.scalars(select(Order)).all() == []


def test_the_command_prints_the_counts_and_every_bad_row(setup: Setup, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["import-csv", str(US_FILE), "--shop", setup.tiktok_shop_id])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"shop {setup.shop_id}: new 4, updated 0, unchanged 0, skipped (API newer) 0, bad rows 5",
        *BAD_ROWS,
    ]
    result = runner.invoke(args=["import-csv", str(US_FILE), "--shop", str(setup.shop_id)])
    assert result.exit_code == 0
    assert result.output.startswith(f"shop {setup.shop_id}: new 0, updated 0, unchanged 4,")


def test_the_command_fails_when_the_file_cannot_be_read(setup: Setup, runner: FlaskCliRunner, tmp_path: Path) -> None:
    workbook = tmp_path / "orders.xlsx"
    workbook.write_bytes(b"PK\x03\x04" + bytes(60))
    result = runner.invoke(args=["import-csv", str(workbook), "--shop", str(setup.shop_id)])
    assert result.exit_code == 1
    assert "is an Excel workbook; export the orders as CSV instead" in result.output
    result = runner.invoke(args=["import-csv", str(tmp_path / "missing.csv"), "--shop", str(setup.shop_id)])
    assert result.exit_code == 2 and "does not exist" in result.output
    result = runner.invoke(args=["import-csv", str(US_FILE), "--shop", "999999"])
    assert result.exit_code == 1 and "no shop '999999'" in result.output
    with setup.db.sessions() as session:
        assert session.scalars(select(Order)).all() == []


def test_a_shopee_shop_imports_its_seller_centre_workbook_by_the_same_command(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    """`import-csv` picks the reader by the shop's platform: Shopee's export is an .xlsx workbook."""
    with app.app_context(), get_db().session() as session:
        team = factories.team(session)
        shop = factories.shop(
            session, team, platform="shopee", external_id="852354188", region="MY", currency="MYR",
            time_zone="Asia/Kuala_Lumpur",
        )  # fmt: skip
        shop_id = shop.id
    export = tmp_path / "Order.all.20240315_20240316.xlsx"
    good, bad = row(), row("240315BADQTY01", Quantity="two")
    export.write_bytes(workbook([good, bad]).read())

    with app.app_context():
        result = runner.invoke(args=["import-csv", str(export), "--shop", "852354188"])
        again = runner.invoke(args=["import-csv", str(export), "--shop", str(shop_id)])
        tiktok_csv = runner.invoke(args=["import-csv", str(US_FILE), "--shop", str(shop_id)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"shop {shop_id}: new 1, updated 0, unchanged 0, skipped (API newer) 0, bad rows 1",
        "line 3: Quantity 'two' is not a whole number",
    ]
    assert again.output.startswith(f"shop {shop_id}: new 0, updated 0, unchanged 1,")
    assert tiktok_csv.exit_code == 1 and "not an Excel workbook (.xlsx) as Seller Centre exports" in tiktok_csv.output
