"""a tab refused for good (too big for its spreadsheet): what the refusal was decided on, and when

Revision ID: 0022
Revises: 0020
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.models.base

revision: str = "0022"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sheet_bindings") as batch:
        batch.add_column(sa.Column("refused_for", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("refused_at", backend.models.base.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sheet_bindings") as batch:
        batch.drop_column("refused_at")
        batch.drop_column("refused_for")
