"""profit ledger: fee line category and SKU, per-shop fee rules

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.models.base

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("fee_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("category", sa.String(length=16), nullable=False, server_default="fee"))
        batch_op.add_column(sa.Column("sku_id", sa.String(length=64), nullable=True))
    with op.batch_alter_table("fee_lines", schema=None) as batch_op:
        batch_op.alter_column("category", server_default=None)

    op.create_table(
        "fee_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=96), nullable=False),
        sa.Column("base", sa.String(length=16), nullable=False),
        sa.Column("rate", backend.models.base.Money(precision=18, scale=4), nullable=False),
        sa.Column("fixed", backend.models.base.Money(precision=18, scale=4), nullable=False),
        sa.Column("updated_by", sa.String(length=320), nullable=False),
        sa.Column("updated_at", backend.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_fee_rules_shop_id_shops"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_rules")),
        sa.UniqueConstraint("shop_id", "kind", name=op.f("uq_fee_rules_shop_id_kind")),
    )


def downgrade() -> None:
    op.drop_table("fee_rules")
    with op.batch_alter_table("fee_lines", schema=None) as batch_op:
        batch_op.drop_column("sku_id")
        batch_op.drop_column("category")
