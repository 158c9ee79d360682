"""Connected shops on a sales channel, with their sealed tokens and sync position, and pending consents."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base, TimestampMixin, utcnow


class ShopStatus(StrEnum):
    ACTIVE = "active"
    REAUTHORIZATION_NEEDED = "reauthorization_needed"
    DEAUTHORIZED = "deauthorized"


class Shop(TimestampMixin, Base):
    """One seller shop. A shop belongs to exactly one team, so a webhook maps to one owner."""

    __tablename__ = "shops"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(32), default="tiktok")
    external_id: Mapped[str] = mapped_column(String(64))
    # How the platform names the shop on shop-scoped calls (TikTok's shop_cipher; Shopee's shop id).
    shop_ref: Mapped[str | None] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(255), default="")
    region: Mapped[str] = mapped_column(String(8), default="")
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    seller_name: Mapped[str | None] = mapped_column(String(255))
    # The seller authorization this shop came with (TikTok's open_id; Shopee's main account or shop
    # id): on TikTok one token pair covers several shops, and a refresh rotates it for all of them.
    grant_id: Mapped[str | None] = mapped_column(String(128), index=True)
    access_token_sealed: Mapped[str | None] = mapped_column(String(2048))
    access_token_expires_at: Mapped[datetime | None]
    refresh_token_sealed: Mapped[str | None] = mapped_column(String(2048))
    refresh_token_expires_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(32), default=ShopStatus.ACTIVE)
    status_reason: Mapped[str | None] = mapped_column(String(1024))
    # The newest update_time fully committed by a sync; the next window starts here minus an overlap.
    sync_watermark: Mapped[datetime | None]
    last_synced_at: Mapped[datetime | None]
    webhook_subscribed_at: Mapped[datetime | None]
    # After-sales cases sync on their own position; a shop authorized without the platform's after-sales
    # permission keeps everything else and says why here ("reauthorization needed for after-sales").
    after_sales_watermark: Mapped[datetime | None]
    after_sales_synced_at: Mapped[datetime | None]
    after_sales_problem: Mapped[str | None] = mapped_column(String(1024))


class ConsentState(Base):
    """A seller consent an admin started: its `state` comes back on the platform's redirect, once.

    Only a hash is kept: the state itself travels in the consent link alone, and names nothing.
    """

    __tablename__ = "consent_states"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    started_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
