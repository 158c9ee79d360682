"""platform payloads stored as json, not jsonb, on PostgreSQL

An order's or an after-sales case's payload is kept as received and only read back whole; jsonb parsed
each ~3 KB payload into its binary form on every write (about a sixth of the server's CPU storing a sync
page) and rendered it back to text on every read. json keeps the text as it came (and takes a \\u0000
escape, which jsonb refused with the whole page). A type change resets a column's storage and
compression, so orders' STORAGE MAIN and LZ4 (0020) are set again. SQLite's JSON is text already.

Revision ID: 0024
Revises: 0022
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    _retype(
        "ALTER TABLE orders ALTER COLUMN raw TYPE json USING raw::json",
        "ALTER TABLE after_sale_cases ALTER COLUMN raw TYPE json USING raw::json",
    )


def downgrade() -> None:
    _retype(
        "ALTER TABLE orders ALTER COLUMN raw TYPE jsonb USING raw::jsonb",
        "ALTER TABLE after_sale_cases ALTER COLUMN raw TYPE jsonb USING raw::jsonb",
    )


def _retype(*statements: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    attributes = sa.table("pg_attribute", sa.column("attrelid"), sa.column("attname"), sa.column("attcompression"))
    lz4 = bind.scalar(
        sa.select(attributes.c.attcompression).where(
            attributes.c.attrelid == sa.func.to_regclass("orders"), attributes.c.attname == "raw"
        )
    ) == "l"  # fmt: skip
    for statement in statements:
        op.execute(statement)
    op.execute("ALTER TABLE orders ALTER COLUMN raw SET STORAGE MAIN")
    if lz4:
        op.execute("ALTER TABLE orders ALTER COLUMN raw SET COMPRESSION lz4")
