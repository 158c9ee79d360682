"""fulfilment: what a shop's logistics API offers, waves of packages marked ready, each package's handover
and its outcome, each shipped order's tracking, an order's delivery option id, and a spreadsheet's list tab

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.models.base

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = backend.models.base.JSONDocument
UTC_TIME = backend.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "shop_logistics",
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("options", JSON, nullable=False),
        sa.Column("handover", JSON, nullable=False),
        sa.Column("combinable", JSON, nullable=False),
        sa.Column("refreshed_at", UTC_TIME, nullable=False),
        sa.Column("problem", sa.String(length=1024), nullable=True),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_shop_logistics_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("shop_id", name=op.f("pk_shop_logistics")),
    )
    op.create_table(
        "waves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("delivery_option", sa.String(length=255), nullable=False),
        sa.Column("handover", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_waves_shop_id_shops"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_waves_team_id_teams"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waves")),
    )
    op.create_index(op.f("ix_waves_team_id"), "waves", ["team_id"], unique=False)
    op.create_table(
        "order_tracking",
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("events", JSON, nullable=False),
        sa.Column("latest_at", UTC_TIME, nullable=True),
        sa.Column("latest", sa.String(length=512), nullable=True),
        sa.Column("delivered_at", UTC_TIME, nullable=True),
        sa.Column("problem", sa.String(length=32), nullable=True),
        sa.Column("polls", sa.Integer(), nullable=False),
        sa.Column("polled_at", UTC_TIME, nullable=True),
        sa.Column("next_poll_at", UTC_TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_tracking_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_order_tracking")),
    )
    op.create_index("ix_order_tracking_next_poll", "order_tracking", ["next_poll_at"], unique=False)
    op.create_table(
        "package_shipping",
        sa.Column("package_id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("handover", sa.String(length=64), nullable=False),
        sa.Column("shipped", sa.Boolean(), nullable=False),
        sa.Column("problem", sa.String(length=32), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.String(length=320), nullable=False),
        sa.Column("requested_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["package_id"], ["packages.id"], name=op.f("fk_package_shipping_package_id_packages"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["wave_id"], ["waves.id"], name=op.f("fk_package_shipping_wave_id_waves"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("package_id", name=op.f("pk_package_shipping")),
    )
    op.create_index(op.f("ix_package_shipping_wave_id"), "package_shipping", ["wave_id"], unique=False)
    # Plain ADD COLUMNs, never a batch copy: on SQLite a copy of `orders` would cascade-delete its lines.
    op.add_column("orders", sa.Column("delivery_option_id", sa.String(length=64), nullable=True))
    op.add_column("spreadsheets", sa.Column("lists", JSON, nullable=False, server_default="{}"))


def downgrade() -> None:
    op.drop_column("spreadsheets", "lists")
    op.drop_column("orders", "delivery_option_id")
    op.drop_index(op.f("ix_package_shipping_wave_id"), table_name="package_shipping")
    op.drop_table("package_shipping")
    op.drop_index("ix_order_tracking_next_poll", table_name="order_tracking")
    op.drop_table("order_tracking")
    op.drop_index(op.f("ix_waves_team_id"), table_name="waves")
    op.drop_table("waves")
    op.drop_table("shop_logistics")
