"""Migrations that move data, run on a database of their own with rows as the revision before left them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from backend.db import Database, alembic_config
from tests.conftest import _postgres_database_for_worker

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


@pytest.fixture
def blank(tmp_path: Any, worker_id: str) -> Iterator[Database]:
    """An empty database (PostgreSQL when DATABASE_URL says so), apart from the suite's migrated one."""
    configured = os.environ.get("DATABASE_URL")
    if configured and make_url(configured).get_backend_name() == "postgresql":
        url = _postgres_database_for_worker(configured, f"{worker_id}_migrations")
        database = Database(url)
        with database.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    else:
        database = Database(f"sqlite:///{tmp_path / 'migrations.db'}")
    yield database
    database.dispose()


def _acme_us(conn: sa.Connection, teams: sa.Table, shops: sa.Table) -> None:
    """Team 1 with its shop 1, as every revision so far stores them."""
    conn.execute(sa.insert(teams).values(id=1, name="Acme", time_zone="UTC", created_at=T0))
    conn.execute(
        sa.insert(shops).values(id=1, team_id=1, platform="tiktok", external_id="7494", name="Acme US",
                                region="US", currency="USD", time_zone="UTC", status="active", created_at=T0)
    )  # fmt: skip


def test_0011_moves_notes_typed_into_sheets_out_of_the_platforms_column(blank: Database) -> None:
    config = alembic_config(blank.engine)
    before = ScriptDirectory.from_config(config).get_revision("0011").down_revision
    assert isinstance(before, str)
    command.upgrade(config, before)
    meta = sa.MetaData()
    meta.reflect(blank.engine, only=["teams", "shops", "orders", "order_events"])
    teams, shops, orders, events = (meta.tables[n] for n in ("teams", "shops", "orders", "order_events"))
    order = {"status": "AWAITING_SHIPMENT", "platform_update_time": T0, "platform_create_time": T0,
             "is_on_hold": False, "is_buyer_request_cancel": False, "currency": "USD", "source": "api",
             "ingested_at": T0, "updated_at": T0, "shop_id": 1}  # fmt: skip
    with blank.engine.begin() as conn:
        _acme_us(conn, teams, shops)
        conn.execute(
            sa.insert(orders),
            [
                # typed in a sheet over TikTok's (empty) note
                {**order, "id": 1, "external_id": "1", "seller_note": "Call first", "raw": {"seller_note": ""}},
                # TikTok's own note, as ingest stored it
                {**order, "id": 2, "external_id": "2", "seller_note": "Gift wrap", "raw": {"seller_note": "Gift wrap"}},
                # typed over the note of a Seller Center export
                {**order, "id": 3, "external_id": "3", "seller_note": "Refund agreed",
                 "raw": {"seller_center_csv": [{"Order ID": "3", "Seller Note": "Fragile"}]}},
            ],
        )  # fmt: skip
        conn.execute(
            sa.insert(events).values(order_id=1, kind="note", occurred_at=T0, recorded_at=T0,
                                     actor="help@acme.test", detail={"note": "Call first"})
        )  # fmt: skip

    command.upgrade(config, "0011")
    with blank.engine.connect() as conn:
        notes: dict[int, str | None] = dict(conn.execute(sa.text("SELECT id, seller_note FROM orders")).all())
        typed = {r[0]: r[1:] for r in conn.execute(sa.text("SELECT order_id, note, updated_by FROM order_inputs"))}
    assert notes == {1: None, 2: "Gift wrap", 3: "Fragile"}  # the platform's values are back
    assert typed == {1: ("Call first", "help@acme.test"), 3: ("Refund agreed", "sheet")}

    command.downgrade(config, before)
    with blank.engine.connect() as conn:
        notes = dict(conn.execute(sa.text("SELECT id, seller_note FROM orders")).all())
    assert notes == {1: "Call first", 2: "Gift wrap", 3: "Refund agreed"}


def test_0015_counts_the_shipping_the_seller_is_paid_as_revenue_and_keeps_old_revenue_lines_revenue(
    blank: Database,
) -> None:
    config = alembic_config(blank.engine)
    before = ScriptDirectory.from_config(config).get_revision("0015").down_revision
    assert isinstance(before, str)
    command.upgrade(config, before)
    meta = sa.MetaData()
    meta.reflect(blank.engine, only=["teams", "shops", "orders", "fee_lines"])
    teams, shops, orders, fee_lines = (meta.tables[n] for n in ("teams", "shops", "orders", "fee_lines"))
    with blank.engine.begin() as conn:
        _acme_us(conn, teams, shops)
        conn.execute(
            sa.insert(orders).values(id=1, shop_id=1, external_id="1", status="COMPLETED", platform_update_time=T0,
                                     platform_create_time=T0, is_on_hold=False, is_buyer_request_cancel=False,
                                     currency="USD", source="api", ingested_at=T0, updated_at=T0, raw={})
        )  # fmt: skip
        stored = [  # as older versions stored them; before 0003 every line was a "fee", revenue lines too
            ("subtotal_before_discount_amount", "revenue", "fee"),
            ("customer_paid_shipping_fee_amount", "logistics", "shipping"),
            ("actual_shipping_fee_amount", "logistics", "shipping"),
        ]
        conn.execute(
            sa.insert(fee_lines),
            [{"id": n, "order_id": 1, "kind": kind, "pool": pool, "category": category, "amount": "1.00",
              "currency": "USD", "basis": "settled"} for n, (kind, pool, category) in enumerate(stored, start=1)],
        )  # fmt: skip

    command.upgrade(config, "0015")
    with blank.engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(sa.text("SELECT kind, pool, category FROM fee_lines ORDER BY id"))]
    assert rows == [
        ("subtotal_before_discount_amount", "revenue", "revenue"),
        ("customer_paid_shipping_fee_amount", "revenue", "shipping"),
        ("actual_shipping_fee_amount", "logistics", "shipping"),
    ]


def test_0012_moves_tiktok_named_shop_ids_into_neutral_columns_and_back(blank: Database) -> None:
    config = alembic_config(blank.engine)
    before = ScriptDirectory.from_config(config).get_revision("0012").down_revision
    assert isinstance(before, str)
    command.upgrade(config, before)
    meta = sa.MetaData()
    meta.reflect(blank.engine, only=["teams", "shops", "orders"])
    teams, shops, orders = (meta.tables[n] for n in ("teams", "shops", "orders"))
    order = {"status": "AWAITING_SHIPMENT", "platform_update_time": T0, "platform_create_time": T0,
             "is_on_hold": False, "is_buyer_request_cancel": False, "currency": "USD", "source": "api",
             "ingested_at": T0, "updated_at": T0, "shop_id": 1, "raw": {}}  # fmt: skip
    with blank.engine.begin() as conn:
        conn.execute(sa.insert(teams).values(id=1, name="Acme", time_zone="UTC", created_at=T0))
        conn.execute(
            sa.insert(shops).values(id=1, team_id=1, platform="tiktok", external_id="7494", name="Acme US",
                                    region="US", currency="USD", time_zone="UTC", status="active", created_at=T0,
                                    cipher="ROW_abc", open_id="open_1")
        )  # fmt: skip
        conn.execute(
            sa.insert(orders),
            [{**order, "id": 1, "external_id": "1", "shipping_type": "TIKTOK"},
             {**order, "id": 2, "external_id": "2", "shipping_type": "SELLER"}],
        )  # fmt: skip

    command.upgrade(config, "0012")
    with blank.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT shop_ref, grant_id FROM shops")).one() == ("ROW_abc", "open_1")
        kinds: dict[int, str] = dict(conn.execute(sa.text("SELECT id, shipping_type FROM orders")).all())
    assert kinds == {1: "PLATFORM", 2: "SELLER"}

    command.downgrade(config, before)
    with blank.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT cipher, open_id FROM shops")).one() == ("ROW_abc", "open_1")
        assert dict(conn.execute(sa.text("SELECT id, shipping_type FROM orders")).all()) == {1: "TIKTOK", 2: "SELLER"}
