"""Sync health per shop: the reconciliation report the sidebar and `shop status` show.

"Missed by webhook" counts orders a scheduled sync found changed that no webhook had announced —
the measure of how much the webhook path alone would have lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from backend.models import FailedItem, Shop, SyncRun, WebhookEvent, utcnow
from backend.platforms import registry

WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class ShopHealth:
    shop_id: int
    name: str
    platform: str  # the sales channel, as a person reads it
    region: str
    status: str
    status_reason: str | None
    last_synced_at: datetime | None
    lag_seconds: int | None
    missed_by_webhook_7d: int
    webhooks_7d: int
    failed_items_7d: int
    last_failure: str | None  # why the newest of those payloads could not be used
    last_error: str | None
    after_sales_problem: str | None = None  # e.g. "reauthorization needed for after-sales": the rest works

    @property
    def needs_reauthorization(self) -> bool:
        return self.status != "active"


def team_health(session: Session, team_id: int, now: datetime | None = None) -> list[ShopHealth]:
    """One row per shop of the team, newest figures over the last seven days."""
    now = now or utcnow()
    since = now - WINDOW
    shops = session.scalars(select(Shop).where(Shop.team_id == team_id).order_by(Shop.id)).all()
    ids = [s.id for s in shops]
    missed = _per_shop(
        session,
        select(SyncRun.shop_id, func.sum(SyncRun.missed_by_webhook_count))
        .where(SyncRun.shop_id.in_(ids), SyncRun.started_at >= since)
        .group_by(SyncRun.shop_id),
    )
    webhooks = _per_shop(
        session,
        select(WebhookEvent.shop_id, func.count())
        .where(WebhookEvent.shop_id.in_(ids), WebhookEvent.received_at >= since)
        .group_by(WebhookEvent.shop_id),
    )
    failed = _per_shop(
        session,
        select(FailedItem.shop_id, func.count())
        .where(FailedItem.shop_id.in_(ids), FailedItem.recorded_at >= since)
        .group_by(FailedItem.shop_id),
    )
    errors = last_sync_errors(session, ids)
    latest = (
        select(func.max(FailedItem.id))
        .where(FailedItem.shop_id.in_(ids), FailedItem.recorded_at >= since)
        .group_by(FailedItem.shop_id)
    )
    failures = dict(
        session.execute(select(FailedItem.shop_id, FailedItem.reason).where(FailedItem.id.in_(latest))).all()
    )
    rows = []
    for shop in shops:
        rows.append(
            ShopHealth(
                shop_id=shop.id,
                name=shop.name,
                platform=registry.channel(shop.platform).label,
                region=shop.region,
                status=shop.status,
                status_reason=shop.status_reason,
                last_synced_at=shop.last_synced_at,
                lag_seconds=int((now - shop.last_synced_at).total_seconds()) if shop.last_synced_at else None,
                missed_by_webhook_7d=int(missed.get(shop.id, 0)),
                webhooks_7d=int(webhooks.get(shop.id, 0)),
                failed_items_7d=int(failed.get(shop.id, 0)),
                last_failure=failures.get(shop.id),
                last_error=errors.get(shop.id),
                after_sales_problem=shop.after_sales_problem,
            )
        )
    return rows


def last_sync_errors(session: Session, shop_ids: Sequence[int]) -> dict[int, str | None]:
    """Shop id → the error of its latest failed sync run (shops that never failed are absent), in one query."""
    latest = (
        select(func.max(SyncRun.id))
        .where(SyncRun.shop_id.in_(shop_ids), SyncRun.status == "failed")
        .group_by(SyncRun.shop_id)
    )
    return {
        shop_id: error
        for shop_id, error in session.execute(select(SyncRun.shop_id, SyncRun.error).where(SyncRun.id.in_(latest)))
    }


def _per_shop(session: Session, statement: Select[Any, Any]) -> dict[int, int]:
    return {shop_id: int(n or 0) for shop_id, n in session.execute(statement) if shop_id is not None}
