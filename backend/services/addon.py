"""What the Sheets add-on's sidebar may do, for whom: the caller's team and role, the role table, status,
"Sync now", shop consent, members, columns and profiles.

Every function takes the resolved `Caller`; every id in a request is looked up inside the caller's
team, so another team's shops, orders and bindings answer "not found", never "forbidden".
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NoReturn

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend import i18n
from backend.catalog import role_policy
from backend.config import Config
from backend.db import Database
from backend.domain.phrases import Phrase, listed
from backend.domain.profiles import Profile, visibility_problems
from backend.errors import Conflict, Forbidden, InvalidInput, NotFound, RateLimited, ReauthorizationNeeded
from backend.models import (
    AuditEntry,
    GoogleConnection,
    GoogleOAuthState,
    Lease,
    Member,
    SheetBinding,
    Shop,
    ShopStatus,
    Spreadsheet,
    Team,
    utcnow,
)
from backend.services import bindings, first_run, health, leases, limits, retention, shops, teams
from backend.sheets.google import identity_email

ADMIN = frozenset({"admin"})


@dataclass(frozen=True)
class Caller:
    """A verified Google identity that is a member of `team_id` with `role`."""

    email: str
    team_id: int
    team_name: str
    role: str
    language: str = i18n.DEFAULT  # the team's: what its refusals are said in when no spreadsheet overrides it


def _editing_roles() -> frozenset[str]:
    """Roles that own at least one input column (from the catalogue), plus admins."""
    return ADMIN | {r for c in bindings.catalogue().values() if c.is_input for r in c.editable_by}


# The role table: which roles may take each sidebar action (None = every member). Data, read by one check.
ACTIONS: Mapping[str, frozenset[str] | None] = {
    "status": None,
    "sync_now": None,
    "columns": None,
    "profiles": None,
    "edit_cells": _editing_roles(),
    "connect_shop": ADMIN,
    "connect_google": ADMIN,
    "bind": ADMIN,
    "unbind": ADMIN,
    "create_spreadsheet": ADMIN,
    "define_profile": ADMIN,
    "manage_members": ADMIN,
    "install_trigger": ADMIN,
    "pending_actions": None,  # counts only; the refunds in it are for the roles that approve them
    "approve_refund": role_policy().acting(bindings.APPROVE_LARGE_REFUND),
    "team_settings": ADMIN,
    "manage_channels": ADMIN,
    # Agency clients look; every other role raises, fills and (for its own templates) resolves cases.
    "exceptions": frozenset(role_policy().roles) - {"viewer"},
    "leave_team": None,
}


# Each action as a refusal names it ("the viewer role may not bind tabs").
ACTION_WORDS: Mapping[str, str] = {
    "sync_now": "start a sync",
    "edit_cells": "type into OrderDeck's sheets",
    "connect_shop": "connect shops",
    "connect_google": "connect a Google account",
    "bind": "bind tabs",
    "unbind": "stop writing tabs",
    "create_spreadsheet": "create spreadsheets",
    "define_profile": "save column profiles",
    "manage_members": "add or remove members",
    "install_trigger": "turn on edits",
    "team_settings": "change team settings",
}


def may(role: str, action: str) -> bool:
    allowed = ACTIONS[action]
    return allowed is None or role in allowed


def require(caller: Caller, action: str) -> None:
    """Refuse in words: what the role may not do, which roles may (the role table), and whom to ask."""
    if not may(caller.role, action):
        policy = role_policy()
        allowed = listed([Phrase(policy.label(r)) for r in policy.roles if may(r, action)], "or")
        doing = ACTION_WORDS.get(action, action.replace("_", " "))
        raise Forbidden(
            Phrase(
                "the {role} role may not {doing}: only {allowed} may, so ask an admin of your team",
                role=Phrase(caller.role),
                doing=Phrase(doing),
                allowed=allowed,
            )
        )


def actions_for(role: str) -> list[str]:
    return sorted(a for a in ACTIONS if may(role, a))


# -- who is calling ------------------------------------------------------------------------------
def memberships(session: Session, email: str) -> list[tuple[Member, Team]]:
    rows = session.execute(select(Member, Team).join(Team).where(Member.email == email).order_by(Team.id))
    return [(m, t) for m, t in rows]


def resolve_caller(session: Session, email: str, team_hint: str | None) -> Caller:
    """The caller's team and role; a person in several teams names one (header X-OrderDeck-Team)."""
    return _choose(email, memberships(session, email), team_hint)


def _teams(found: list[tuple[Member, Team]]) -> list[dict[str, Any]]:
    return [{"id": t.id, "name": t.name, "role": m.role} for m, t in found]


def _choose(email: str, found: list[tuple[Member, Team]], team_hint: str | None) -> Caller:
    if not found:
        raise Forbidden(
            Phrase("{email} is not a member of any OrderDeck team: ask your team's admin to invite you", email=email)
        )
    if team_hint:
        chosen = [(m, t) for m, t in found if str(t.id) == team_hint.strip()]
        if not chosen:
            raise Forbidden(Phrase("{email} is not a member of the team this request names", email=email))
    elif len(found) > 1:  # names no team: /addon/me lists them to the person, the sidebar lets them choose
        raise InvalidInput(
            Phrase(
                "{email} belongs to {count} teams: choose one in the OrderDeck sidebar", email=email, count=len(found)
            )
        )
    else:
        chosen = found
    member, team = chosen[0]
    return Caller(email=email, team_id=team.id, team_name=team.name, role=member.role, language=i18n.language_of(team))


def team_of(session: Session, caller: Caller) -> Team:
    return session.get_one(Team, caller.team_id)


def speaks(session: Session, caller: Caller, spreadsheet: Spreadsheet | None = None) -> i18n.Translate:
    """gettext for what the caller is shown: the spreadsheet's language when the request concerns one, else the
    team's (profile titles, role names)."""
    return i18n.translator(i18n.language_of(team_of(session, caller), spreadsheet))


def role_labels(translate: i18n.Translate) -> dict[str, str]:
    """Every role as people call it, in the caller's language."""
    return {role: translate(label) for role, label in role_policy().labels.items()}


def team_spreadsheet(session: Session, caller: Caller, google_id: str) -> Spreadsheet | None:
    """The spreadsheet if the caller's team uses it; another team's file looks unknown."""
    return session.scalar(
        select(Spreadsheet).where(Spreadsheet.google_id == google_id, Spreadsheet.team_id == caller.team_id)
    )


def team_shop(session: Session, caller: Caller, shop_id: int) -> Shop:
    shop = session.scalar(select(Shop).where(Shop.id == shop_id, Shop.team_id == caller.team_id))
    if shop is None:
        raise NotFound(Phrase("no shop {shop_id} in your team", shop_id=shop_id))
    return shop


def audit(session: Session, caller: Caller, action: str, target: str, detail: dict[str, Any]) -> None:
    session.add(
        AuditEntry(
            team_id=caller.team_id,
            actor=caller.email,
            action=action,
            target_type=action.split(".", maxsplit=1)[0],
            target_id=target[:128],
            detail=detail,
        )
    )


# -- status ---------------------------------------------------------------------------------------
def me(session: Session, email: str, team_hint: str | None) -> dict[str, Any]:
    """Who the token speaks for and their teams; works before the person belongs to any team, and names
    no caller while the team is ambiguous. A remembered team the person has left is ignored, not an error."""
    found = memberships(session, email)
    if team_hint and not any(str(t.id) == team_hint.strip() for _m, t in found):
        team_hint = None
    caller = _choose(email, found, team_hint) if found and (team_hint or len(found) == 1) else None
    return {
        "email": email,
        "teams": _teams(found),
        "team": {"id": caller.team_id, "name": caller.team_name} if caller else None,
        "role": caller.role if caller else None,
        "actions": actions_for(caller.role) if caller else [],
        # roles as people call them (in the team's language once one is chosen), before any team is chosen too
        "role_labels": role_labels(speaks(session, caller) if caller else i18n.translator(i18n.DEFAULT)),
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def writer_status(session: Session, team_id: int, config: Config) -> dict[str, Any]:
    """Which Google identity writes the team's sheets (share files with it), or what is missing."""
    connection = session.scalar(select(GoogleConnection).where(GoogleConnection.team_id == team_id))
    try:
        email: str | None = identity_email(session, team_id, config)
    except ReauthorizationNeeded as exc:
        return {"writer": None, "kind": None, "problem": exc.message}
    kind = "connected_user" if connection is not None else "service_account"
    return {"writer": email, "kind": kind, "problem": None}


def waiting_google(session: Session, caller: Caller) -> list[GoogleOAuthState]:
    """Accounts Google returned to the caller's own Connect links, waiting for the caller's confirmation
    (newest first); another admin's are not the caller's to confirm, and are not shown to them."""
    return list(
        session.scalars(
            select(GoogleOAuthState)
            .where(
                GoogleOAuthState.team_id == caller.team_id,
                GoogleOAuthState.member_email == caller.email,
                GoogleOAuthState.refresh_token_sealed.is_not(None),
                GoogleOAuthState.confirm_by > utcnow(),
            )
            .order_by(GoogleOAuthState.created_at.desc())
        )
    )


def _google_pending(session: Session, caller: Caller) -> dict[str, Any] | None:
    waiting = waiting_google(session, caller) if may(caller.role, "connect_google") else []
    if not waiting:
        return None
    return {"account": waiting[0].account_email, "expires_at": _iso(waiting[0].confirm_by)}


def sync_now_wait(session: Session, team_id: int, now: datetime | None = None) -> int:
    """Seconds until the team may press "Sync now" again (0 = now)."""
    lease = session.get(Lease, _sync_lease(team_id))
    now = now or utcnow()
    if lease is None or lease.expires_at <= now:
        return 0
    return max(1, int((lease.expires_at - now).total_seconds() + 0.999))


def status(session: Session, caller: Caller, google_id: str | None, config: Config) -> dict[str, Any]:
    """What the sidebar shows everyone: shop sync health, this spreadsheet's bound tabs, the writer."""
    now = utcnow()
    shop_rows = [
        {
            "id": h.shop_id,
            "name": h.name,
            "platform": h.platform,
            "region": h.region,
            "status": h.status,
            "status_reason": h.status_reason,
            "needs_reauthorization": h.needs_reauthorization,
            "last_synced_at": _iso(h.last_synced_at),
            "lag_seconds": h.lag_seconds,
            "missed_by_webhook_7d": h.missed_by_webhook_7d,
            "failed_items_7d": h.failed_items_7d,
            "last_failure": h.last_failure,
            "last_error": h.last_error,
            "after_sales_problem": h.after_sales_problem,
        }
        for h in health.team_health(session, caller.team_id, now)
    ]
    spreadsheet = team_spreadsheet(session, caller, google_id) if google_id else None
    translate = speaks(session, caller, spreadsheet)
    if spreadsheet is not None and caller.role not in ADMIN | {spreadsheet.audience_role}:
        spreadsheet = None  # a file for another audience: its tabs are none of this member's business
    writer = writer_status(session, caller.team_id, config)
    found = {
        "team": {
            "id": caller.team_id,
            "name": caller.team_name,
            "retention_days": retention.team_retention(session, caller.team_id),
        },
        "role": caller.role,
        "role_labels": role_labels(translate),  # roles as people call them, for every member's sidebar
        "actions": actions_for(caller.role),
        "shops": shop_rows,
        "spreadsheet": describe_spreadsheet(spreadsheet, translate) if spreadsheet else None,
        "google": {**writer, "pending": _google_pending(session, caller)},
        "sync_now_in": sync_now_wait(session, caller.team_id, now),
    }
    if may(caller.role, "connect_shop"):  # an admin: the guided first run, and what the admin forms offer
        found["setup"] = first_run.steps(session, caller.team_id, writer["writer"], translate)
        found["choices"] = first_run.choices(translate)
    return found


def set_retention(session: Session, caller: Caller, days: int) -> dict[str, Any]:
    """An admin changes how long the team keeps buyers' personal data after an order ends."""
    team = retention.set_retention(session, session.get_one(Team, caller.team_id), days, caller.email)
    return {"retention_days": team.retention_days}


def describe_binding(binding: SheetBinding, translate: i18n.Translate) -> dict[str, Any]:
    """A bound tab, its profile's title in the caller's language."""
    builtin = bindings.builtin_profiles().get(binding.profile_key)
    return {
        "id": binding.id,
        "tab": binding.tab_title,
        "profile": binding.profile_key,
        "profile_title": translate(builtin.title) if builtin else binding.profile_key,
        "shops": [int(s) for s in binding.shop_ids],
        "dirty": binding.dirty,
        "last_pushed_at": _iso(binding.last_pushed_at),
        "last_push_error": binding.last_push_error,
    }


def describe_spreadsheet(spreadsheet: Spreadsheet, translate: i18n.Translate) -> dict[str, Any]:
    return {
        "id": spreadsheet.google_id,
        "title": spreadsheet.title,
        "audience": spreadsheet.audience_role,
        "sharing_problem": spreadsheet.sharing_problem,
        "bindings": [describe_binding(b, translate) for b in spreadsheet.bindings],
    }


# -- sync now -------------------------------------------------------------------------------------
def _sync_lease(team_id: int) -> str:
    return f"sync-now:team:{team_id}"


def sync_now(db: Database, caller: Caller, shop_id: int | None, enqueue: Any) -> dict[str, Any]:
    """Queue a sync of the team's active shops (or one), at most once a minute per team (limit `sync_now.team`)."""
    with db.session() as session:
        if shop_id is not None:
            targets = [team_shop(session, caller, shop_id)]
        else:
            targets = list(session.scalars(select(Shop).where(Shop.team_id == caller.team_id).order_by(Shop.id)))
        rule = limits.rules(session, caller.team_id)["sync_now.team"]
        if sync_now_wait(session, caller.team_id):  # pressed again within the span: say when, whatever the shops
            _sync_refused(session, caller.team_id, rule)
        active = [s.id for s in targets if s.status == ShopStatus.ACTIVE]
        if not active:
            raise Conflict("no connected shop can be synced: connect a shop or re-authorize it first")
    every = timedelta(seconds=rule.seconds / rule.count)
    if not leases.try_acquire(db, _sync_lease(caller.team_id), uuid.uuid4().hex, every):
        with db.session() as session:
            _sync_refused(session, caller.team_id, rule)
    for shop in active:
        enqueue(f"/tasks/sync-shop/{shop}")
    return {"queued": active, "next_in": math.ceil(every.total_seconds())}


def _sync_refused(session: Session, team_id: int, rule: limits.Rule) -> NoReturn:
    wait = max(1, sync_now_wait(session, team_id))  # at least 1 s, should the lease just have lapsed
    raise RateLimited(
        Phrase(
            "your team may start {count} {what} per {seconds} s; try again in {wait} s",
            count=rule.count,
            what=Phrase(rule.what),
            seconds=rule.seconds,
            wait=wait,
        ),
        retry_after=wait,
    )


# -- shops and members ----------------------------------------------------------------------------
def consent(db: Database, caller: Caller, platform: shops.Platform, name: str, region: str) -> dict[str, Any]:
    """A one-time consent link for the caller's team on the platform `name`."""
    return {
        "url": shops.consent_link(
            db, platform, team_id=caller.team_id, started_by=caller.email, name=name, region=region
        )
    }


def list_members(session: Session, caller: Caller) -> list[dict[str, Any]]:
    rows = session.scalars(select(Member).where(Member.team_id == caller.team_id).order_by(Member.email))
    return [{"email": m.email, "role": m.role} for m in rows]


def other_admins(session: Session, caller: Caller, email: str) -> int:
    admins = session.scalars(select(Member.email).where(Member.team_id == caller.team_id, Member.role == "admin"))
    return sum(1 for a in admins if a != email)


def set_member(session: Session, caller: Caller, email: str, role: str) -> list[dict[str, Any]]:
    """Change a member's role; the team always keeps one admin. Someone new is invited instead
    (services/invitations): they become a member only by accepting."""
    email = teams.normalize_email(email)
    if session.scalar(select(Member.id).where(Member.team_id == caller.team_id, Member.email == email)) is None:
        raise NotFound(
            Phrase("{email} is not a member of your team: invite them, and they join when they accept", email=email)
        )
    if role != "admin" and not other_admins(session, caller, email):
        raise Conflict("the team needs at least one admin: make someone else admin first")
    teams.add_member(session, team_of(session, caller), email, role, actor=caller.email)
    return list_members(session, caller)


def remove_member(session: Session, caller: Caller, email: str) -> Member:
    """Remove a member of the caller's team (never its last admin); the removed row is returned."""
    email = teams.normalize_email(email)
    member = session.scalar(select(Member).where(Member.team_id == caller.team_id, Member.email == email))
    if member is None:
        raise NotFound(Phrase("{email} is not a member of your team", email=email))
    if member.role == "admin" and not other_admins(session, caller, email):
        raise Conflict("the team needs at least one admin: make someone else admin first")
    session.delete(member)
    audit(session, caller, "member.remove", email, {"role": member.role})
    session.flush()
    return member


# -- columns and profiles -------------------------------------------------------------------------
def columns(caller: Caller, audience: str) -> list[dict[str, Any]]:
    """Columns an `audience` spreadsheet may show that the caller may see too (for building profiles)."""
    policy = role_policy()
    teams.check_role(audience)
    return [
        c.describe()
        for c in bindings.catalogue().values()
        if policy.may_see(audience, c.sensitivity) and policy.may_see(caller.role, c.sensitivity)
    ]


def describe_profile(profile: Profile, translate: i18n.Translate) -> dict[str, Any]:
    """A profile for the sidebar's pickers: its title in the caller's language (a custom one as typed)."""
    policy = role_policy()
    return {
        "key": profile.key,
        "title": translate(profile.title),
        "description": profile.description,
        "audience": profile.audience_role,
        "audiences": [r for r in policy.roles if not visibility_problems(profile.columns, r, policy)],
        "grain": profile.grain.value,
        "columns": [c.key for c in profile.columns],
    }


def profiles(session: Session, caller: Caller, google_id: str | None) -> list[dict[str, Any]]:
    """Built-in and custom profiles whose every column the caller's role may see, titled in the language of the
    spreadsheet `google_id` (else the team's); only custom keys are looked up (a custom profile replaces a
    built-in one of the same key)."""
    policy = role_policy()
    translate = speaks(session, caller, team_spreadsheet(session, caller, google_id) if google_id else None)
    team = caller.team_id
    custom = {k: bindings.profile_for(session, team, k) for k in bindings.custom_profile_keys(session, team)}
    found = {**bindings.builtin_profiles(), **custom}
    shown = [p for p in found.values() if not visibility_problems(p.columns, caller.role, policy)]
    return [describe_profile(p, translate) for p in shown]


def define_profile(session: Session, caller: Caller, doc: Mapping[str, Any]) -> dict[str, Any]:
    defined = bindings.define_profile(session, team_of(session, caller), doc, caller.email)
    return describe_profile(defined, speaks(session, caller))
