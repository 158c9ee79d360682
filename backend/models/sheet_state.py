"""What the backend last wrote into each bound tab, so a push sends only what changed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base, utcnow


class SheetSnapshot(Base):
    """Per binding: the tab's column layout and, per row key, a short digest of every cell written, the
    order it shows and its rank; and the key column as the push left it (a hint for links: people may
    sort the tab by hand between pushes).

    It is the memory that lets a push leave a hand-typed input cell alone until the database value
    changes, and send nothing at all when nothing changed. Losing it only costs one full rewrite.
    """

    __tablename__ = "sheet_snapshots"

    binding_id: Mapped[int] = mapped_column(ForeignKey("sheet_bindings.id", ondelete="CASCADE"), primary_key=True)
    layout: Mapped[str] = mapped_column(String(64))
    rows: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Each order's row keys ("" for rows of no order), so a push finds the rows of the orders it re-reads.
    owners: Mapped[dict[str, Any] | None]
    # The key column as the last push left it, top to bottom ("" for a row without a key).
    keys: Mapped[list[Any] | None]
    row_count: Mapped[int] = mapped_column(default=0)
    written_at: Mapped[datetime] = mapped_column(default=utcnow)
    # What the rows were chosen and ordered by (the profile's filter and sort): a change means a rebuild.
    shape: Mapped[str] = mapped_column(String(64), default="", server_default="")
    # The `now` of the last projection (rows age out of a window in between) and of the last full one.
    projected_at: Mapped[datetime | None]
    rebuilt_at: Mapped[datetime | None]
    # The order the rows were left in: 1 the profile's, -1 that reversed, 0 the team's own (sorted by hand).
    ordered: Mapped[int | None]


EVERYTHING = 0  # a change that may touch any row of the binding: the next push projects every order
STOCK = -1  # the team's stock counts changed: the next push reallocates the whole team


class SheetChange(Base):
    """An order (or EVERYTHING, or STOCK) that changed since the binding's last push: what its next push re-reads.

    One row per binding and order, written with the change itself; a push deletes the rows it read (by
    version, so a change marked again while it ran is kept for the next push).
    """

    __tablename__ = "sheet_changes"

    binding_id: Mapped[int] = mapped_column(ForeignKey("sheet_bindings.id", ondelete="CASCADE"), primary_key=True)
    order_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(default=1)


class StockChange(Base):
    """An order (or EVERYTHING, or STOCK) that changed since the team's last stock pass: what the next one covers.

    Noted with the sheet changes, once per team however many tabs show the order: the first push of any
    of the team's spreadsheets runs the pass for it and deletes the note (by version, like SheetChange),
    so the pushes of the team's other spreadsheets for the same change find nothing left to do.
    """

    __tablename__ = "stock_changes"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    order_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(default=1)
