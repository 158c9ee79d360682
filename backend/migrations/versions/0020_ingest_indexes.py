"""orders store faster: two indexes that repeated a unique index's first column dropped; the payload kept
in the row, compressed with LZ4

Every order line and package a sync stored updated the two indexes; the unique indexes on (order_id,
external_id) and (shop_id, external_id) serve every lookup by their first column. An order's payload
(~3 KB of JSON, ~1.7 KB compressed) made most rows pass PostgreSQL's 2 KB threshold, so each went to
the TOAST table (a second row and index entry per order, written and read back); STORAGE MAIN keeps it
compressed in the row, LZ4 compresses and decompresses it several times faster than the default. Both
apply to values written from now on; SQLite has neither.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("order_lines") as batch:
        batch.drop_index("ix_order_lines_order_id")
    with op.batch_alter_table("packages") as batch:
        batch.drop_index("ix_packages_shop_id")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE orders ALTER COLUMN raw SET STORAGE MAIN")
        if _has_lz4():
            op.execute("ALTER TABLE orders ALTER COLUMN raw SET COMPRESSION lz4")


def _has_lz4() -> bool:
    """Whether this server was built with LZ4 (Debian's, Cloud SQL's and most are)."""
    settings = sa.table("pg_settings", sa.column("name"), sa.column("enumvals", postgresql.ARRAY(sa.Text)))
    choices = op.get_bind().scalar(sa.select(settings.c.enumvals).where(settings.c.name == "default_toast_compression"))
    return "lz4" in (choices or [])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE orders ALTER COLUMN raw SET STORAGE EXTENDED")
        op.execute("ALTER TABLE orders ALTER COLUMN raw SET COMPRESSION DEFAULT")
    with op.batch_alter_table("packages") as batch:
        batch.create_index("ix_packages_shop_id", ["shop_id"], unique=False)
    with op.batch_alter_table("order_lines") as batch:
        batch.create_index("ix_order_lines_order_id", ["order_id"], unique=False)
