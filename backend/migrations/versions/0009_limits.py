"""limits per team: Sheets usage per quota bucket and team, and limit overrides

Revision ID: 0009
Revises: 0015
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.models.base

revision: str = "0009"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "limit_overrides",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("set_by", sa.String(length=320), nullable=False),
        sa.Column("set_at", backend.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", "team_id", name=op.f("pk_limit_overrides")),
    )
    op.create_table(
        "sheets_usage",
        sa.Column("bucket", sa.String(length=255), nullable=False),
        sa.Column("window_start", backend.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", "window_start", "team_id", name=op.f("pk_sheets_usage")),
    )


def downgrade() -> None:
    op.drop_table("sheets_usage")
    op.drop_table("limit_overrides")
