"""Discord notifications as an outbox: channels a team configured, and one row per message to send.

Enqueueing is an INSERT in the caller's transaction, so sync and sidebar actions never wait on
Discord; `services.notify.deliver_due` sends the rows later and keeps them until Discord took them.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base, TimestampMixin, utcnow


class NotificationChannel(TimestampMixin, Base):
    """A Discord webhook a team added, with the event kinds it wants (empty = every kind)."""

    __tablename__ = "notification_channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    # The webhook URL carries its token: anyone holding it can post, so only ciphertext is stored.
    webhook_url_sealed: Mapped[str] = mapped_column(String(2048))
    kinds: Mapped[list[Any]] = mapped_column(default=list)
    enabled: Mapped[bool] = mapped_column(default=True)
    # Discord asked us to wait (429, or the rate-limit bucket is empty): nothing goes out before this.
    paused_until: Mapped[datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(String(1024))
    created_by: Mapped[str] = mapped_column(String(320))


class NotificationSettings(Base):
    """A team's quiet hours (in its time zone), digest time and leaderboard minimum volume."""

    __tablename__ = "notification_settings"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    quiet_start: Mapped[time | None]
    quiet_end: Mapped[time | None]
    digest_at: Mapped[time] = mapped_column(default=time(9, 0))
    leaderboard_min_count: Mapped[int] = mapped_column(default=5)


class Notification(Base):
    """One message for one channel; `dedupe_key` makes every enqueue idempotent."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_due", "status", "next_attempt_at"),
        Index("ix_notifications_subject", "kind", "subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("notification_channels.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    # What the message is about ("order:12", "exception:7", "team:3") and which variant (an SLA tier).
    subject: Mapped[str] = mapped_column(String(64))
    variant: Mapped[str] = mapped_column(String(32), default="")
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True)
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|sent|failed
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(1024))
