"""how an exception case ended (its outcome); the team's language and a spreadsheet's own

Revision ID: 0019
Revises: 0017
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("teams") as batch:
        batch.add_column(sa.Column("language", sa.String(length=16), server_default="en", nullable=False))
    with op.batch_alter_table("spreadsheets") as batch:
        batch.add_column(sa.Column("language", sa.String(length=16), nullable=True))
    with op.batch_alter_table("exception_cases") as batch:
        batch.add_column(sa.Column("outcome", sa.String(length=32), nullable=True))
    # Cases the system closed before outcomes existed were closed because their cause went away.
    cases = sa.table("exception_cases", sa.column("outcome"), sa.column("status"), sa.column("resolved_by"))
    op.execute(
        cases.update().where(cases.c.status == "resolved", cases.c.resolved_by == "system").values(outcome="automatic")
    )


def downgrade() -> None:
    with op.batch_alter_table("spreadsheets") as batch:
        batch.drop_column("language")
    with op.batch_alter_table("teams") as batch:
        batch.drop_column("language")
    with op.batch_alter_table("exception_cases") as batch:
        batch.drop_column("outcome")
