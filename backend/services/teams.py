"""Teams and members: creating them and checking roles against schemas/roles.json."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend import i18n
from backend.catalog import role_policy
from backend.domain.fx import CURRENCY
from backend.domain.phrases import Phrase, listed
from backend.errors import Conflict, InvalidInput, NotFound
from backend.models import AuditEntry, Member, Team
from backend.services.fx import mark_team_dirty

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalize_email(email: str) -> str:
    cleaned = email.strip().lower()
    if not EMAIL.match(cleaned) or len(cleaned) > 320:
        raise InvalidInput(Phrase("{email!r} is not an email address", email=email))
    return cleaned


def check_role(role: str) -> str:
    policy = role_policy()
    if not policy.is_role(role):
        raise InvalidInput(
            Phrase(
                "unknown role {role!r}; roles are: {known}", role=role, known=listed([Phrase(r) for r in policy.roles])
            )
        )
    return role


def team_by_name(session: Session, name: str) -> Team:
    team = session.scalar(select(Team).where(Team.name == name))
    if team is None:
        raise NotFound(Phrase("no team named {name!r}", name=name))
    return team


def create_team(session: Session, name: str, admin_email: str, language: str = i18n.DEFAULT) -> Team:
    name = name.strip()
    if not name or len(name) > 120:
        raise InvalidInput("a team name needs 1 to 120 characters")
    if session.scalar(select(Team.id).where(Team.name == name)) is not None:
        raise Conflict(Phrase("a team named {name!r} already exists", name=name))
    team = Team(name=name, language=i18n.check_language(language))
    team.members.append(Member(email=normalize_email(admin_email), role="admin"))
    session.add(team)
    session.flush()
    session.add(
        AuditEntry(
            team_id=team.id,
            actor="cli",
            action="team.create",
            target_type="team",
            target_id=str(team.id),
            detail={"admin": team.members[0].email, "language": team.language},
        )
    )
    return team


def add_member(session: Session, team: Team, email: str, role: str, actor: str = "cli") -> Member:
    """Add a member, or change the role of an existing one (the audit log keeps the old role)."""
    email, role = normalize_email(email), check_role(role)
    member = session.scalar(select(Member).where(Member.team_id == team.id, Member.email == email))
    old_role = member.role if member else None
    if member is None:
        member = Member(team_id=team.id, email=email, role=role)
        session.add(member)
    else:
        member.role = role
    session.flush()
    session.add(
        AuditEntry(
            team_id=team.id,
            actor=actor,
            action="member.set_role",
            target_type="member",
            target_id=email,
            detail={"role": role, "old_role": old_role},
        )
    )
    return member


def set_reporting_currency(session: Session, team: Team, code: str, *, actor: str) -> str | None:
    """The currency report tabs total every currency in (beside the per-currency totals); "" clears it.

    Every tab of the team is marked for the next push, since reporting figures appear wherever profit does.
    """
    code = code.strip().upper()
    if code and not CURRENCY.match(code):
        raise InvalidInput(
            Phrase("reporting currency {code!r} must be a 3-letter code such as USD (or empty to clear it)", code=code)
        )
    before, team.reporting_currency = team.reporting_currency, code or None
    _changed(session, team, "reporting_currency", before, team.reporting_currency, actor=actor)
    return team.reporting_currency


def set_language(session: Session, team: Team, language: str, *, actor: str) -> str:
    """The team's language; its spreadsheets without their own are rewritten in it at the next push."""
    before, team.language = team.language, i18n.check_language(language)
    _changed(session, team, "language", before, team.language, actor=actor)
    return team.language


def _changed(session: Session, team: Team, setting: str, before: str | None, after: str | None, *, actor: str) -> None:
    """A setting every tab of the team shows changed: audit it and mark the tabs for the next push."""
    if before == after:
        return
    mark_team_dirty(session, team.id)
    session.add(
        AuditEntry(
            team_id=team.id,
            actor=actor,
            action=f"team.{setting}",
            target_type="team",
            target_id=str(team.id),
            detail={"from": before, "to": after},
        )
    )
