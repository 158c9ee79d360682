"""The one idempotent way an after-sales case enters the database, from a sync page or a webhook's re-read.

Keyed on (shop, kind, platform id). A payload older than the stored one is ignored, an identical one
changes nothing, anything else updates the case and records its status change as a CaseEvent. New
cases go in as bulk INSERTs (a first sync is all new cases). Nothing here touches `case_inputs`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import CursorResult, insert, select, update
from sqlalchemy.orm import Session

from backend.db import ALL_ROWS
from backend.models import AfterSaleCase, CaseEvent, Order, Shop
from backend.platforms.base import PlatformCase


@dataclass
class CaseIngest:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0
    changed: list[int] = field(default_factory=list)  # case row ids whose stored data moved

    def add(self, other: CaseIngest) -> None:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.stale += other.stale
        self.changed += other.changed


def _fields(case: PlatformCase, order_id: int | None) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "order_external_id": case.order_id,
        "type": case.type.value,
        "status": case.status.value,
        "platform_status": case.platform_status,
        "initiator": case.initiator[:16],
        "reason": case.reason[:255],
        "buyer_words": case.buyer_words or None,
        "platform_create_time": case.create_time,
        "platform_update_time": case.update_time,
        "step": case.step.value if case.step else None,
        "deadline_at": case.deadline,
        "currency": case.currency[:3],
        "refund_total": case.refund_total,
        "items": [
            {
                "line_id": i.line_id,
                "sku_id": i.sku_id,
                "seller_sku": i.seller_sku,
                "product_name": i.product_name,
                "sku_name": i.sku_name,
                "refund": None if i.refund is None else str(i.refund),
            }
            for i in case.items
        ],
        "return_tracking": case.return_tracking or None,
        "raw": dict(case.raw),
    }


def ingest_cases(session: Session, shop: Shop, cases: Sequence[PlatformCase], *, actor: str = "sync") -> CaseIngest:
    """Upsert a batch of one shop's cases; the caller commits (one transaction per page)."""
    result = CaseIngest()
    if not cases:
        return result
    newest: dict[tuple[str, str], PlatformCase] = {}
    for case in cases:  # the same case twice in a batch: its newest copy counts
        key = (case.kind, case.case_id)
        if key in newest:
            result.stale += 1
        if key not in newest or case.update_time >= newest[key].update_time:
            newest[key] = case
    stored = {
        (c.kind, c.external_id): c
        for c in session.scalars(
            select(AfterSaleCase).where(
                AfterSaleCase.shop_id == shop.id, AfterSaleCase.external_id.in_({k[1] for k in newest})
            )
        )
    }
    orders = dict(
        session.execute(
            select(Order.external_id, Order.id).where(
                Order.shop_id == shop.id, Order.external_id.in_({c.order_id for c in newest.values()})
            )
        ).all()
    )
    fresh = []
    for key, case in newest.items():
        row = stored.get(key)
        if row is None:
            fresh.append(case)
        elif case.update_time < row.platform_update_time:
            result.stale += 1
        elif row.raw == dict(case.raw) and row.platform_update_time == case.update_time:
            result.unchanged += 1
        else:
            _update(row, case, orders.get(case.order_id), actor)
            result.updated += 1
            result.changed.append(row.id)
    session.flush()
    result.new = len(fresh)
    result.changed += _insert(session, shop, fresh, orders, actor)
    return result


def link_orders(session: Session, shop_id: int) -> int:
    """Point cases that arrived before their order (a webhook can win the race) at the order, now stored."""
    order_id = (
        select(Order.id)
        .where(Order.shop_id == shop_id, Order.external_id == AfterSaleCase.order_external_id)
        .scalar_subquery()
    )
    result = session.execute(
        update(AfterSaleCase)
        .where(AfterSaleCase.shop_id == shop_id, AfterSaleCase.order_id.is_(None))
        .values(order_id=order_id)
        .execution_options(synchronize_session=False)
    )
    return int(cast("CursorResult[Any]", result).rowcount or 0)


def _update(row: AfterSaleCase, case: PlatformCase, order_id: int | None, actor: str) -> None:
    before = row.status
    for name, value in _fields(case, order_id or row.order_id).items():
        if getattr(row, name) != value:
            setattr(row, name, value)
    if before != case.status.value:
        row.events.append(
            CaseEvent(from_status=before, to_status=case.status.value, occurred_at=case.update_time, actor=actor)
        )


def _insert(session: Session, shop: Shop, cases: list[PlatformCase], orders: dict[str, int], actor: str) -> list[int]:
    """New cases and their first event as two bulk INSERTs; returns the new row ids."""
    if not cases:
        return []
    rows = [
        {"shop_id": shop.id, "kind": c.kind, "external_id": c.case_id, **_fields(c, orders.get(c.order_id))}
        for c in cases
    ]
    session.execute(insert(AfterSaleCase), rows, execution_options=ALL_ROWS)
    ids = {
        (kind, external): row_id
        for kind, external, row_id in session.execute(
            select(AfterSaleCase.kind, AfterSaleCase.external_id, AfterSaleCase.id).where(
                AfterSaleCase.shop_id == shop.id, AfterSaleCase.external_id.in_([c.case_id for c in cases])
            )
        )
    }
    events: list[dict[str, Any]] = [
        {"case_id": ids[(c.kind, c.case_id)], "kind": "status", "to_status": c.status.value,
         "occurred_at": c.create_time if c.update_time == c.create_time else c.update_time, "actor": actor,
         "detail": {}}
        for c in cases
    ]  # fmt: skip
    session.execute(insert(CaseEvent), events, execution_options=ALL_ROWS)
    return [ids[(c.kind, c.case_id)] for c in cases]
