"""Pending Google OAuth web flows: the PKCE verifier stays on the server, keyed by the flow's state."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base, utcnow


class GoogleOAuthState(Base):
    """One consent an admin started from the sidebar; used once, by the callback, before `expires_at`.

    When Google returns an account other than the admin's own address, the callback keeps it here
    (`account_email`, the sealed refresh token) until that admin confirms it in the sidebar before
    `confirm_by`; the team's writer does not change until then.
    """

    __tablename__ = "google_oauth_states"

    state: Mapped[str] = mapped_column(String(128), primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    member_email: Mapped[str] = mapped_column(String(320))
    code_verifier_sealed: Mapped[str | None] = mapped_column(String(1024))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    account_email: Mapped[str | None] = mapped_column(String(320))
    refresh_token_sealed: Mapped[str | None] = mapped_column(String(2048))
    scopes: Mapped[str | None] = mapped_column(String(1024))
    confirm_by: Mapped[datetime | None]
