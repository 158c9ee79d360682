"""A new admin's first run, as the sidebar guides it: connect a shop, connect Google, create the audience
spreadsheets, add members. Each step is done when the database says so, never because a button was pressed,
so a step finished in another tab (TikTok's or Google's consent page) is checked off on the next look.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend import i18n
from backend.catalog import markets, role_policy
from backend.models import Invitation, Member, SheetBinding, Shop, Spreadsheet, utcnow

# The audiences a seller's team usually needs, with the profile each new spreadsheet starts with.
AUDIENCES = (("warehouse", "sla_watch"), ("finance", "profit_ledger"), ("support", "customer_service"),
             ("procurement", "stock"), ("viewer", "agency_view"))  # fmt: skip


def choices(translate: i18n.Translate) -> dict[str, Any]:
    """What the admin's forms offer: every role by its name in the admin's language, every TikTok Shop region
    (schemas/), and the profile each audience's new spreadsheet starts with."""
    policy = role_policy()
    return {
        "roles": [{"key": r, "label": translate(policy.label(r))} for r in policy.roles],
        "regions": [{"key": code, "currency": m.currency} for code, m in markets().items()],
        "starts": dict(AUDIENCES),  # the profile a new spreadsheet for each audience starts with
    }


def steps(session: Session, team: int, writer: str | None, translate: i18n.Translate) -> list[dict[str, Any]]:
    """The four steps in order, each with `done` read from the team's state and a short `detail` (audiences
    named in the admin's language); `writer` is the Google identity that writes the team's sheets, if any."""
    shops = list(session.scalars(select(Shop.name).where(Shop.team_id == team).order_by(Shop.id)))
    bound = set(
        session.scalars(
            select(Spreadsheet.audience_role).join(SheetBinding).where(Spreadsheet.team_id == team).distinct()
        )
    )
    members = session.scalar(select(func.count()).select_from(Member).where(Member.team_id == team)) or 0
    invited = session.scalar(
        select(func.count()).select_from(Invitation).where(Invitation.team_id == team, Invitation.expires_at > utcnow())
    )
    policy = role_policy()
    return [
        {"key": "shop", "done": bool(shops), "detail": ", ".join(shops)},
        {"key": "google", "done": writer is not None, "detail": writer or ""},
        {
            "key": "spreadsheets",
            "done": bool(bound),
            "detail": ", ".join(translate(policy.label(r)) for r, _ in AUDIENCES if r in bound),
            "audiences": [
                {"role": r, "label": translate(policy.label(r)), "profile": p, "done": r in bound} for r, p in AUDIENCES
            ],
        },
        {
            "key": "members",
            "done": members > 1 or bool(invited),  # an invitation sent counts: joining is the invitee's step
            "detail": translate("{count} member" if members == 1 else "{count} members").format(count=members)
            + (translate(", {invited} invited").format(invited=invited) if invited else ""),
        },
    ]
