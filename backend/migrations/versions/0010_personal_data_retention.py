"""personal data retention: a team's number of days, and when an order's personal data was masked

Revision ID: 0010
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("teams") as batch:
        batch.add_column(sa.Column("retention_days", sa.Integer(), nullable=False, server_default="90"))
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("personal_masked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("personal_masked_at")
    with op.batch_alter_table("teams") as batch:
        batch.drop_column("retention_days")
