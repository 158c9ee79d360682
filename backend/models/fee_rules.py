"""Per-shop fee rates finance sets for order-time profit estimates (over the market defaults)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base, utcnow


class FeeRule(Base):
    """`rate` of `base` plus `fixed` per order, booked as fee `kind`; replaces the market default of that kind."""

    __tablename__ = "fee_rules"
    __table_args__ = (UniqueConstraint("shop_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(96))
    base: Mapped[str] = mapped_column(String(16))
    rate: Mapped[Decimal]
    fixed: Mapped[Decimal]
    updated_by: Mapped[str] = mapped_column(String(320))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
