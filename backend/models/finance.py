"""Fee lines per order (estimated and settled), SKU unit costs with effective dates, and exchange rates.

Sign convention, everywhere in OrderDeck: a fee or cost is stored as a positive amount that
reduces profit, whatever sign the channel's payload uses; a subsidy or refund of a fee is negative.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base, Rate, TimestampMixin


class FeeLine(Base):
    __tablename__ = "fee_lines"
    __table_args__ = (Index("ix_fee_lines_order_basis", "order_id", "basis"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    # Pool (platform, payment, logistics, marketing, tax, other) is derived from `kind` by data in
    # schemas/; it is stored too so reports need no re-derivation, and re-derived when rules change.
    pool: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(96))
    # The settlement block the line came from (revenue, shipping, fee, tax, adjustment): with `kind`
    # it decides the pool, so pools can be re-derived when the pool table changes.
    category: Mapped[str] = mapped_column(String(16), default="fee")
    sku_id: Mapped[str | None] = mapped_column(String(64))
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    basis: Mapped[str] = mapped_column(String(16))  # "estimated" or "settled"
    statement_id: Mapped[str | None] = mapped_column(String(64))
    transaction_id: Mapped[str | None] = mapped_column(String(64))
    settled_at: Mapped[datetime | None]


class SkuCost(TimestampMixin, Base):
    """What one unit of a seller SKU cost from `effective_from` until the next entry."""

    __tablename__ = "sku_costs"
    __table_args__ = (UniqueConstraint("team_id", "seller_sku", "effective_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    seller_sku: Mapped[str] = mapped_column(String(128))
    unit_cost: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    effective_from: Mapped[date]
    entered_by: Mapped[str | None] = mapped_column(String(320))


class FxRate(TimestampMixin, Base):
    """1 `base` = `rate` `quote` on `day` (and on the following days until the pair's next rate)."""

    __tablename__ = "fx_rates"
    __table_args__ = (UniqueConstraint("team_id", "base", "quote", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    base: Mapped[str] = mapped_column(String(3))
    quote: Mapped[str] = mapped_column(String(3))
    day: Mapped[date]
    rate: Mapped[Decimal] = mapped_column(Rate())
    # Who or what entered it: a member's email (the fx_rates tab), "csv:FILE" or "ecb:FILE".
    source: Mapped[str] = mapped_column(String(320))
