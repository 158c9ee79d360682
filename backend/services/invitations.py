"""Membership by consent: an admin invites an address as a role; that person joins by signing in with Google
as that very address (on the invitation page, /invite/<token>, or in the sidebar), and only then are they a
member and are the team's spreadsheets for their role shared with them. A member may leave at any time,
except the team's last admin. `flask member add` (the operator's command) stays direct.

An invitation tells the inviting admin nothing about the address (whether it exists, or belongs to another
team): it is pending until accepted, revoked or expired. Only a hash of the link's token is stored, and an
accepted invitation is deleted, so a link works once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.config import Config
from backend.db import Database
from backend.domain.phrases import Phrase
from backend.errors import Conflict, Forbidden, NotFound
from backend.models import Invitation, Member, Team, utcnow
from backend.secrets import SecretBox
from backend.services import addon, addon_sheets, teams
from backend.services.addon import Caller, audit, other_admins

INVITATION_TTL = timedelta(days=7)
GONE = "this invitation is not valid any more (it was used, withdrawn or has expired): ask for a new one"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link(config: Config, token: str) -> str:
    return f"{config.PUBLIC_BASE_URL.rstrip('/')}/invite/{token}"


def _describe(invitation: Invitation) -> dict[str, Any]:
    return {
        "email": invitation.email,
        "role": invitation.role,
        "invited_by": invitation.invited_by,
        "expires_at": invitation.expires_at.isoformat(),
        "expired": invitation.expires_at <= utcnow(),
    }


# -- the inviting admin ----------------------------------------------------------------------------
def invite(session: Session, caller: Caller, config: Config, email: str, role: str) -> dict[str, Any]:
    """Invite `email` as `role` (again: a new link, the old one stops working); the answer is the link to send."""
    email, role = teams.normalize_email(email), teams.check_role(role)
    if session.scalar(select(Member.id).where(Member.team_id == caller.team_id, Member.email == email)) is not None:
        raise Conflict(Phrase("{email} is already a member of your team: change their role instead", email=email))
    token = secrets.token_urlsafe(32)
    found = session.scalar(select(Invitation).where(Invitation.team_id == caller.team_id, Invitation.email == email))
    if found is None:
        found = Invitation(team_id=caller.team_id, email=email)
        session.add(found)
    found.role, found.token_hash, found.invited_by = role, _digest(token), caller.email
    found.created_at, found.expires_at = utcnow(), utcnow() + INVITATION_TTL
    audit(session, caller, "member.invite", email, {"role": role})
    session.flush()
    return {**_describe(found), "url": link(config, token)}


def pending(session: Session, caller: Caller) -> list[dict[str, Any]]:
    rows = session.scalars(select(Invitation).where(Invitation.team_id == caller.team_id).order_by(Invitation.email))
    return [_describe(i) for i in rows]


def revoke(session: Session, caller: Caller, email: str) -> list[dict[str, Any]]:
    email = teams.normalize_email(email)
    found = session.scalar(select(Invitation).where(Invitation.team_id == caller.team_id, Invitation.email == email))
    if found is None:
        raise NotFound(Phrase("no invitation for {email} is pending in your team", email=email))
    session.delete(found)
    audit(session, caller, "member.uninvite", email, {"role": found.role})
    session.flush()
    return pending(session, caller)


# -- the invited person ----------------------------------------------------------------------------
def me(session: Session, email: str, team_hint: str | None) -> dict[str, Any]:
    """/addon/me: who the token speaks for, their teams, and the teams inviting them (to join in the sidebar)."""
    return {**addon.me(session, email, team_hint), "invitations": addressed_to(session, email)}


def addressed_to(session: Session, email: str) -> list[dict[str, Any]]:
    """Open invitations for this (verified) address, with the inviting team: what the sidebar offers to join."""
    rows = session.execute(
        select(Invitation, Team)
        .join(Team)
        .where(Invitation.email == email, Invitation.expires_at > utcnow())
        .order_by(Invitation.id)
    )
    return [
        {"id": i.id, "team": t.name, "role": i.role, "invited_by": i.invited_by, "expires_at": i.expires_at.isoformat()}
        for i, t in rows
    ]


@dataclass(frozen=True)
class Preview:
    """What the invitation page shows before sign-in: the link holder may learn the team and the role."""

    team: str
    role: str
    invited_by: str
    address_hint: str  # the invited address, half hidden, so a person with two accounts picks the right one


def _hint(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}{'•' * 3}@{domain}"


def preview(session: Session, token: str) -> Preview:
    found = _by_token(session, token)
    team = session.get_one(Team, found.team_id)
    return Preview(team.name, found.role, found.invited_by, _hint(found.email))


def _by_token(session: Session, token: str) -> Invitation:
    found = session.scalar(select(Invitation).where(Invitation.token_hash == _digest(token)).with_for_update())
    if found is None or found.expires_at <= utcnow():
        raise NotFound(GONE)
    return found


def _by_id(session: Session, invitation_id: int, email: str) -> Invitation:
    """Addressed to `email`: another person's invitation looks the same as none."""
    found = session.scalar(
        select(Invitation).where(Invitation.id == invitation_id, Invitation.email == email).with_for_update()
    )
    if found is None or found.expires_at <= utcnow():
        raise NotFound(GONE)
    return found


def accept(
    db: Database,
    config: Config,
    box: SecretBox,
    email: str,
    *,
    token: str | None = None,
    invitation_id: int | None = None,
) -> dict[str, Any]:
    """`email` (verified by Google) joins the inviting team; then that team's files for the role are shared
    with them (without Drive's e-mail). The invitation is used up."""
    with db.session() as session:
        found = _by_token(session, token or "") if invitation_id is None else _by_id(session, invitation_id, email)
        if found.email != email:
            raise Forbidden(
                Phrase(
                    "this invitation was sent to another address ({hint}), not {email}: "
                    "sign in with the Google account of the address it was sent to",
                    hint=_hint(found.email),
                    email=email,
                )
            )
        inviter = session.scalar(
            select(Member.role).where(Member.team_id == found.team_id, Member.email == found.invited_by)
        )
        if inviter != "admin":  # an admin who was removed or demoted leaves no way in behind them
            raise Forbidden("the admin who invited you is no longer an admin of the team: ask another admin")
        team = session.get_one(Team, found.team_id)
        member = session.scalar(select(Member).where(Member.team_id == team.id, Member.email == email))
        if member is None:  # the operator may have added them meanwhile: their role stands
            member = Member(team_id=team.id, email=email, role=found.role)
            session.add(member)
        session.delete(found)
        session.flush()
        joined = Caller(email=email, team_id=team.id, team_name=team.name, role=member.role)
        audit(session, joined, "member.join", email, {"role": member.role, "invited_by": found.invited_by})
    files = addon_sheets.share_with_new_member(db, config, box, joined)
    return {"team": {"id": joined.team_id, "name": joined.team_name}, "role": joined.role, **files}


def leave(db: Database, config: Config, box: SecretBox, caller: Caller) -> dict[str, Any]:
    """The caller stops being a member of their team (the last admin stays until someone else is admin), and
    is taken off the team's spreadsheets."""
    with db.session() as session:
        member = session.scalar(select(Member).where(Member.team_id == caller.team_id, Member.email == caller.email))
        if member is None:
            raise NotFound("you are not a member of this team")
        if member.role == "admin" and not other_admins(session, caller, caller.email):
            raise Conflict("you are the team's last admin: make someone else admin before you leave")
        session.delete(member)
        audit(session, caller, "member.leave", caller.email, {"role": member.role})
    files = addon_sheets.withdraw_from_former_member(db, config, box, caller)
    return {"left": {"id": caller.team_id, "name": caller.team_name}, **files}


def remove(db: Database, config: Config, box: SecretBox, caller: Caller, email: str) -> list[dict[str, Any]]:
    """An admin removes a member, who is then taken off the team's spreadsheets; the team keeps one admin."""
    with db.session() as session:
        removed = addon.remove_member(session, caller, email)
        member = Caller(email=removed.email, team_id=caller.team_id, team_name=caller.team_name, role=removed.role)
    addon_sheets.withdraw_from_former_member(db, config, box, member)
    with db.session() as session:
        return addon.list_members(session, caller)
