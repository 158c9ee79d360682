"""procurement: supplier orders and lines, consolidated shipments, remembered supplier item SKUs, opening stock
at go-live, and a lead time per stock row

Revision ID: 0018
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import backend.models.base

revision: str = "0018"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consolidations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("forwarder", sa.String(length=255), nullable=False),
        sa.Column("tracking", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("warehouse_id", sa.String(length=64), nullable=False),
        sa.Column("expected_on", sa.Date(), nullable=True),
        sa.Column("arrived_on", sa.Date(), nullable=True),
        sa.Column("weight_kg", backend.models.base.Money(precision=18, scale=4), nullable=True),
        sa.Column("volumetric_kg", backend.models.base.Money(precision=18, scale=4), nullable=True),
        sa.Column("freight", backend.models.base.Money(precision=18, scale=4), nullable=True),
        sa.Column("duties", backend.models.base.Money(precision=18, scale=4), nullable=True),
        sa.Column("import_vat", backend.models.base.Money(precision=18, scale=4), nullable=True),
        sa.Column("fees", backend.models.base.Money(precision=18, scale=4), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("duties_paid_on", sa.Date(), nullable=True),
        sa.Column("updated_by", sa.String(length=320), nullable=False),
        sa.Column("updated_at", backend.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_consolidations_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consolidations")),
        sa.UniqueConstraint("team_id", "name", name=op.f("uq_consolidations_team_id_name")),
    )
    with op.batch_alter_table("consolidations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consolidations_team_id"), ["team_id"], unique=False)

    op.create_table(
        "opening_stock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("seller_sku", sa.String(length=128), nullable=False),
        sa.Column("warehouse_id", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("updated_by", sa.String(length=320), nullable=False),
        sa.Column("updated_at", backend.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_opening_stock_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opening_stock")),
        sa.UniqueConstraint(
            "team_id", "seller_sku", "warehouse_id", name=op.f("uq_opening_stock_team_id_seller_sku_warehouse_id")
        ),
    )
    op.create_table(
        "purchase_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("supplier_order_no", sa.String(length=64), nullable=False),
        sa.Column("supplier", sa.String(length=255), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("domestic_shipping", backend.models.base.Money(precision=18, scale=4), nullable=False),
        sa.Column("adjustment", backend.models.base.Money(precision=18, scale=4), nullable=False),
        sa.Column("ordered_on", sa.Date(), nullable=True),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("domestic_carrier", sa.String(length=128), nullable=False),
        sa.Column("domestic_tracking", sa.String(length=128), nullable=False),
        sa.Column(
            "typed_fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("source", sa.String(length=320), nullable=False),
        sa.Column("updated_by", sa.String(length=320), nullable=False),
        sa.Column("updated_at", backend.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_purchase_orders_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_orders")),
        sa.UniqueConstraint(
            "team_id",
            "platform",
            "supplier_order_no",
            name=op.f("uq_purchase_orders_team_id_platform_supplier_order_no"),
        ),
    )
    with op.batch_alter_table("purchase_orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_purchase_orders_team_id"), ["team_id"], unique=False)

    op.create_table(
        "supplier_item_skus",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("item_ref", sa.String(length=255), nullable=False),
        sa.Column("item_spec", sa.String(length=255), nullable=False),
        sa.Column("seller_sku", sa.String(length=128), nullable=False),
        sa.Column("updated_by", sa.String(length=320), nullable=False),
        sa.Column("updated_at", backend.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_supplier_item_skus_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_item_skus")),
        sa.UniqueConstraint(
            "team_id",
            "platform",
            "item_ref",
            "item_spec",
            name=op.f("uq_supplier_item_skus_team_id_platform_item_ref_item_spec"),
        ),
    )
    op.create_table(
        "purchase_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("item_ref", sa.String(length=255), nullable=False),
        sa.Column("item_title", sa.String(length=512), nullable=False),
        sa.Column("item_link", sa.String(length=1024), nullable=False),
        sa.Column("item_spec", sa.String(length=255), nullable=False),
        sa.Column("seller_sku", sa.String(length=128), nullable=True),
        sa.Column("quantity_ordered", sa.Integer(), nullable=False),
        sa.Column("quantity_received", sa.Integer(), nullable=True),
        sa.Column("unit_price", backend.models.base.Money(precision=18, scale=4), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("consolidation_id", sa.Integer(), nullable=True),
        sa.Column("warehouse_id", sa.String(length=64), nullable=False),
        sa.Column("expected_on", sa.Date(), nullable=True),
        sa.Column("arrived_on", sa.Date(), nullable=True),
        sa.Column("weight_kg", backend.models.base.Money(precision=18, scale=4), nullable=True),
        sa.Column("volumetric_kg", backend.models.base.Money(precision=18, scale=4), nullable=True),
        sa.Column("landed_unit_cost", backend.models.base.Money(precision=18, scale=4), nullable=True),
        sa.Column("landed_problem", sa.String(length=255), nullable=False),
        sa.Column(
            "typed_fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("updated_by", sa.String(length=320), nullable=False),
        sa.Column("updated_at", backend.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consolidation_id"],
            ["consolidations.id"],
            name=op.f("fk_purchase_lines_consolidation_id_consolidations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["purchase_orders.id"],
            name=op.f("fk_purchase_lines_order_id_purchase_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_purchase_lines_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_lines")),
        sa.UniqueConstraint("order_id", "line_no", name=op.f("uq_purchase_lines_order_id_line_no")),
    )
    with op.batch_alter_table("purchase_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_purchase_lines_consolidation_id"), ["consolidation_id"], unique=False)
        batch_op.create_index("ix_purchase_lines_team_sku", ["team_id", "seller_sku"], unique=False)

    with op.batch_alter_table("stock_levels", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lead_time_days", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stock_levels", schema=None) as batch_op:
        batch_op.drop_column("lead_time_days")

    with op.batch_alter_table("purchase_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_purchase_lines_team_sku")
        batch_op.drop_index(batch_op.f("ix_purchase_lines_consolidation_id"))

    op.drop_table("purchase_lines")
    op.drop_table("supplier_item_skus")
    with op.batch_alter_table("purchase_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_purchase_orders_team_id"))

    op.drop_table("purchase_orders")
    op.drop_table("opening_stock")
    with op.batch_alter_table("consolidations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consolidations_team_id"))

    op.drop_table("consolidations")
