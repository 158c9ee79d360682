"""Fulfilment state OrderDeck keeps beside what the platform sends: what a shop's logistics API offers, the
team's handovers (waves of packages marked ready together) and what they came to, and each shipped order's
tracking as polled from the carrier's events.

Ingest never writes these rows, so a later sync of an order cannot erase a handover's problem or its wave.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.models.base import Base, utcnow
from backend.models.order import Package


class ShopLogistics(Base):
    """What a shop's logistics API offered at its last refresh: delivery options with their carriers,
    each platform-shipped option's handover choices, and the packages it would combine."""

    __tablename__ = "shop_logistics"

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    # [{"id", "name", "seller_ships", "carriers": [name, …]}]
    options: Mapped[list[Any]] = mapped_column(default=list)
    # option id → {"pickup": bool, "drop_off": bool, "slots": [[start iso, end iso], …]}
    handover: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # [{"group_id", "order_ids": […]}]: open packages of one buyer the platform would ship as one
    combinable: Mapped[list[Any]] = mapped_column(default=list)
    refreshed_at: Mapped[datetime] = mapped_column(default=utcnow)
    problem: Mapped[str | None] = mapped_column(String(1024))


class Wave(Base):
    """Packages marked ready together in one pass of the pack list, of one shop, delivery option and handover."""

    __tablename__ = "waves"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    delivery_option: Mapped[str] = mapped_column(String(255), default="")
    handover: Mapped[str] = mapped_column(String(64))  # what was picked: "Drop-off", "Pickup Tue 24 Nov 09:00–12:00"
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list[PackageShipping]] = relationship(back_populates="wave", order_by="PackageShipping.position")


class PackageShipping(Base):
    """The team's last handover of one package and what came of it (shipped, or the problem and what to do)."""

    __tablename__ = "package_shipping"

    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id", ondelete="CASCADE"), primary_key=True)
    wave_id: Mapped[int | None] = mapped_column(ForeignKey("waves.id", ondelete="SET NULL"), index=True)
    position: Mapped[int] = mapped_column(default=0)  # place in its wave, from 1: the wave PDF's page order
    handover: Mapped[str] = mapped_column(String(64))
    shipped: Mapped[bool] = mapped_column(default=False)
    problem: Mapped[str | None] = mapped_column(String(32))  # a ShipProblem value
    message: Mapped[str | None] = mapped_column(Text)  # what happened and what to do, as the row shows it
    requested_by: Mapped[str] = mapped_column(String(320))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)

    package: Mapped[Package] = relationship()
    wave: Mapped[Wave | None] = relationship(back_populates="members")


class OrderTracking(Base):
    """A shipped order's carrier events as last polled, and when to poll again (never after delivery)."""

    __tablename__ = "order_tracking"
    __table_args__ = (Index("ix_order_tracking_next_poll", "next_poll_at"),)

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    events: Mapped[list[Any]] = mapped_column(default=list)  # [[iso time, description, kind], …] oldest first
    latest_at: Mapped[datetime | None]
    latest: Mapped[str | None] = mapped_column(String(512))
    delivered_at: Mapped[datetime | None]
    problem: Mapped[str | None] = mapped_column(String(32))  # failed_delivery | returned
    polls: Mapped[int] = mapped_column(default=0)
    polled_at: Mapped[datetime | None]
    next_poll_at: Mapped[datetime | None]  # None: done (delivered, returned, or not trackable)
