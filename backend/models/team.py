"""Teams, their members and roles, invitations to join, and the Google account a team connected for writing sheets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.models.base import Base, TimestampMixin, utcnow


class Team(TimestampMixin, Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    # Shown in notifications and digests; the sheets themselves use each shop's zone.
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Currency → amount above which a refund support approved waits for finance: {"USD": "100"}.
    refund_limits: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Days after delivery or cancellation that an order keeps its buyer's personal data (then masked).
    retention_days: Mapped[int] = mapped_column(default=90, server_default="90")
    # The currency report tabs add a converted total in, beside the per-currency totals; None: none.
    reporting_currency: Mapped[str | None] = mapped_column(String(3))
    # Sheet headers, status and dropdown words, the sidebar and Discord messages: en or zh-Hans.
    language: Mapped[str] = mapped_column(String(16), default="en", server_default="en")

    members: Mapped[list[Member]] = relationship(back_populates="team", order_by="Member.id")


class Member(TimestampMixin, Base):
    """A person in a team. `role` is one of the roles in schemas/roles.json."""

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("team_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(32))
    display_name: Mapped[str | None] = mapped_column(String(120))

    team: Mapped[Team] = relationship(back_populates="members")


class GoogleConnection(TimestampMixin, Base):
    """A Google user an admin connected through the OAuth web flow; the refresh token is sealed."""

    __tablename__ = "google_connections"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), unique=True)
    email: Mapped[str] = mapped_column(String(320))
    refresh_token_sealed: Mapped[str] = mapped_column(String(2048))
    scopes: Mapped[str] = mapped_column(String(1024))
    connected_by: Mapped[str] = mapped_column(String(320))
    connected_at: Mapped[datetime]


class Invitation(Base):
    """An admin's invitation to join a team as a role: nobody is a member, and nothing is shared with them,
    until the invited address signs in and accepts. Only a hash of the link's token is kept."""

    __tablename__ = "invitations"
    __table_args__ = (UniqueConstraint("team_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    role: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
