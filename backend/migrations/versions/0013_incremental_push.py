"""incremental pushes: what changed per binding, snapshot shape, owners, keys and times, cached tabs and sharing, stored stock shortfalls

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import backend.models.base

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "sheet_changes",
        sa.Column("binding_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["binding_id"],
            ["sheet_bindings.id"],
            name=op.f("fk_sheet_changes_binding_id_sheet_bindings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("binding_id", "order_id", name=op.f("pk_sheet_changes")),
    )
    with op.batch_alter_table("sheet_snapshots") as batch:
        batch.add_column(sa.Column("shape", sa.String(length=64), nullable=False, server_default=""))
        batch.add_column(sa.Column("projected_at", backend.models.base.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("rebuilt_at", backend.models.base.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("ordered", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("owners", JSON, nullable=True))
        batch.add_column(sa.Column("keys", JSON, nullable=True))
        batch.drop_column("positions")  # the key column (`keys`) says where each row went
    with op.batch_alter_table("spreadsheets") as batch:
        batch.add_column(sa.Column("sharing_seen", JSON, nullable=False, server_default="{}"))
        batch.add_column(sa.Column("tabs", JSON, nullable=False, server_default="[]"))
    with op.batch_alter_table("order_reviews") as batch:
        batch.add_column(sa.Column("stock_short", sa.String(length=255), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("order_reviews") as batch:
        batch.drop_column("stock_short")
    with op.batch_alter_table("spreadsheets") as batch:
        batch.drop_column("tabs")
        batch.drop_column("sharing_seen")
    with op.batch_alter_table("sheet_snapshots") as batch:
        batch.add_column(sa.Column("positions", JSON, nullable=False, server_default="{}"))
        batch.drop_column("keys")
        batch.drop_column("owners")
        batch.drop_column("ordered")
        batch.drop_column("rebuilt_at")
        batch.drop_column("projected_at")
        batch.drop_column("shape")
    op.drop_table("sheet_changes")
