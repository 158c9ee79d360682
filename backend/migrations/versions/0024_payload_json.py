"""platform payloads stored as json, not jsonb, on PostgreSQL

An order's or an after-sales case's payload is kept as received and only read back whole; jsonb parsed
each ~3 KB payload into its binary form on every write (about a sixth of the server's CPU storing a sync
page) and rendered it back to text on every read. json keeps the text as it came. A type change resets
a column's storage and compression, so what each column had (orders': 0020's STORAGE MAIN and LZ4) is
set again. SQLite's JSON is text already.

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

TABLES = ("orders", "after_sale_cases")


def upgrade() -> None:
    _retype("json")


def downgrade() -> None:
    _retype("jsonb")


STORAGE = {"p": "PLAIN", "e": "EXTERNAL", "m": "MAIN", "x": "EXTENDED"}
COMPRESSION = {"p": "pglz", "l": "lz4"}


def _retype(kind: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    attributes = sa.table(
        "pg_attribute",
        sa.column("attrelid"),
        sa.column("attname"),
        sa.column("attstorage"),
        sa.column("attcompression"),
    )
    for table in TABLES:
        storage, compression = bind.execute(
            sa.select(attributes.c.attstorage, attributes.c.attcompression).where(
                attributes.c.attrelid == sa.func.to_regclass(table), attributes.c.attname == "raw"
            )
        ).one()
        op.execute(f"ALTER TABLE {table} ALTER COLUMN raw TYPE {kind} USING raw::{kind}")
        op.execute(f"ALTER TABLE {table} ALTER COLUMN raw SET STORAGE {STORAGE[storage]}")
        if compression in COMPRESSION:
            op.execute(f"ALTER TABLE {table} ALTER COLUMN raw SET COMPRESSION {COMPRESSION[compression]}")
