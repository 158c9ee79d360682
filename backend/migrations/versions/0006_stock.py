"""stock per SKU and warehouse, and order review state

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import backend.models.base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stock_levels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("seller_sku", sa.String(length=128), nullable=False),
        sa.Column("warehouse_id", sa.String(length=64), nullable=False),
        sa.Column("product_name", sa.String(length=512), nullable=False),
        sa.Column("platform_available", sa.Integer(), nullable=True),
        sa.Column("platform_committed", sa.Integer(), nullable=True),
        sa.Column("platform_checked_at", backend.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sheet_quantity", sa.Integer(), nullable=True),
        sa.Column("reorder_point", sa.Integer(), nullable=True),
        sa.Column("supplier_note", sa.String(length=1024), nullable=True),
        sa.Column("location", sa.String(length=128), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("updated_by", sa.String(length=320), nullable=True),
        sa.Column("updated_at", backend.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_stock_levels_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_levels")),
        sa.UniqueConstraint(
            "team_id", "seller_sku", "warehouse_id", name=op.f("uq_stock_levels_team_id_seller_sku_warehouse_id")
        ),
    )
    op.create_index(op.f("ix_stock_levels_team_id"), "stock_levels", ["team_id"], unique=False)
    op.create_table(
        "order_reviews",
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("address_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("address_changed_at", backend.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "flags", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("reviewed_at", backend.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_reviews_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_order_reviews")),
    )


def downgrade() -> None:
    op.drop_table("order_reviews")
    op.drop_index(op.f("ix_stock_levels_team_id"), table_name="stock_levels")
    op.drop_table("stock_levels")
