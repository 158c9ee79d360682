"""google oauth states: the server-side half of the add-on's Google OAuth web flow (PKCE verifier)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.models.base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "google_oauth_states",
        sa.Column("state", sa.String(length=128), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("member_email", sa.String(length=320), nullable=False),
        sa.Column("code_verifier_sealed", sa.String(length=1024), nullable=True),
        sa.Column("created_at", backend.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", backend.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", backend.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_google_oauth_states_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("state", name=op.f("pk_google_oauth_states")),
    )
    with op.batch_alter_table("google_oauth_states", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_google_oauth_states_team_id"), ["team_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("google_oauth_states", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_google_oauth_states_team_id"))
    op.drop_table("google_oauth_states")
