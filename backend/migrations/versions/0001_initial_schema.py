"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import backend.models.base

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column("expires_at", backend.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
    )
    op.create_table(
        "rate_windows",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("window_start", backend.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start", name=op.f("pk_rate_windows")),
    )
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("created_at", backend.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("name", name=op.f("uq_teams_name")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=False),
        sa.Column("target_id", sa.String(length=128), nullable=True),
        sa.Column(
            "detail",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("at", backend.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_audit_log_team_id_teams"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_team_at", ["team_id", "at"], unique=False)

    op.create_table(
        "bind_challenges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("google_id", sa.String(length=128), nullable=False),
        sa.Column("member_email", sa.String(length=320), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("expires_at", backend.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", backend.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_bind_challenges_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bind_challenges")),
        sa.UniqueConstraint("nonce", name=op.f("uq_bind_challenges_nonce")),
    )
    op.create_table(
        "column_profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("audience_role", sa.String(length=32), nullable=False),
        sa.Column(
            "definition",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", backend.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_column_profiles_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_column_profiles")),
        sa.UniqueConstraint("team_id", "key", name=op.f("uq_column_profiles_team_id_key")),
    )
    with op.batch_alter_table("column_profiles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_column_profiles_team_id"), ["team_id"], unique=False)

    op.create_table(
        "google_connections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("refresh_token_sealed", sa.String(length=2048), nullable=False),
        sa.Column("scopes", sa.String(length=1024), nullable=False),
        sa.Column("connected_by", sa.String(length=320), nullable=False),
        sa.Column("connected_at", backend.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", backend.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_google_connections_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_google_connections")),
        sa.UniqueConstraint("team_id", name=op.f("uq_google_connections_team_id")),
    )
    op.create_table(
        "members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=True),
        sa.Column("created_at", backend.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_members_team_id_teams"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members")),
        sa.UniqueConstraint("team_id", "email", name=op.f("uq_members_team_id_email")),
    )
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_members_team_id"), ["team_id"], unique=False)

    op.create_table(
        "shops",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("cipher", sa.String(length=128), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("region", sa.String(length=8), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("seller_name", sa.String(length=255), nullable=True),
        sa.Column("open_id", sa.String(length=128), nullable=True),
        sa.Column("access_token_sealed", sa.String(length=2048), nullable=True),
        sa.Column("access_token_expires_at", backend.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("refresh_token_sealed", sa.String(length=2048), nullable=True),
        sa.Column("refresh_token_expires_at", backend.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("status_reason", sa.String(length=1024), nullable=True),
        sa.Column("sync_watermark", backend.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_synced_at", backend.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("webhook_subscribed_at", backend.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", backend.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_shops_team_id_teams"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shops")),
        sa.UniqueConstraint("platform", "external_id", name=op.f("uq_shops_platform_external_id")),
    )
    with op.batch_alter_table("shops", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shops_team_id"), ["team_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_shops_open_id"), ["open_id"], unique=False)

    op.create_table(
        "sku_costs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("seller_sku", sa.String(length=128), nullable=False),
        sa.Column("unit_cost", backend.models.base.Money(precision=18, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("entered_by", sa.String(length=320), nullable=True),
        sa.Column("created_at", backend.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_sku_costs_team_id_teams"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sku_costs")),
        sa.UniqueConstraint(
            "team_id",
            "seller_sku",
            "effective_from",
            name=op.f("uq_sku_costs_team_id_seller_sku_effective_from"),
        ),
    )
    with op.batch_alter_table("sku_costs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sku_costs_team_id"), ["team_id"], unique=False)

    op.create_table(
        "spreadsheets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("google_id", sa.String(length=128), nullable=False),
        sa.Column("audience_role", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=True),
        sa.Column("proven_at", backend.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("proven_by", sa.String(length=320), nullable=True),
        sa.Column("sharing_checked_at", backend.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sharing_problem", sa.String(length=1024), nullable=True),
        sa.Column("created_at", backend.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_spreadsheets_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spreadsheets")),
        sa.UniqueConstraint("google_id", name=op.f("uq_spreadsheets_google_id")),
    )
    with op.batch_alter_table("spreadsheets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_spreadsheets_team_id"), ["team_id"], unique=False)

    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("platform_update_time", backend.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("platform_create_time", backend.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("paid_at", backend.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rts_at", backend.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("collection_at", backend.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("delivery_at", backend.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancel_at", backend.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rts_sla_at", backend.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("tts_sla_at", backend.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("delivery_sla_at", backend.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancel_order_sla_at", backend.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("shipping_due_at", backend.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("collection_due_at", backend.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("delivery_due_at", backend.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("pick_up_cut_off_at", backend.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("fast_dispatch_sla_at", backend.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("recommended_shipping_at", backend.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("is_on_hold", sa.Boolean(), nullable=False),
        sa.Column("cancel_reason", sa.String(length=255), nullable=True),
        sa.Column("cancellation_initiator", sa.String(length=32), nullable=True),
        sa.Column("is_buyer_request_cancel", sa.Boolean(), nullable=False),
        sa.Column("fulfillment_type", sa.String(length=48), nullable=True),
        sa.Column("shipping_type", sa.String(length=16), nullable=True),
        sa.Column("delivery_option_name", sa.String(length=255), nullable=True),
        sa.Column("shipping_provider", sa.String(length=255), nullable=True),
        sa.Column("shipping_provider_id", sa.String(length=64), nullable=True),
        sa.Column("tracking_number", sa.String(length=128), nullable=True),
        sa.Column("warehouse_id", sa.String(length=64), nullable=True),
        sa.Column("buyer_message", sa.Text(), nullable=True),
        sa.Column("seller_note", sa.Text(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("subtotal", backend.models.base.Money(precision=18, scale=4), nullable=True),
        sa.Column("shipping_fee", backend.models.base.Money(precision=18, scale=4), nullable=True),
        sa.Column("seller_discount", backend.models.base.Money(precision=18, scale=4), nullable=True),
        sa.Column("platform_discount", backend.models.base.Money(precision=18, scale=4), nullable=True),
        sa.Column("tax", backend.models.base.Money(precision=18, scale=4), nullable=True),
        sa.Column("total_amount", backend.models.base.Money(precision=18, scale=4), nullable=True),
        sa.Column("original_total_product_price", backend.models.base.Money(precision=18, scale=4), nullable=True),
        sa.Column("original_shipping_fee", backend.models.base.Money(precision=18, scale=4), nullable=True),
        sa.Column("buyer_user_id", sa.String(length=64), nullable=True),
        sa.Column("recipient_name", sa.String(length=255), nullable=True),
        sa.Column("recipient_phone", sa.String(length=64), nullable=True),
        sa.Column("recipient_address", sa.Text(), nullable=True),
        sa.Column("recipient_postal_code", sa.String(length=32), nullable=True),
        sa.Column("recipient_region_code", sa.String(length=8), nullable=True),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("ingested_at", backend.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", backend.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_orders_shop_id_shops"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("shop_id", "external_id", name=op.f("uq_orders_shop_id_external_id")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index("ix_orders_shop_status", ["shop_id", "status"], unique=False)
        batch_op.create_index("ix_orders_shop_updated", ["shop_id", "platform_update_time"], unique=False)

    op.create_table(
        "packages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=True),
        sa.Column("tracking_number", sa.String(length=128), nullable=True),
        sa.Column("shipping_provider_id", sa.String(length=64), nullable=True),
        sa.Column("shipping_provider_name", sa.String(length=255), nullable=True),
        sa.Column("shipped_at", backend.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_packages_shop_id_shops"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_packages")),
        sa.UniqueConstraint("shop_id", "external_id", name=op.f("uq_packages_shop_id_external_id")),
    )
    with op.batch_alter_table("packages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_packages_shop_id"), ["shop_id"], unique=False)

    op.create_table(
        "sheet_bindings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("spreadsheet_id", sa.Integer(), nullable=False),
        sa.Column("tab_title", sa.String(length=100), nullable=False),
        sa.Column("sheet_gid", sa.Integer(), nullable=True),
        sa.Column("profile_key", sa.String(length=64), nullable=False),
        sa.Column(
            "shop_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("dirty", sa.Boolean(), nullable=False),
        sa.Column("dirty_since", backend.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_pushed_at", backend.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_push_error", sa.String(length=2048), nullable=True),
        sa.Column("created_at", backend.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["spreadsheet_id"],
            ["spreadsheets.id"],
            name=op.f("fk_sheet_bindings_spreadsheet_id_spreadsheets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sheet_bindings")),
        sa.UniqueConstraint("spreadsheet_id", "tab_title", name=op.f("uq_sheet_bindings_spreadsheet_id_tab_title")),
    )
    with op.batch_alter_table("sheet_bindings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sheet_bindings_dirty"), ["dirty"], unique=False)
        batch_op.create_index(batch_op.f("ix_sheet_bindings_spreadsheet_id"), ["spreadsheet_id"], unique=False)

    op.create_table(
        "sync_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("started_at", backend.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", backend.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("window_from", backend.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("window_to", backend.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("new_count", sa.Integer(), nullable=False),
        sa.Column("updated_count", sa.Integer(), nullable=False),
        sa.Column("unchanged_count", sa.Integer(), nullable=False),
        sa.Column("failed_count", sa.Integer(), nullable=False),
        sa.Column("missed_by_webhook_count", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=2048), nullable=True),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_sync_runs_shop_id_shops"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_runs")),
    )
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sync_runs_shop_id"), ["shop_id"], unique=False)

    op.create_table(
        "webhook_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("notification_id", sa.String(length=64), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=True),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("order_external_id", sa.String(length=64), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("received_at", backend.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=2048), nullable=True),
        sa.Column("processed_at", backend.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_webhook_events_shop_id_shops"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_events")),
        sa.UniqueConstraint("platform", "notification_id", name=op.f("uq_webhook_events_platform_notification_id")),
    )
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.create_index("ix_webhook_events_status", ["status", "received_at"], unique=False)

    op.create_table(
        "exception_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("template_key", sa.String(length=64), nullable=False),
        sa.Column("handler_role", sa.String(length=32), nullable=False),
        sa.Column(
            "fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("raised_by", sa.String(length=320), nullable=False),
        sa.Column("raised_at", backend.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", backend.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=320), nullable=True),
        sa.Column("resolved_at", backend.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.String(length=2048), nullable=True),
        sa.Column("dedupe_key", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_exception_cases_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_exception_cases_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exception_cases")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_exception_cases_dedupe_key")),
    )
    with op.batch_alter_table("exception_cases", schema=None) as batch_op:
        batch_op.create_index("ix_exception_cases_open", ["team_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_exception_cases_order_id"), ["order_id"], unique=False)

    op.create_table(
        "failed_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("sync_run_id", sa.Integer(), nullable=True),
        sa.Column("external_id", sa.String(length=64), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=2048), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("recorded_at", backend.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_failed_items_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["sync_run_id"],
            ["sync_runs.id"],
            name=op.f("fk_failed_items_sync_run_id_sync_runs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_failed_items")),
    )
    with op.batch_alter_table("failed_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_failed_items_shop_id"), ["shop_id"], unique=False)

    op.create_table(
        "fee_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("pool", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=96), nullable=False),
        sa.Column("amount", backend.models.base.Money(precision=18, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("basis", sa.String(length=16), nullable=False),
        sa.Column("statement_id", sa.String(length=64), nullable=True),
        sa.Column("transaction_id", sa.String(length=64), nullable=True),
        sa.Column("settled_at", backend.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_fee_lines_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_lines")),
    )
    with op.batch_alter_table("fee_lines", schema=None) as batch_op:
        batch_op.create_index("ix_fee_lines_order_basis", ["order_id", "basis"], unique=False)

    op.create_table(
        "order_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("from_status", sa.String(length=32), nullable=True),
        sa.Column("to_status", sa.String(length=32), nullable=True),
        sa.Column("occurred_at", backend.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", backend.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("actor_role", sa.String(length=32), nullable=True),
        sa.Column(
            "detail",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_events_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_events")),
    )
    with op.batch_alter_table("order_events", schema=None) as batch_op:
        batch_op.create_index("ix_order_events_order_kind", ["order_id", "kind"], unique=False)

    op.create_table(
        "order_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("sku_id", sa.String(length=64), nullable=False),
        sa.Column("product_id", sa.String(length=64), nullable=True),
        sa.Column("seller_sku", sa.String(length=128), nullable=True),
        sa.Column("product_name", sa.String(length=512), nullable=False),
        sa.Column("sku_name", sa.String(length=512), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("original_price", backend.models.base.Money(precision=18, scale=4), nullable=True),
        sa.Column("sale_price", backend.models.base.Money(precision=18, scale=4), nullable=True),
        sa.Column("seller_discount", backend.models.base.Money(precision=18, scale=4), nullable=True),
        sa.Column("platform_discount", backend.models.base.Money(precision=18, scale=4), nullable=True),
        sa.Column("display_status", sa.String(length=32), nullable=True),
        sa.Column("package_external_id", sa.String(length=64), nullable=True),
        sa.Column("tracking_number", sa.String(length=128), nullable=True),
        sa.Column("shipping_provider_name", sa.String(length=255), nullable=True),
        sa.Column("cancel_reason", sa.String(length=255), nullable=True),
        sa.Column("is_gift", sa.Boolean(), nullable=False),
        sa.Column(
            "combined_listing_skus",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_lines_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_lines")),
        sa.UniqueConstraint("order_id", "external_id", name=op.f("uq_order_lines_order_id_external_id")),
    )
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_lines_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_order_lines_seller_sku"), ["seller_sku"], unique=False)

    op.create_table(
        "order_packages",
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("package_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_packages_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["package_id"],
            ["packages.id"],
            name=op.f("fk_order_packages_package_id_packages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("order_id", "package_id", name=op.f("pk_order_packages")),
    )


def downgrade() -> None:

    op.drop_table("order_packages")
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_lines_seller_sku"))
        batch_op.drop_index(batch_op.f("ix_order_lines_order_id"))

    op.drop_table("order_lines")
    with op.batch_alter_table("order_events", schema=None) as batch_op:
        batch_op.drop_index("ix_order_events_order_kind")

    op.drop_table("order_events")
    with op.batch_alter_table("fee_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_fee_lines_order_basis")

    op.drop_table("fee_lines")
    with op.batch_alter_table("failed_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_failed_items_shop_id"))

    op.drop_table("failed_items")
    with op.batch_alter_table("exception_cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exception_cases_order_id"))
        batch_op.drop_index("ix_exception_cases_open")

    op.drop_table("exception_cases")
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_events_status")

    op.drop_table("webhook_events")
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_runs_shop_id"))

    op.drop_table("sync_runs")
    with op.batch_alter_table("sheet_bindings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sheet_bindings_spreadsheet_id"))
        batch_op.drop_index(batch_op.f("ix_sheet_bindings_dirty"))

    op.drop_table("sheet_bindings")
    with op.batch_alter_table("packages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_packages_shop_id"))

    op.drop_table("packages")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_shop_updated")
        batch_op.drop_index("ix_orders_shop_status")

    op.drop_table("orders")
    with op.batch_alter_table("spreadsheets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_spreadsheets_team_id"))

    op.drop_table("spreadsheets")
    with op.batch_alter_table("sku_costs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sku_costs_team_id"))

    op.drop_table("sku_costs")
    with op.batch_alter_table("shops", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shops_open_id"))
        batch_op.drop_index(batch_op.f("ix_shops_team_id"))

    op.drop_table("shops")
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_members_team_id"))

    op.drop_table("members")
    op.drop_table("google_connections")
    with op.batch_alter_table("column_profiles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_column_profiles_team_id"))

    op.drop_table("column_profiles")
    op.drop_table("bind_challenges")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_team_at")

    op.drop_table("audit_log")
    op.drop_table("teams")
    op.drop_table("rate_windows")
    op.drop_table("leases")
