"""Custom column profiles, the spreadsheets a team writes to, and each tab's binding to a profile."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.models.base import Base, TimestampMixin


class ColumnProfile(TimestampMixin, Base):
    """A team's custom profile; built-in ones live in schemas/profiles/ and are not stored here."""

    __tablename__ = "column_profiles"
    __table_args__ = (UniqueConstraint("team_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    audience_role: Mapped[str] = mapped_column(String(32))
    definition: Mapped[dict[str, Any]]
    created_by: Mapped[str] = mapped_column(String(320))


class Spreadsheet(TimestampMixin, Base):
    """A Google spreadsheet with one audience: every tab in it must suit that role."""

    __tablename__ = "spreadsheets"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    # One team per file: a second team cannot bind a file another team already uses.
    google_id: Mapped[str] = mapped_column(String(128), unique=True)
    audience_role: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(255), default="")
    time_zone: Mapped[str | None] = mapped_column(String(64))
    # When the bind proof (developer metadata challenge) last succeeded, and by whom.
    proven_at: Mapped[datetime | None]
    proven_by: Mapped[str | None] = mapped_column(String(320))
    # Last sharing-guard verdict: the permissions read from Drive, the file's owner and the classes the
    # file showed then. Read again at most every 60 s, and before a push that would newly widen them.
    sharing_checked_at: Mapped[datetime | None]
    sharing_problem: Mapped[str | None] = mapped_column(String(1024))
    # The hidden tab of dropdown choices (carriers per delivery option, handover choices): list key →
    # its column, kept so every dropdown rule written earlier still points at its list.
    lists: Mapped[dict[str, Any]] = mapped_column(default=dict)
    sharing_seen: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    # The tabs the spreadsheet had at the last push, so the next one reads grid and keys in one request.
    tabs: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")
    # The admin whose installable edit trigger sends this file's edits: only their calls may name the editor.
    edits_trigger_by: Mapped[str | None] = mapped_column(String(320))
    # This file's own language (en, zh-Hans), overriding the team's; None: the team's.
    language: Mapped[str | None] = mapped_column(String(16))

    bindings: Mapped[list[SheetBinding]] = relationship(
        back_populates="spreadsheet", cascade="all, delete-orphan", order_by="SheetBinding.id"
    )


class SheetBinding(TimestampMixin, Base):
    """One tab bound to a profile and a set of shops; `dirty` marks it for the next push."""

    __tablename__ = "sheet_bindings"
    __table_args__ = (UniqueConstraint("spreadsheet_id", "tab_title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    spreadsheet_id: Mapped[int] = mapped_column(ForeignKey("spreadsheets.id", ondelete="CASCADE"), index=True)
    tab_title: Mapped[str] = mapped_column(String(100))
    sheet_gid: Mapped[int | None]
    profile_key: Mapped[str] = mapped_column(String(64))
    shop_ids: Mapped[list[Any]] = mapped_column(default=list)  # empty = all of the team's shops
    created_by: Mapped[str] = mapped_column(String(320))
    dirty: Mapped[bool] = mapped_column(default=True, index=True)
    dirty_since: Mapped[datetime | None]
    last_pushed_at: Mapped[datetime | None]
    last_push_error: Mapped[str | None] = mapped_column(String(2048))
    # A refusal that pushing again cannot change (the tab would pass Google's 10 million cells): what it was
    # decided on (the profile's columns and filter, the shops) and when. Pushes leave the tab alone while both
    # hold (sheet_refresh.tabs_to_push), so sweeps stop spending on it.
    refused_for: Mapped[str | None] = mapped_column(String(64))
    refused_at: Mapped[datetime | None]

    spreadsheet: Mapped[Spreadsheet] = relationship(back_populates="bindings")


class BindChallenge(Base):
    """A one-time value the add-on must write into a spreadsheet to prove its caller can edit it."""

    __tablename__ = "bind_challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    google_id: Mapped[str] = mapped_column(String(128))
    member_email: Mapped[str] = mapped_column(String(320))
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


def shows_shop(shop_ids: Sequence[Any], shop_id: int | None) -> bool:
    """Whether a binding with these `shop_ids` shows the shop: none listed means every shop of its team."""
    return not shop_ids or shop_id in {int(s) for s in shop_ids}
