"""Stock per SKU and warehouse (TikTok's count and the procurement sheet's), and per-order review state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base, utcnow


class StockLevel(Base):
    """One SKU in one warehouse of a team. The sheet's count, when typed, wins over TikTok's.

    TikTok's `available_quantity` already excludes units committed to unshipped orders; what is on
    the shelf before picking is available + committed, which is what allocation starts from.
    """

    __tablename__ = "stock_levels"
    __table_args__ = (UniqueConstraint("team_id", "seller_sku", "warehouse_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    seller_sku: Mapped[str] = mapped_column(String(128))
    warehouse_id: Mapped[str] = mapped_column(String(64), default="")
    product_name: Mapped[str] = mapped_column(String(512), default="")
    platform_available: Mapped[int | None]
    platform_committed: Mapped[int | None]
    platform_checked_at: Mapped[datetime | None]
    sheet_quantity: Mapped[int | None]
    reorder_point: Mapped[int | None]
    supplier_note: Mapped[str | None] = mapped_column(String(1024))
    location: Mapped[str | None] = mapped_column(String(128))
    # Days from ordering to arrival, typed by procurement (else the SKU's arrived purchases say).
    lead_time_days: Mapped[int | None]
    # "platform" when TikTok's count applies, "sheet" once procurement typed one.
    source: Mapped[str] = mapped_column(String(16), default="platform")
    updated_by: Mapped[str | None] = mapped_column(String(320))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def platform_quantity(self) -> int | None:
        if self.platform_available is None:
            return None
        return self.platform_available + (self.platform_committed or 0)


class OrderReview(Base):
    """What the push-time pass last concluded about an order: its review flags, the stock it is short of,
    and the address it had when first seen paid. Sheets show these as stored."""

    __tablename__ = "order_reviews"

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    address_fingerprint: Mapped[str | None] = mapped_column(String(64))
    address_changed_at: Mapped[datetime | None]
    flags: Mapped[list[Any]] = mapped_column(default=list)
    stock_short: Mapped[str] = mapped_column(String(255), default="", server_default="")
    reviewed_at: Mapped[datetime] = mapped_column(default=utcnow)
