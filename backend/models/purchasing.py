"""Buying stock: supplier orders from Taobao and 1688 with their lines, consolidated shipments, the remembered
supplier item → seller SKU mapping, and each SKU's opening stock at go-live.

All of it is the seller's own: only `purchases import` and sheet edits write here, never a platform sync.
A value typed in a purchase tab is named in `typed_fields`, so a later import of the same supplier order
never overwrites it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.models.base import Base, utcnow


class PurchaseOrder(Base):
    """One order placed with a supplier: its number there, what was paid for shipping inside China, and when."""

    __tablename__ = "purchase_orders"
    __table_args__ = (UniqueConstraint("team_id", "platform", "supplier_order_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(16))  # "taobao", "1688" or "other"
    supplier_order_no: Mapped[str] = mapped_column(String(64))
    supplier: Mapped[str] = mapped_column(String(255), default="")
    currency: Mapped[str | None] = mapped_column(String(3))
    domestic_shipping: Mapped[Decimal] = mapped_column(default=Decimal(0))
    # The supplier's price change on the whole order (1688's 涨价或折扣: negative is a discount).
    adjustment: Mapped[Decimal] = mapped_column(default=Decimal(0))
    ordered_on: Mapped[date | None]
    paid_on: Mapped[date | None]
    domestic_carrier: Mapped[str] = mapped_column(String(128), default="")
    domestic_tracking: Mapped[str] = mapped_column(String(128), default="")
    typed_fields: Mapped[list[Any]] = mapped_column(default=list)
    source: Mapped[str] = mapped_column(String(320), default="")
    updated_by: Mapped[str] = mapped_column(String(320), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    lines: Mapped[list[PurchaseLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="PurchaseLine.line_no"
    )


class Consolidation(Base):
    """A forwarder's outbound shipment grouping purchase lines (集运 / 头程), with what it cost to bring them."""

    __tablename__ = "consolidations"
    __table_args__ = (UniqueConstraint("team_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    forwarder: Mapped[str] = mapped_column(String(255), default="")
    tracking: Mapped[str] = mapped_column(String(128), default="")
    status: Mapped[str] = mapped_column(String(16), default="packing")
    warehouse_id: Mapped[str] = mapped_column(String(64), default="")
    expected_on: Mapped[date | None]
    arrived_on: Mapped[date | None]
    weight_kg: Mapped[Decimal | None]
    volumetric_kg: Mapped[Decimal | None]
    freight: Mapped[Decimal | None]
    duties: Mapped[Decimal | None]
    import_vat: Mapped[Decimal | None]  # reclaimable: recorded, never part of landed cost
    fees: Mapped[Decimal | None]
    currency: Mapped[str | None] = mapped_column(String(3))
    paid_on: Mapped[date | None]
    duties_paid_on: Mapped[date | None]
    updated_by: Mapped[str] = mapped_column(String(320), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PurchaseLine(Base):
    """One item of a supplier order: what was ordered, what arrived, and what one received unit cost landed."""

    __tablename__ = "purchase_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "line_no"),
        Index("ix_purchase_lines_team_sku", "team_id", "seller_sku"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id", ondelete="CASCADE"))
    line_no: Mapped[int]
    # The supplier's item: 1688's Offer ID, else the item link; with the spec it finds the remembered SKU.
    item_ref: Mapped[str] = mapped_column(String(255), default="")
    item_title: Mapped[str] = mapped_column(String(512), default="")
    item_link: Mapped[str] = mapped_column(String(1024), default="")
    item_spec: Mapped[str] = mapped_column(String(255), default="")
    seller_sku: Mapped[str | None] = mapped_column(String(128))
    quantity_ordered: Mapped[int]
    quantity_received: Mapped[int | None]
    unit_price: Mapped[Decimal | None]
    status: Mapped[str] = mapped_column(String(16), default="ordered")
    consolidation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consolidations.id", ondelete="SET NULL"), index=True
    )
    warehouse_id: Mapped[str] = mapped_column(String(64), default="")
    expected_on: Mapped[date | None]
    arrived_on: Mapped[date | None]
    weight_kg: Mapped[Decimal | None]
    volumetric_kg: Mapped[Decimal | None]
    # Derived (services/purchases.py recomputes what a change touches): per received unit, purchase currency.
    landed_unit_cost: Mapped[Decimal | None]
    landed_problem: Mapped[str] = mapped_column(String(255), default="")
    typed_fields: Mapped[list[Any]] = mapped_column(default=list)
    updated_by: Mapped[str] = mapped_column(String(320), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    order: Mapped[PurchaseOrder] = relationship(back_populates="lines")
    consolidation: Mapped[Consolidation | None] = relationship()


class SupplierItemSku(Base):
    """The seller SKU a supplier's item and spec is, remembered from the last time procurement said so."""

    __tablename__ = "supplier_item_skus"
    __table_args__ = (UniqueConstraint("team_id", "platform", "item_ref", "item_spec"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    item_ref: Mapped[str] = mapped_column(String(255))
    item_spec: Mapped[str] = mapped_column(String(255), default="")
    seller_sku: Mapped[str] = mapped_column(String(128))
    updated_by: Mapped[str] = mapped_column(String(320), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OpeningStock(Base):
    """What was on the shelf of one SKU and warehouse when purchases began to be tracked (go-live): the
    first cost layer, at the unit cost typed for that day. FIFO costing starts the day after `as_of`."""

    __tablename__ = "opening_stock"
    __table_args__ = (UniqueConstraint("team_id", "seller_sku", "warehouse_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    seller_sku: Mapped[str] = mapped_column(String(128))
    warehouse_id: Mapped[str] = mapped_column(String(64), default="")
    quantity: Mapped[int | None]  # None: nobody counted it; the layer is then what ships before the first arrival
    as_of: Mapped[date]
    updated_by: Mapped[str] = mapped_column(String(320), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
