"""Limits on what one team may spend of what teams share, kept in the database so every process sees them.

`SheetsUsage` counts Sheets requests per quota bucket (an identity's or a Cloud project's reads or
writes) per ten-second window, per team (team 0 holds the bucket's total); `LimitOverride` replaces a
default limit of schemas/limits.json, for every team or for one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base, utcnow


class SheetsUsage(Base):
    __tablename__ = "sheets_usage"

    bucket: Mapped[str] = mapped_column(String(255), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(primary_key=True)  # 0: every team's units together
    used: Mapped[int] = mapped_column(default=0)


class LimitOverride(Base):
    __tablename__ = "limit_overrides"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    team_id: Mapped[int] = mapped_column(primary_key=True)  # 0: every team
    count: Mapped[int]
    seconds: Mapped[int]
    set_by: Mapped[str] = mapped_column(String(320), default="")
    set_at: Mapped[datetime] = mapped_column(default=utcnow)
