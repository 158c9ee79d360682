"""Column profiles (built in and custom) and binding a spreadsheet tab to one, with role and audience checks.

A spreadsheet has one audience role; every tab bound into it must show only what that role may see,
and the member binding it must be allowed to see it too. Both checks read the role table in schemas/.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import jsonschema
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.catalog import SCHEMAS_DIR, exception_templates, load_json, role_policy, validated
from backend.domain.case_columns import case_columns
from backend.domain.columns import Column, build_catalogue
from backend.domain.phrases import Phrase, joined, listed
from backend.domain.profiles import Profile, ProfileRejected, check_shown_to, parse_profile, visibility_problems
from backend.errors import Conflict, Forbidden, InvalidInput, NotFound
from backend.models import AuditEntry, ColumnProfile, Member, SheetBinding, Shop, Spreadsheet, Team, utcnow

PROFILE_SCHEMA = "column_profile.schema.json"


DECIDE_AFTER_SALES = "decide_after_sales"  # action permissions in schemas/roles.json
APPROVE_LARGE_REFUND = "approve_large_refund"


@cache
def catalogue() -> dict[str, Column]:
    """The column catalogue, with the exception templates' English labels as the Exception dropdown and
    the after-sales input columns editable by the roles the action table names."""
    policy = role_policy()
    after_sales = case_columns(policy.acting(DECIDE_AFTER_SALES), policy.acting(APPROVE_LARGE_REFUND))
    return build_catalogue(tuple(t.label.get("en", t.key) for t in exception_templates()), after_sales)


@cache
def builtin_profiles() -> dict[str, Profile]:
    """schemas/profiles/*.json, each checked against its JSON Schema, the catalogue and the role table."""
    profiles = {}
    for path in sorted((SCHEMAS_DIR / "profiles").glob("*.json")):
        profile = parse_profile(validated(path, PROFILE_SCHEMA), catalogue(), role_policy())
        profiles[profile.key] = profile
    return profiles


def check_profile_document(doc: Mapping[str, Any]) -> Profile:
    """Validate a custom profile as the API receives it: JSON Schema, then catalogue and role policy."""
    try:
        jsonschema.validate(doc, load_json(SCHEMAS_DIR / PROFILE_SCHEMA))
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(top)"
        raise InvalidInput(Phrase("profile at {where}: {problem}", where=where, problem=exc.message)) from None
    return parse_profile(doc, catalogue(), role_policy())


def profile_for(session: Session, team_id: int, key: str) -> Profile:
    """A team's custom profile by key, else the built-in one.

    A stored definition is not refused for its audience here: a column reclassified since it was saved is
    caught where the profile is used (binding, pushing: each tab is checked against its file's audience),
    so one outdated profile cannot stop every push and listing of the team.
    """
    row = session.scalar(select(ColumnProfile).where(ColumnProfile.team_id == team_id, ColumnProfile.key == key))
    if row is not None:
        return parse_profile(row.definition, catalogue(), role_policy(), check_audience=False)
    found = builtin_profiles().get(key)
    if found is None:
        known = sorted({*builtin_profiles(), *custom_profile_keys(session, team_id)})
        raise NotFound(Phrase("no column profile {key!r}; profiles are: {known}", key=key, known=", ".join(known)))
    return found


def custom_profile_keys(session: Session, team_id: int) -> list[str]:
    return list(session.scalars(select(ColumnProfile.key).where(ColumnProfile.team_id == team_id)))


def define_profile(session: Session, team: Team, doc: Mapping[str, Any], actor: str) -> Profile:
    """Save an admin's custom profile; refused if a column exceeds what its audience role may see."""
    _member_with_role(session, team, actor, "admin", "define column profiles")
    profile = check_profile_document(doc)
    if profile.key in builtin_profiles():
        raise Conflict(Phrase("{key!r} is a built-in profile; choose another key", key=profile.key))
    row = session.scalar(
        select(ColumnProfile).where(ColumnProfile.team_id == team.id, ColumnProfile.key == profile.key)
    )
    if row is not None:
        check_bound_tabs(session, team.id, profile)
    if row is None:
        row = ColumnProfile(team_id=team.id, key=profile.key, created_by=actor, audience_role="", definition={})
        session.add(row)
    row.audience_role, row.definition = profile.audience_role, dict(doc)
    _audit(
        session,
        team.id,
        actor,
        "profile.define",
        target=profile.key,
        detail={"columns": [c.key for c in profile.columns]},
    )
    session.flush()
    return profile


def check_bound_tabs(session: Session, team_id: int, profile: Profile) -> None:
    """A redefinition must suit every tab already bound to the profile: each file's audience reads all its tabs."""
    bound = session.scalars(
        select(SheetBinding)
        .join(Spreadsheet)
        .where(Spreadsheet.team_id == team_id, SheetBinding.profile_key == profile.key)
        .order_by(SheetBinding.id)
    )
    policy = role_policy()
    unfit = [
        (b, hidden)
        for b in bound
        if (hidden := visibility_problems(profile.columns, b.spreadsheet.audience_role, policy))
    ]
    if unfit:  # in words for the sidebar (headers, the audience's name); `problems` keeps the keys
        tabs = [
            Phrase(
                "tab “{tab}” of {file} ({audience}) may not show {columns}",
                tab=b.tab_title,
                file=b.spreadsheet.title or b.spreadsheet.google_id,
                audience=Phrase(policy.label(b.spreadsheet.audience_role)),
                columns=listed(
                    [
                        Phrase(c.header)
                        for c in profile.columns
                        if not policy.may_see(b.spreadsheet.audience_role, c.sensitivity)
                    ]
                ),
            )
            for b, _ in unfit
        ]
        raise ProfileRejected(
            Phrase(
                "“{title}” is bound to tabs whose readers may not see the new columns ({tabs}): unbind those tabs or "
                "leave the columns out",
                title=profile.title,
                tabs=joined(tabs),
            ),
            [f"tab {b.tab_title!r}: " + ", ".join(hidden) for b, hidden in unfit],
        )


def _member_with_role(session: Session, team: Team, email: str, role: str | None, doing: str) -> Member:
    member = session.scalar(select(Member).where(Member.team_id == team.id, Member.email == email.strip().lower()))
    if member is None:
        raise Forbidden(
            Phrase(
                "{email} is not a member of team {team!r}, so may not {doing}",
                email=email,
                team=team.name,
                doing=Phrase(doing),
            )
        )
    if role is not None and member.role != role:
        raise Forbidden(
            Phrase(
                "{email} is {role}; only an {needed} may {doing}",
                email=email,
                role=Phrase(member.role),
                needed=Phrase(role),
                doing=Phrase(doing),
            )
        )
    return member


def _audit(session: Session, team_id: int, actor: str, action: str, *, target: str, detail: dict[str, Any]) -> None:
    session.add(
        AuditEntry(
            team_id=team_id,
            actor=actor,
            action=action,
            target_type=action.split(".", maxsplit=1)[0],
            target_id=target,
            detail=detail,
        )
    )


def spreadsheet_refusal(audience: str, which: str) -> dict[str, str]:
    """How a refusal names a spreadsheet of `audience` and what to do instead (check_shown_to's words)."""
    label = role_policy().label(audience)
    return {"who": f"{which} spreadsheet for {label}", "fix": f"choose a profile made for {label}"}


def resolve_shops(session: Session, team: Team, shops: Sequence[str]) -> list[int]:
    """Shop ids (database id or the platform's shop id) of the team; an empty list means all its shops."""
    owned = list(session.scalars(select(Shop).where(Shop.team_id == team.id)))
    chosen = []
    for wanted in shops:
        match = next((s for s in owned if wanted in (str(s.id), s.external_id)), None)
        if match is None:
            raise NotFound(Phrase("team {team!r} has no shop {shop!r}", team=team.name, shop=wanted))
        chosen.append(match.id)
    return sorted(set(chosen))


def bind(
    session: Session,
    team: Team,
    google_id: str,
    tab: str,
    profile_key: str,
    *,
    shops: Sequence[str] = (),
    actor: str | None = None,
    title: str = "",
) -> SheetBinding:
    """Bind `tab` of a spreadsheet to a profile; the first binding fixes the spreadsheet's audience role.

    The acting member defaults to the team's first admin, and must be allowed to see what the profile shows.
    """
    policy = role_policy()
    if actor is None:
        admin = session.scalar(
            select(Member).where(Member.team_id == team.id, Member.role == "admin").order_by(Member.id)
        )
        if admin is None:
            raise Forbidden(Phrase("team {team!r} has no admin to bind sheets", team=team.name))
        actor = admin.email
    member = _member_with_role(session, team, actor, None, "bind sheets")
    profile = profile_for(session, team.id, profile_key)
    check_shown_to(
        profile, member.role, policy, who=f"{member.email} ({policy.label(member.role)})", fix="ask an admin to bind it"
    )
    tab = tab.strip()
    if not tab or len(tab) > 100:
        raise InvalidInput("a tab name needs 1 to 100 characters")
    spreadsheet = session.scalar(select(Spreadsheet).where(Spreadsheet.google_id == google_id))
    if spreadsheet is None:
        spreadsheet = Spreadsheet(
            team_id=team.id, google_id=google_id, audience_role=profile.audience_role, title=title
        )
        session.add(spreadsheet)
    elif spreadsheet.team_id != team.id:
        raise Conflict("this spreadsheet is already used by another team")
    check_shown_to(profile, spreadsheet.audience_role, policy, **spreadsheet_refusal(spreadsheet.audience_role, "This"))
    shop_ids = resolve_shops(session, team, shops)
    binding = next((b for b in spreadsheet.bindings if b.tab_title.lower() == tab.lower()), None)
    if binding is None:
        binding = SheetBinding(tab_title=tab, profile_key=profile.key, created_by=member.email)
        spreadsheet.bindings.append(binding)
    binding.profile_key, binding.shop_ids = profile.key, shop_ids
    binding.dirty, binding.dirty_since = True, utcnow()
    binding.refused_for = binding.refused_at = None  # bound again: a refusal for good is tried again at once
    session.flush()
    _audit(
        session,
        team.id,
        member.email,
        "sheet.bind",
        target=str(binding.id),
        detail={"spreadsheet": google_id, "tab": tab, "profile": profile.key, "shops": shop_ids},
    )
    return binding


def unbind(session: Session, team: Team, google_id: str, tab: str, actor: str) -> None:
    """Stop writing a tab (the tab and its cells stay in the spreadsheet)."""
    _member_with_role(session, team, actor, "admin", "unbind sheets")
    binding = session.scalar(
        select(SheetBinding)
        .join(Spreadsheet)
        .where(Spreadsheet.team_id == team.id, Spreadsheet.google_id == google_id, SheetBinding.tab_title == tab)
    )
    if binding is None:
        raise NotFound(Phrase("tab {tab!r} of {google_id} is not bound", tab=tab, google_id=google_id))
    session.delete(binding)
    _audit(
        session, team.id, actor, "sheet.unbind", target=str(binding.id), detail={"spreadsheet": google_id, "tab": tab}
    )


def list_bindings(session: Session, team: Team) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(SheetBinding).join(Spreadsheet).where(Spreadsheet.team_id == team.id).order_by(SheetBinding.id)
    )
    return [
        {
            "id": b.id,
            "spreadsheet": b.spreadsheet.google_id,
            "audience": b.spreadsheet.audience_role,
            "tab": b.tab_title,
            "profile": b.profile_key,
            "shops": list(b.shop_ids),
            "dirty": b.dirty,
            "last_pushed_at": b.last_pushed_at.isoformat() if b.last_pushed_at else None,
            "last_push_error": b.last_push_error,
            "sharing_problem": b.spreadsheet.sharing_problem,
        }
        for b in rows
    ]


__all__ = ["ProfileRejected", "bind", "builtin_profiles", "catalogue", "define_profile", "profile_for"]
