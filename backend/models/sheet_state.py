"""What the backend last wrote into each bound tab, so a push sends only what changed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base, utcnow


class SheetSnapshot(Base):
    """Per binding: the tab's column layout and, per row key, a short digest of every cell written and
    the sheet row it went to (a hint for links: people may sort the tab by hand between pushes).

    It is the memory that lets a push leave a hand-typed input cell alone until the database value
    changes, and send nothing at all when nothing changed. Losing it only costs one full rewrite.
    """

    __tablename__ = "sheet_snapshots"

    binding_id: Mapped[int] = mapped_column(ForeignKey("sheet_bindings.id", ondelete="CASCADE"), primary_key=True)
    layout: Mapped[str] = mapped_column(String(64))
    rows: Mapped[dict[str, Any]] = mapped_column(default=dict)
    positions: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    row_count: Mapped[int] = mapped_column(default=0)
    written_at: Mapped[datetime] = mapped_column(default=utcnow)
