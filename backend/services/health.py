"""Sync health per shop: the reconciliation report the sidebar and `shop status` show.

"Missed by webhook" counts orders a scheduled sync found changed that no webhook had announced —
the measure of how much the webhook path alone would have lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from backend.models import FailedItem, Shop, SyncRun, WebhookEvent, utcnow

WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class ShopHealth:
    shop_id: int
    name: str
    region: str
    status: str
    status_reason: str | None
    last_synced_at: datetime | None
    lag_seconds: int | None
    missed_by_webhook_7d: int
    webhooks_7d: int
    failed_items_7d: int
    last_error: str | None

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
    rows = []
    for shop in shops:
        last_error = session.scalar(
            select(SyncRun.error)
            .where(SyncRun.shop_id == shop.id, SyncRun.status == "failed")
            .order_by(SyncRun.id.desc())
            .limit(1)
        )
        rows.append(
            ShopHealth(
                shop_id=shop.id,
                name=shop.name,
                region=shop.region,
                status=shop.status,
                status_reason=shop.status_reason,
                last_synced_at=shop.last_synced_at,
                lag_seconds=int((now - shop.last_synced_at).total_seconds()) if shop.last_synced_at else None,
                missed_by_webhook_7d=int(missed.get(shop.id, 0)),
                webhooks_7d=int(webhooks.get(shop.id, 0)),
                failed_items_7d=int(failed.get(shop.id, 0)),
                last_error=last_error,
            )
        )
    return rows


def _per_shop(session: Session, statement: Select[Any, Any]) -> dict[int, int]:
    return {shop_id: int(n or 0) for shop_id, n in session.execute(statement) if shop_id is not None}
