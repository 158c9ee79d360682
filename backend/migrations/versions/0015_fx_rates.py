"""exchange rates per team, a team reporting currency, and the shipping the seller is paid counted as revenue

Revision ID: 0015
Revises: 0008
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.models.base

revision: str = "0015"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Shipping income: schemas/fee_pools.json moved these from the logistics pool to revenue.
SHIPPING_INCOME = ("customer_paid_shipping_fee_amount", "shipping_fee_discount_amount")


def upgrade() -> None:
    op.create_table(
        "fx_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("base", sa.String(length=3), nullable=False),
        sa.Column("quote", sa.String(length=3), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("rate", backend.models.base.Rate(precision=24, scale=12), nullable=False),
        sa.Column("source", sa.String(length=320), nullable=False),
        sa.Column("created_at", backend.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_fx_rates_team_id_teams"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fx_rates")),
        sa.UniqueConstraint("team_id", "base", "quote", "day", name=op.f("uq_fx_rates_team_id_base_quote_day")),
    )
    with op.batch_alter_table("teams") as batch:
        batch.add_column(sa.Column("reporting_currency", sa.String(length=3), nullable=True))
    fee_lines = sa.table("fee_lines", sa.column("kind"), sa.column("pool"), sa.column("category"))
    # Lines stored before 0003 gave every line category "fee", revenue lines too; revenue now tells income
    # stored with a cost's sign (a non-revenue category in the revenue pool) from revenue lines by category.
    op.execute(
        fee_lines.update()
        .where(fee_lines.c.pool == "revenue", fee_lines.c.category == "fee", fee_lines.c.kind.not_in(SHIPPING_INCOME))
        .values(category="revenue")
    )
    op.execute(fee_lines.update().where(fee_lines.c.kind.in_(SHIPPING_INCOME)).values(pool="revenue"))


def downgrade() -> None:
    fee_lines = sa.table("fee_lines", sa.column("kind"), sa.column("pool"))
    op.execute(fee_lines.update().where(fee_lines.c.kind.in_(SHIPPING_INCOME)).values(pool="logistics"))
    with op.batch_alter_table("teams") as batch:
        batch.drop_column("reporting_currency")
    op.drop_table("fx_rates")
