"""the orders changed since each team's last stock pass, so a team's spreadsheets share one pass

Revision ID: 0023
Revises: 0024
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stock_changes",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_stock_changes_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("team_id", "order_id", name=op.f("pk_stock_changes")),
    )
    # What the tabs still have to re-read, the next stock pass must cover too (it was run per tab until now).
    changes = sa.table("sheet_changes", sa.column("binding_id"), sa.column("order_id"))
    tabs = sa.table("sheet_bindings", sa.column("id"), sa.column("spreadsheet_id"))
    files = sa.table("spreadsheets", sa.column("id"), sa.column("team_id"))
    noted = sa.table("stock_changes", sa.column("team_id"), sa.column("order_id"), sa.column("version"))
    pending = (
        sa.select(files.c.team_id, changes.c.order_id, sa.literal(1))
        .select_from(
            changes.join(tabs, tabs.c.id == changes.c.binding_id).join(files, files.c.id == tabs.c.spreadsheet_id)
        )
        .distinct()
    )
    op.execute(noted.insert().from_select(["team_id", "order_id", "version"], pending))


def downgrade() -> None:
    op.drop_table("stock_changes")
