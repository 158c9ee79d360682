"""platform seam: neutral shop reference columns, neutral shipping type, single-use consent states

`shops.cipher` (TikTok's shop_cipher) becomes `shops.shop_ref` and `shops.open_id` (TikTok's open_id)
becomes `shops.grant_id`, so a Shopee shop's ids fit the same columns; an order's shipping type TIKTOK
becomes PLATFORM (the platform's own logistics, whichever platform); and `consent_states` keeps the
hash of every seller-consent state, used once.

Revision ID: 0012
Revises: 0009
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.models.base

revision: str = "0012"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORDERS = sa.table("orders", sa.column("shipping_type", sa.String(length=16)))


def _shipping_type(old: str, new: str) -> None:
    op.execute(ORDERS.update().where(ORDERS.c.shipping_type == old).values(shipping_type=new))


def _rename(old_name: str, new_name: str, old_index: str, new_index: str) -> None:
    """A plain column rename, not a batch copy: on SQLite a copy of `shops` would drop the old table, and
    with foreign keys on, that deletes every order of every shop (ON DELETE CASCADE)."""
    op.drop_index(old_index, table_name="shops")
    op.alter_column("shops", old_name, new_column_name=new_name, existing_type=sa.String(length=128))
    op.create_index(new_index, "shops", [new_name], unique=False)


def upgrade() -> None:
    op.alter_column("shops", "cipher", new_column_name="shop_ref", existing_type=sa.String(length=128))
    _rename("open_id", "grant_id", "ix_shops_open_id", "ix_shops_grant_id")
    _shipping_type("TIKTOK", "PLATFORM")
    op.create_table(
        "consent_states",
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("started_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", backend.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", backend.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", backend.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_consent_states_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("state_hash", name=op.f("pk_consent_states")),
    )
    with op.batch_alter_table("consent_states", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consent_states_team_id"), ["team_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("consent_states", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_states_team_id"))
    op.drop_table("consent_states")
    _shipping_type("PLATFORM", "TIKTOK")
    op.alter_column("shops", "shop_ref", new_column_name="cipher", existing_type=sa.String(length=128))
    _rename("grant_id", "open_id", "ix_shops_grant_id", "ix_shops_open_id")
