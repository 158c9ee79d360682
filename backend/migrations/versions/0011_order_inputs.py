"""what the team typed for an order lives in order_inputs, apart from what the platform sends

Notes typed into a sheet used to be stored in orders.seller_note, the column ingest fills with the
platform's own seller note, so the next update of the order erased them. A note that differs from the
one in the order's stored payload was typed: it moves to order_inputs, and orders.seller_note gets the
payload's value back.

Revision ID: 0011
Revises: 0007
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import backend.models.base

revision: str = "0011"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CSV_KEY = "seller_center_csv"  # where a Seller Center export keeps its rows in the payload
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
orders = sa.table("orders", sa.column("id", sa.Integer()), sa.column("seller_note", sa.Text()), sa.column("raw", JSON))
events = sa.table(
    "order_events",
    sa.column("order_id", sa.Integer()),
    sa.column("kind", sa.String()),
    sa.column("actor", sa.String()),
    sa.column("occurred_at", backend.models.base.UTCDateTime(timezone=True)),
)
inputs = sa.table(
    "order_inputs",
    sa.column("order_id", sa.Integer()),
    sa.column("note", sa.Text()),
    sa.column("updated_by", sa.String()),
    sa.column("updated_at", backend.models.base.UTCDateTime(timezone=True)),
)


def platform_note(raw: Mapping[str, Any]) -> str | None:
    """The seller note the platform sent, as ingest stores it (an export's rows carry it per row)."""
    rows = raw.get(CSV_KEY)
    if isinstance(rows, list) and rows and isinstance(rows[0], dict):
        value = next((v for k, v in rows[0].items() if str(k).strip() == "Seller Note"), None)
    else:
        value = raw.get("seller_note")
    text = str(value or "").replace("\x00", "").strip()
    return text or None


def upgrade() -> None:
    op.create_table(
        "order_inputs",
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("carrier", sa.String(length=255), nullable=True),
        sa.Column("tracking_number", sa.String(length=128), nullable=True),
        sa.Column("updated_by", sa.String(length=320), nullable=False),
        sa.Column("updated_at", backend.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_inputs_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_order_inputs")),
    )
    conn = op.get_bind()
    noted = conn.execute(
        sa.select(orders.c.id, orders.c.seller_note, orders.c.raw).where(orders.c.seller_note.is_not(None))
    ).all()
    for order_id, note, raw in noted:
        from_platform = platform_note(raw or {})
        if note.strip() == (from_platform or ""):
            continue
        last = conn.execute(
            sa.select(events.c.actor, events.c.occurred_at)
            .where(events.c.order_id == order_id, events.c.kind == "note")
            .order_by(events.c.occurred_at.desc())
            .limit(1)
        ).first()
        who, when = last if last is not None else ("sheet", backend.models.base.utcnow())
        conn.execute(sa.insert(inputs).values(order_id=order_id, note=note, updated_by=who, updated_at=when))
        conn.execute(sa.update(orders).where(orders.c.id == order_id).values(seller_note=from_platform))


def downgrade() -> None:
    conn = op.get_bind()
    typed = conn.execute(sa.select(inputs.c.order_id, inputs.c.note).where(inputs.c.note.is_not(None))).all()
    for order_id, note in typed:
        conn.execute(sa.update(orders).where(orders.c.id == order_id).values(seller_note=note))
    op.drop_table("order_inputs")
