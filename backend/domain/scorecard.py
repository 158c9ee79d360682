"""The carrier scorecard (pure): per carrier and month of shipping, how many parcels, the median days from
shipping to delivery, the share delivered by the delivery deadline, and the failed deliveries.

A parcel counts toward the on-time rate once its outcome is known: delivered, or still undelivered when its
deadline passed (late). Parcels without a deadline or still on time and on their way are left out of it.
Months are the shop's calendar months; the report is a block of rows under one header, as the analytics
tabs are (backend/domain/analytics.py), so its columns read cells by header.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from statistics import median
from zoneinfo import ZoneInfo

Cell = str | int | Decimal | None

HEADERS = ("Carrier / month", "Month", "Carrier", "Parcels", "Median days", "On time", "Failed deliveries")
TENTH = Decimal("0.1")
RATE = Decimal("0.0001")


@dataclass(frozen=True)
class Parcel:
    carrier: str
    shipped_at: datetime
    zone: str  # the shop's time zone: months are its calendar months
    delivered_at: datetime | None = None
    due_at: datetime | None = None
    failed: bool = False  # a delivery attempt failed, or the parcel went back to the sender


def _days(spans: list[timedelta]) -> Decimal:
    """The median span in days, to a tenth."""
    middle = median(Decimal(s.total_seconds()) for s in spans)
    return (middle / Decimal(86400)).quantize(TENTH, rounding=ROUND_HALF_UP)


def scorecard(parcels: Iterable[Parcel], now: datetime) -> list[list[Cell]]:
    """HEADERS, then one row per (month, carrier), newest month first, carriers A to Z."""
    groups: dict[tuple[str, str], list[Parcel]] = defaultdict(list)
    for parcel in parcels:
        month = parcel.shipped_at.astimezone(ZoneInfo(parcel.zone)).strftime("%Y-%m")
        groups[(month, parcel.carrier or "(no carrier)")].append(parcel)
    rows: list[list[Cell]] = [list(HEADERS)]
    for month, carrier in sorted(groups, key=lambda k: (-int(k[0].replace("-", "")), k[1].casefold())):
        group = groups[(month, carrier)]
        spans = [p.delivered_at - p.shipped_at for p in group if p.delivered_at is not None]
        judged = [p for p in group if p.due_at is not None and (p.delivered_at is not None or p.due_at < now)]
        on_time = [p for p in judged if p.delivered_at is not None and p.due_at and p.delivered_at <= p.due_at]
        rate = (Decimal(len(on_time)) / Decimal(len(judged))).quantize(RATE) if judged else None
        rows.append(
            [
                f"{month} {carrier}",
                month,
                carrier,
                len(group),
                _days(spans) if spans else None,
                rate,
                sum(1 for p in group if p.failed),
            ]
        )
    return rows
