"""sheet snapshots: what each bound tab last received, for diffing

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import backend.models.base

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sheet_snapshots",
        sa.Column("binding_id", sa.Integer(), nullable=False),
        sa.Column("layout", sa.String(length=64), nullable=False),
        sa.Column(
            "rows", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("written_at", backend.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["binding_id"],
            ["sheet_bindings.id"],
            name=op.f("fk_sheet_snapshots_binding_id_sheet_bindings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("binding_id", name=op.f("pk_sheet_snapshots")),
    )


def downgrade() -> None:
    op.drop_table("sheet_snapshots")
