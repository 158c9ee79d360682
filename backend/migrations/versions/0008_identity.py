"""identity: invitations to join a team, Google connections waiting for the admin's confirmation, and who
installed each spreadsheet's edit trigger

Revision ID: 0008
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.models.base

revision: str = "0008"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("invited_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", backend.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", backend.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_invitations_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("team_id", "email", name=op.f("uq_invitations_team_id_email")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitations_token_hash")),
    )
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invitations_email"), ["email"], unique=False)
        batch_op.create_index(batch_op.f("ix_invitations_team_id"), ["team_id"], unique=False)

    with op.batch_alter_table("google_oauth_states", schema=None) as batch_op:
        batch_op.add_column(sa.Column("account_email", sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column("refresh_token_sealed", sa.String(length=2048), nullable=True))
        batch_op.add_column(sa.Column("scopes", sa.String(length=1024), nullable=True))
        batch_op.add_column(sa.Column("confirm_by", backend.models.base.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table("spreadsheets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("edits_trigger_by", sa.String(length=320), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("spreadsheets", schema=None) as batch_op:
        batch_op.drop_column("edits_trigger_by")

    with op.batch_alter_table("google_oauth_states", schema=None) as batch_op:
        batch_op.drop_column("confirm_by")
        batch_op.drop_column("scopes")
        batch_op.drop_column("refresh_token_sealed")
        batch_op.drop_column("account_email")

    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitations_team_id"))
        batch_op.drop_index(batch_op.f("ix_invitations_email"))
    op.drop_table("invitations")
