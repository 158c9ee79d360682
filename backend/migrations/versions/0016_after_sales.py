"""after-sales: cases (cancellations, returns, refunds, replacements), their history and the team's decisions

`after_sale_cases` holds each request as the platform sends it, `after_sale_events` its status history
and decisions, `case_inputs` what the team decided (never written by a sync). Shops get their own
after-sales sync position and a place to say their authorization lacks the after-sales permission;
teams get the refund amounts (per currency) above which finance approves.

Revision ID: 0016
Revises: 0018
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import backend.models.base

revision: str = "0016"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
TIME = backend.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "after_sale_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("order_external_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("platform_status", sa.String(length=48), nullable=False),
        sa.Column("initiator", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=255), nullable=False),
        sa.Column("buyer_words", sa.Text(), nullable=True),
        sa.Column("platform_create_time", TIME, nullable=False),
        sa.Column("platform_update_time", TIME, nullable=False),
        sa.Column("step", sa.String(length=24), nullable=True),
        sa.Column("deadline_at", TIME, nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("refund_total", backend.models.base.Money(precision=18, scale=4), nullable=True),
        sa.Column("items", JSON, nullable=False),
        sa.Column("return_tracking", sa.String(length=128), nullable=True),
        sa.Column("raw", JSON, nullable=False),
        sa.Column("reject_reasons", JSON, nullable=False),
        sa.Column("reasons_step", sa.String(length=24), nullable=True),
        sa.Column("ingested_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_after_sale_cases_order_id_orders"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_after_sale_cases_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_after_sale_cases")),
        sa.UniqueConstraint(
            "shop_id", "kind", "external_id", name=op.f("uq_after_sale_cases_shop_id_kind_external_id")
        ),
    )
    with op.batch_alter_table("after_sale_cases", schema=None) as batch_op:
        batch_op.create_index("ix_after_sale_cases_order", ["order_id"], unique=False)
        batch_op.create_index("ix_after_sale_cases_shop_status", ["shop_id", "status"], unique=False)
    op.create_table(
        "after_sale_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("from_status", sa.String(length=32), nullable=True),
        sa.Column("to_status", sa.String(length=32), nullable=True),
        sa.Column("occurred_at", TIME, nullable=False),
        sa.Column("recorded_at", TIME, nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("actor_role", sa.String(length=32), nullable=True),
        sa.Column("detail", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["after_sale_cases.id"],
            name=op.f("fk_after_sale_events_case_id_after_sale_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_after_sale_events")),
    )
    with op.batch_alter_table("after_sale_events", schema=None) as batch_op:
        batch_op.create_index("ix_after_sale_events_case", ["case_id"], unique=False)
    op.create_table(
        "case_inputs",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("reject_reason", sa.String(length=255), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=24), nullable=True),
        sa.Column("step", sa.String(length=24), nullable=True),
        sa.Column("idempotency_key", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=1024), nullable=True),
        sa.Column("decided_by", sa.String(length=320), nullable=True),
        sa.Column("decided_at", TIME, nullable=True),
        sa.Column("approved_by", sa.String(length=320), nullable=True),
        sa.Column("updated_by", sa.String(length=320), nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["after_sale_cases.id"],
            name=op.f("fk_case_inputs_case_id_after_sale_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_inputs")),
    )
    with op.batch_alter_table("shops", schema=None) as batch_op:
        batch_op.add_column(sa.Column("after_sales_watermark", TIME, nullable=True))
        batch_op.add_column(sa.Column("after_sales_synced_at", TIME, nullable=True))
        batch_op.add_column(sa.Column("after_sales_problem", sa.String(length=1024), nullable=True))
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(sa.Column("refund_limits", JSON, nullable=False, server_default="{}"))
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.alter_column("refund_limits", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_column("refund_limits")
    with op.batch_alter_table("shops", schema=None) as batch_op:
        batch_op.drop_column("after_sales_problem")
        batch_op.drop_column("after_sales_synced_at")
        batch_op.drop_column("after_sales_watermark")
    op.drop_table("case_inputs")
    with op.batch_alter_table("after_sale_events", schema=None) as batch_op:
        batch_op.drop_index("ix_after_sale_events_case")
    op.drop_table("after_sale_events")
    with op.batch_alter_table("after_sale_cases", schema=None) as batch_op:
        batch_op.drop_index("ix_after_sale_cases_shop_status")
        batch_op.drop_index("ix_after_sale_cases_order")
    op.drop_table("after_sale_cases")
