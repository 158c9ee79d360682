"""Orders as the channel sends them: header, one line per unit, packages and status history.

Columns holding a buyer's personal data carry ``info={"personal": True}`` so code and tests can
find them; which audience may see them is decided by schemas/roles.json, never by this module.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from backend.models.base import Base, Payload, utcnow

PERSONAL = {"personal": True}

order_packages = Table(
    "order_packages",
    Base.metadata,
    Column("order_id", ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True),
    Column("package_id", ForeignKey("packages.id", ondelete="CASCADE"), primary_key=True),
)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("shop_id", "external_id"),
        Index("ix_orders_shop_status", "shop_id", "status"),
        Index("ix_orders_shop_updated", "shop_id", "platform_update_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32))
    # The channel's update_time: an incoming payload older than this never overwrites the row.
    platform_update_time: Mapped[datetime]
    platform_create_time: Mapped[datetime]
    paid_at: Mapped[datetime | None]
    rts_at: Mapped[datetime | None]
    collection_at: Mapped[datetime | None]
    delivery_at: Mapped[datetime | None]
    cancel_at: Mapped[datetime | None]
    # Every deadline TikTok sends; the SLA comes from these, never from hard-coded hours.
    rts_sla_at: Mapped[datetime | None]
    tts_sla_at: Mapped[datetime | None]
    delivery_sla_at: Mapped[datetime | None]
    cancel_order_sla_at: Mapped[datetime | None]
    shipping_due_at: Mapped[datetime | None]
    collection_due_at: Mapped[datetime | None]
    delivery_due_at: Mapped[datetime | None]
    pick_up_cut_off_at: Mapped[datetime | None]
    fast_dispatch_sla_at: Mapped[datetime | None]
    recommended_shipping_at: Mapped[datetime | None]
    is_on_hold: Mapped[bool] = mapped_column(default=False)
    cancel_reason: Mapped[str | None] = mapped_column(String(255))
    cancellation_initiator: Mapped[str | None] = mapped_column(String(32))
    is_buyer_request_cancel: Mapped[bool] = mapped_column(default=False)
    fulfillment_type: Mapped[str | None] = mapped_column(String(48))
    shipping_type: Mapped[str | None] = mapped_column(String(16))
    delivery_option_name: Mapped[str | None] = mapped_column(String(255))
    delivery_option_id: Mapped[str | None] = mapped_column(String(64))
    shipping_provider: Mapped[str | None] = mapped_column(String(255))
    shipping_provider_id: Mapped[str | None] = mapped_column(String(64))
    tracking_number: Mapped[str | None] = mapped_column(String(128))
    warehouse_id: Mapped[str | None] = mapped_column(String(64))
    buyer_message: Mapped[str | None] = mapped_column(Text, info=PERSONAL)
    # The platform's own seller note (typed in Seller Center); the team's note is OrderInput.note.
    seller_note: Mapped[str | None] = mapped_column(Text, info=PERSONAL)
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[Decimal | None]
    shipping_fee: Mapped[Decimal | None]
    seller_discount: Mapped[Decimal | None]
    platform_discount: Mapped[Decimal | None]
    tax: Mapped[Decimal | None]
    total_amount: Mapped[Decimal | None]
    original_total_product_price: Mapped[Decimal | None]
    original_shipping_fee: Mapped[Decimal | None]
    buyer_user_id: Mapped[str | None] = mapped_column(String(64), info=PERSONAL)
    recipient_name: Mapped[str | None] = mapped_column(String(255), info=PERSONAL)
    recipient_phone: Mapped[str | None] = mapped_column(String(64), info=PERSONAL)
    recipient_address: Mapped[str | None] = mapped_column(Text, info=PERSONAL)
    recipient_postal_code: Mapped[str | None] = mapped_column(String(32), info=PERSONAL)
    recipient_region_code: Mapped[str | None] = mapped_column(String(8))
    # The payload as received, so fields we do not map yet can be derived later without a re-fetch.
    raw: Mapped[dict[str, Any]] = mapped_column(Payload, info=PERSONAL)
    # When the retention sweep masked the personal columns (and raw's personal parts); a later sync of
    # the order is masked again before it is stored.
    personal_masked_at: Mapped[datetime | None]
    source: Mapped[str] = mapped_column(String(16), default="api")
    ingested_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id"
    )
    packages: Mapped[list[Package]] = relationship(secondary=order_packages, back_populates="orders")
    events: Mapped[list[OrderEvent]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderEvent.occurred_at"
    )
    typed: Mapped[OrderInput | None] = relationship(cascade="all, delete-orphan")


class OrderInput(Base):
    """What the seller's team typed for an order, kept apart from what the platform sends.

    Only sheet edits write this row; ingest (sync, webhooks, CSV import) never does, so a later
    change of the order on the platform cannot erase it. Where a typed and a platform value share
    a concept, backend/domain/seller_values.py decides which one a sheet shows.
    """

    __tablename__ = "order_inputs"

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    note: Mapped[str | None] = mapped_column(Text, info=PERSONAL)
    # A carrier and tracking number typed before the package shipped (or as it was shipped).
    carrier: Mapped[str | None] = mapped_column(String(255))
    tracking_number: Mapped[str | None] = mapped_column(String(128))
    updated_by: Mapped[str] = mapped_column(String(320))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OrderLine(Base):
    """One unit of one SKU, exactly as TikTok sends line items (two shirts are two lines)."""

    __tablename__ = "order_lines"
    __table_args__ = (UniqueConstraint("order_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Found through the (order_id, external_id) unique index: an index of order_id alone would be a second copy.
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(64))
    sku_id: Mapped[str] = mapped_column(String(64))
    product_id: Mapped[str | None] = mapped_column(String(64))
    seller_sku: Mapped[str | None] = mapped_column(String(128), index=True)
    product_name: Mapped[str] = mapped_column(String(512), default="")
    sku_name: Mapped[str | None] = mapped_column(String(512))
    currency: Mapped[str] = mapped_column(String(3))
    original_price: Mapped[Decimal | None]
    sale_price: Mapped[Decimal | None]
    seller_discount: Mapped[Decimal | None]
    platform_discount: Mapped[Decimal | None]
    display_status: Mapped[str | None] = mapped_column(String(32))
    package_external_id: Mapped[str | None] = mapped_column(String(64))
    tracking_number: Mapped[str | None] = mapped_column(String(128))
    shipping_provider_name: Mapped[str | None] = mapped_column(String(255))
    cancel_reason: Mapped[str | None] = mapped_column(String(255))
    is_gift: Mapped[bool] = mapped_column(default=False)
    # Virtual bundles: [{"seller_sku": ..., "sku_id": ..., "count": n}], for COGS from components.
    combined_listing_skus: Mapped[list[Any]] = mapped_column(default=list)

    order: Mapped[Order] = relationship(back_populates="lines")


class Package(Base):
    """A parcel; split orders have several, combined packages carry several orders."""

    __tablename__ = "packages"
    __table_args__ = (UniqueConstraint("shop_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))  # indexed by (shop, external_id)
    external_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str | None] = mapped_column(String(32))
    tracking_number: Mapped[str | None] = mapped_column(String(128))
    shipping_provider_id: Mapped[str | None] = mapped_column(String(64))
    shipping_provider_name: Mapped[str | None] = mapped_column(String(255))
    shipped_at: Mapped[datetime | None]

    orders: Mapped[list[Order]] = relationship(secondary=order_packages, back_populates="packages")


class StatusEvent:
    """The columns every event row has: a status change or a person's action, when it happened and who did it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), default="status")
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str | None] = mapped_column(String(32))
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # "sync", "webhook", "csv", or the member's email for actions taken in a sheet or the sidebar.
    actor: Mapped[str] = mapped_column(String(320), default="sync")
    actor_role: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class OrderEvent(StatusEvent, Base):
    """A status change or a person's action on an order."""

    __tablename__ = "order_events"
    __table_args__ = (Index("ix_order_events_order_kind", "order_id", "kind"),)

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))

    order: Mapped[Order] = relationship(back_populates="events")


@event.listens_for(Session, "before_flush")
def _touch_orders(session: Session, _context: object, _instances: object) -> None:
    """An order's updated_at moves when one of its lines or packages changes too, so that stamp says whether
    anything of the order changed (FIFO costing re-reads an order only then: services/cost_layers.py)."""
    orders: set[Order] = set()
    for obj in (*session.new, *session.deleted, *(o for o in session.dirty if session.is_modified(o))):
        if isinstance(obj, OrderLine):
            order = obj.order if obj.order is not None else session.get(Order, obj.order_id)
            if order is not None:
                orders.add(order)
        elif isinstance(obj, Package):
            orders.update(obj.orders)
    now = utcnow()
    for order in orders:
        if order not in session.deleted:
            order.updated_at = now
