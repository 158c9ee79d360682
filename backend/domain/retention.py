"""How long an order keeps its buyer's personal data: a team's number of days after it ended.

An order ends when it is delivered or cancelled (COMPLETED follows delivery, or a full refund); its
personal data is then kept `retention_days` (a team setting, default 90) and masked, as the platforms'
data rules expect sellers to keep buyer data no longer than the order needs it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from backend.domain.status import OrderStatus

ENDED = frozenset({OrderStatus.DELIVERED, OrderStatus.COMPLETED, OrderStatus.CANCELLED})
MASK = "(masked)"  # what a masked personal value reads in the database and in every sheet
DEFAULT_DAYS = 90
MIN_DAYS, MAX_DAYS = 1, 365


def ended_at(status: str, delivered: datetime | None, cancelled: datetime | None, updated: datetime) -> datetime | None:
    """When the order ended (None while it has not): delivery, else cancellation, else its last update."""
    if status not in ENDED:
        return None
    return delivered or cancelled or updated


def expired(ended: datetime | None, retention_days: int, now: datetime) -> bool:
    return ended is not None and ended <= now - timedelta(days=retention_days)


def check_days(days: int) -> str | None:
    """Why `days` is not a retention period, or None."""
    if not MIN_DAYS <= days <= MAX_DAYS:
        return f"keep personal data from {MIN_DAYS} to {MAX_DAYS} days after an order ends, not {days}"
    return None
