"""Refunds reach the profit ledger as they happen: a refund the platform granted on an order that no
statement has settled yet is estimated as negative revenue; once a statement pays the order, its own
refund lines replace the estimate (services/finance.py), as for every other figure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db import among
from backend.domain.after_sales import REFUND_KIND, refunded
from backend.domain.fees import PooledLine
from backend.domain.profit import REVENUE
from backend.domain.status import CaseStatus, CaseType
from backend.models import AfterSaleCase


def estimated_refunds(session: Session, order_ids: Sequence[int]) -> dict[int, PooledLine]:
    """Order id → one negative revenue line with every refund granted on it (orders with none are absent)."""
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for start in range(0, len(order_ids), 900):
        rows = session.execute(
            select(
                AfterSaleCase.order_id,
                AfterSaleCase.type,
                AfterSaleCase.status,
                AfterSaleCase.platform_status,
                AfterSaleCase.refund_total,
            ).where(
                among(session, AfterSaleCase.order_id, order_ids[start : start + 900]),
                AfterSaleCase.status.in_([CaseStatus.APPROVED, CaseStatus.COMPLETED]),
            )
        )
        for order_id, case_type, status, platform_status, amount in rows:
            if order_id is not None and amount and refunded(CaseType(case_type), CaseStatus(status), platform_status):
                totals[order_id] += amount
    return {order_id: PooledLine(REFUND_KIND, "revenue", REVENUE, -total) for order_id, total in totals.items()}
