"""Data migrations: rows stored under an older schema read the same way the newest code writes them."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import text

from backend.db import Database, alembic_config


def test_0015_counts_the_shipping_the_seller_is_paid_as_revenue_and_keeps_old_revenue_lines_revenue(
    tmp_path: Path,
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(alembic_config(db.engine), "0007")
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO teams (id, name, time_zone, created_at) VALUES (1, 'T', 'UTC', '2026-01-01')"))
        conn.execute(
            text(
                "INSERT INTO shops (id, team_id, platform, external_id, name, region, currency, time_zone, status,"
                " created_at) VALUES (1, 1, 'tiktok', 's', 'S', 'US', 'USD', 'UTC', 'active', '2026-01-01')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO orders (id, shop_id, external_id, status, platform_update_time, platform_create_time,"
                " currency, raw, source, ingested_at, updated_at, is_on_hold, is_buyer_request_cancel)"
                " VALUES (1, 1, 'o', 'COMPLETED', '2026-01-01', '2026-01-01', 'USD', '{}', 'api', '2026-01-01',"
                " '2026-01-01', 0, 0)"
            )
        )
        lines = [  # kind, pool, category as older versions stored them
            ("subtotal_before_discount_amount", "revenue", "fee"),  # before 0003 every line was a "fee"
            ("customer_paid_shipping_fee_amount", "logistics", "shipping"),
            ("actual_shipping_fee_amount", "logistics", "shipping"),
        ]
        for n, (kind, pool, category) in enumerate(lines, start=1):
            conn.execute(
                text(
                    "INSERT INTO fee_lines (id, order_id, pool, kind, category, amount, currency, basis)"
                    " VALUES (:id, 1, :pool, :kind, :category, '1.00', 'USD', 'settled')"
                ),
                {"id": n, "pool": pool, "kind": kind, "category": category},
            )

    db.migrate()

    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT kind, pool, category FROM fee_lines ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [
        ("subtotal_before_discount_amount", "revenue", "revenue"),
        ("customer_paid_shipping_fee_amount", "revenue", "shipping"),
        ("actual_shipping_fee_amount", "logistics", "shipping"),
    ]
    db.dispose()
