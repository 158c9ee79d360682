"""Spreadsheets from the sidebar: prove the caller can edit a file before binding it, and create a file
for an audience, owned by the backend identity and shared with exactly that audience.

The backend's Google identity may be able to open many teams' files, so a bind names a spreadsheet
only after the add-on, running as the caller inside that file, wrote a one-time challenge into it as
developer metadata and the backend read it back (DESIGN.md, "Prove access before binding").
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from backend import i18n
from backend.catalog import role_policy
from backend.config import Config
from backend.db import Database
from backend.domain.phrases import Phrase
from backend.domain.profiles import check_shown_to
from backend.errors import Forbidden, InvalidInput, NotFound, OrderDeckError
from backend.models import BindChallenge, Member, Spreadsheet, utcnow
from backend.secrets import SecretBox
from backend.services import bindings, limits, teams
from backend.services.addon import Caller, audit, describe_binding, speaks, team_of, team_spreadsheet
from backend.services.sheet_refresh import forget_sharing
from backend.sheets.google import SCOPES, GoogleClients, WriterIdentity, clients, writer_for
from backend.sheets.guard import list_sharing
from backend.sheets.writer import Backoff
from backend.sheets.writer import Caller as GoogleCaller

CHALLENGE_KEY = "orderdeck.bind-challenge"
CHALLENGE_TTL = timedelta(minutes=10)
DRIVE_FILE_SCOPE = "https://www.googleapis.com/auth/drive.file"
GOOGLE_ID = re.compile(r"^[A-Za-z0-9_-]{10,128}$")
FILE_URL = "https://docs.google.com/spreadsheets/d/{id}/edit"
FIRST_TAB = "Orders"  # a new spreadsheet's tab when none is named, in the caller's language
# How long a person in the sidebar waits for the Sheets budget before a 429 says when to try again.
INTERACTIVE_WAIT = 5.0


@dataclass(frozen=True)
class Google:
    """The team's writer identity with its clients, calling Google with few retries (a person waits)."""

    identity: WriterIdentity
    clients: GoogleClients
    caller: GoogleCaller


def _google(db: Database, team_id: int, config: Config, box: SecretBox, *, share: bool = False) -> Google:
    with db.session() as session:
        identity = writer_for(session, team_id, config, box)
    if share and identity.kind == "service_account":
        # Sharing a file needs drive.file; the writer's own scopes stay read-only on Drive.
        identity = replace(identity, credentials=identity.credentials.with_scopes([*SCOPES, DRIVE_FILE_SCOPE]))
    budget = limits.sheets_budget(db, identity, team_id, max_wait=INTERACTIVE_WAIT)
    google = clients(config, identity)
    return Google(identity, google, GoogleCaller(identity.email, budget, google.http, Backoff(attempts=2)))


def check_google_id(google_id: str) -> str:
    if not GOOGLE_ID.match(google_id):
        raise InvalidInput(Phrase("{google_id!r} is not a Google spreadsheet id", google_id=google_id))
    return google_id


def check_opens(db: Database, config: Config, box: SecretBox, team_id: int, google_id: str) -> str:
    """The spreadsheet's title, read as the team's writer: a mistyped id or a file not shared with the writer
    is refused now, with what to do, rather than at the first push."""
    google = _google(db, team_id, config, box)
    request = google.clients.spreadsheets.get(spreadsheetId=check_google_id(google_id), fields="properties.title")
    try:
        found = google.caller.read(request, f"open spreadsheet {google_id}")
    except NotFound:
        raise NotFound(
            Phrase(
                "no spreadsheet {google_id} that {email} can open: copy the id from the spreadsheet's address "
                "(docs.google.com/spreadsheets/d/ID/edit) and share the file with {email}",
                google_id=google_id,
                email=google.identity.email,
            )
        ) from None
    return str(found.get("properties", {}).get("title", ""))


def issue_challenge(db: Database, caller: Caller, google_id: str) -> dict[str, Any]:
    """A one-time value the add-on writes into the spreadsheet (DOCUMENT-visible developer metadata)."""
    check_google_id(google_id)
    limits.spend(db, "bind_challenge", team_id=caller.team_id, member=caller.email)
    nonce = secrets.token_urlsafe(24)
    expires = utcnow() + CHALLENGE_TTL
    with db.session() as session:
        session.add(
            BindChallenge(
                team_id=caller.team_id, google_id=google_id, member_email=caller.email, nonce=nonce, expires_at=expires
            )
        )
    return {"key": CHALLENGE_KEY, "value": nonce, "expires_at": expires.isoformat()}


def _challenge_found(google: Google, google_id: str, nonce: str) -> bool:
    lookup = {"developerMetadataLookup": {"metadataKey": CHALLENGE_KEY, "metadataValue": nonce}}
    reply = google.caller.read(
        google.clients.spreadsheets.developerMetadata().search(spreadsheetId=google_id, body={"dataFilters": [lookup]}),
        f"read the bind proof in spreadsheet {google_id}",
    )
    return any(
        m.get("developerMetadata", {}).get("metadataValue") == nonce for m in reply.get("matchedDeveloperMetadata", [])
    )


def bind_with_proof(
    db: Database,
    config: Config,
    box: SecretBox,
    caller: Caller,
    *,
    google_id: str,
    challenge: str,
    tab: str,
    profile: str,
    shops: Sequence[str],
    title: str = "",
) -> dict[str, Any]:
    """Bind (or re-bind) a tab once the challenge is found in the spreadsheet; the challenge is used once.

    Every try counts against the member's and the team's limits, refused ones too: each may cost a
    Sheets read of the identity other teams share."""
    check_google_id(google_id)
    limits.spend(db, "bind_proof", team_id=caller.team_id, member=caller.email)
    refused = Forbidden(
        "this spreadsheet did not prove you can edit it (the bind challenge is missing, used or expired): "
        "bind again from the sidebar of this spreadsheet"
    )
    with db.session() as session:
        found = session.scalar(
            select(BindChallenge).where(
                BindChallenge.nonce == challenge,
                BindChallenge.team_id == caller.team_id,
                BindChallenge.member_email == caller.email,
                BindChallenge.google_id == google_id,
            )
        )
        if found is None or found.used_at is not None or found.expires_at <= utcnow():
            raise refused
        challenge_id = found.id
    google = _google(db, caller.team_id, config, box)
    if not _challenge_found(google, google_id, challenge):
        raise refused
    with db.session() as session:
        row = session.get_one(BindChallenge, challenge_id, with_for_update=True)
        if row.used_at is not None:
            raise refused
        row.used_at = utcnow()
        binding = bindings.bind(
            session, team_of(session, caller), google_id, tab, profile, shops=shops, actor=caller.email, title=title
        )
        binding.spreadsheet.proven_at, binding.spreadsheet.proven_by = utcnow(), caller.email
        translate = speaks(session, caller, binding.spreadsheet)
        return {**describe_binding(binding, translate), "writer": google.identity.email}


def unbind(db: Database, caller: Caller, google_id: str, tab: str) -> dict[str, Any]:
    with db.session() as session:
        bindings.unbind(session, team_of(session, caller), google_id, tab, caller.email)
    return {"unbound": tab}


def input_columns(db: Database, caller: Caller, google_id: str, *, install: bool = False) -> dict[str, Any]:
    """What the edit trigger watches: per bound tab, its width and the 1-based input columns with their headers.

    Edits to the other columns (admins only: protections stop everyone else) are sent too, so OrderDeck
    writes a typed-over cell back instead of leaving the sheet disagreeing with the database. `install`
    records the caller as the admin whose trigger sends this file's edits: only that admin's calls may name
    the editor (Google's `e.user`); the answer's `installed_by` lets an older trigger of another admin retire.
    `refused_note` is the note the trigger leaves on cells OrderDeck refused, in the file's language (the
    refusal itself comes translated with the answer)."""
    with db.session() as session:
        spreadsheet = team_spreadsheet(session, caller, check_google_id(google_id))
        if spreadsheet is None:
            raise InvalidInput("no tab of this spreadsheet is bound yet: bind a tab first")
        tabs = {}
        for binding in spreadsheet.bindings:
            profile = bindings.profile_for(session, caller.team_id, binding.profile_key)
            watched = {str(i + 1): c.header for i, c in enumerate(profile.columns) if c.is_input}
            tabs[binding.tab_title] = {"sheet_id": binding.sheet_gid, "columns": watched, "width": len(profile.columns)}
        if install:
            spreadsheet.edits_trigger_by = caller.email
            audit(session, caller, "trigger.install", google_id, {"tabs": sorted(tabs)})
        refused_note = speaks(session, caller, spreadsheet)("OrderDeck did not save this: {error}")
        return {"tabs": tabs, "installed_by": spreadsheet.edits_trigger_by, "refused_note": refused_note}


def _file_role(audience: str) -> str:
    """People of an audience that types into some column edit the file; the others only read it."""
    types = any(c.is_input and audience in c.editable_by for c in bindings.catalogue().values())
    return "writer" if types else "reader"


def _share(google: Google, google_id: str, email: str, role: str, *, notify: bool) -> None:
    permission = {"type": "user", "role": role, "emailAddress": email}
    google.caller.write(
        google.clients.drive.permissions().create(fileId=google_id, body=permission, sendNotificationEmail=notify),
        f"share spreadsheet {google_id} with {email}",
        retry=True,
    )


Files = dict[str, list[dict[str, str]]]


def share_with_new_member(db: Database, config: Config, box: SecretBox, member: Caller) -> Files:
    """Share the team's spreadsheets for the member's role (every one, for an admin) with someone who just joined,
    without Drive's e-mail; a file the writer cannot share is listed with Google's reason, the others are shared."""
    team_id, email, role = member.team_id, member.email, member.role
    with db.session() as session:
        query = select(Spreadsheet).where(Spreadsheet.team_id == team_id).order_by(Spreadsheet.id)
        if role != "admin":
            query = query.where(Spreadsheet.audience_role == role)
        files = [(s.google_id, s.title, s.audience_role) for s in session.scalars(query)]
    shared: list[dict[str, str]] = []
    not_shared: list[dict[str, str]] = []
    if not files:
        return {"shared": shared, "not_shared": not_shared}
    try:
        google = _google(db, team_id, config, box, share=True)
    except OrderDeckError as exc:
        return {"shared": shared, "not_shared": [_file(i, t, exc.message) for i, t, _a in files]}
    for google_id, title, audience in files:
        try:
            _share(google, google_id, email, "writer" if role == "admin" else _file_role(audience), notify=False)
        except OrderDeckError as exc:
            not_shared.append(_file(google_id, title, exc.message))
        else:
            shared.append(_file(google_id, title))
    return {"shared": shared, "not_shared": not_shared}


def withdraw_from_former_member(db: Database, config: Config, box: SecretBox, former: Caller) -> Files:
    """Take someone who left the team (or was removed) off its spreadsheets, so they read nothing new and the
    sharing guard finds no stranger to refuse; a file they own, or one the writer may not change, is listed."""
    with db.session() as session:
        query = select(Spreadsheet).where(Spreadsheet.team_id == former.team_id).order_by(Spreadsheet.id)
        files = [(s.google_id, s.title) for s in session.scalars(query)]
    withdrawn: list[dict[str, str]] = []
    kept: list[dict[str, str]] = []
    if not files:
        return {"withdrawn": withdrawn, "not_withdrawn": kept}
    try:
        google = _google(db, former.team_id, config, box, share=True)
    except OrderDeckError as exc:
        return {"withdrawn": withdrawn, "not_withdrawn": [_file(i, t, exc.message) for i, t in files]}
    for google_id, title in files:
        try:
            theirs = [
                p
                for p in list_sharing(google.caller, google.clients.drive, google_id).permissions
                if p.get("type") == "user" and str(p.get("emailAddress", "")).lower() == former.email
            ]
            if any(p.get("role") == "owner" for p in theirs):
                raise Forbidden(
                    Phrase("{email} owns it: ask them to transfer it, or stop writing it", email=former.email)
                )
            for permission in theirs:
                remove = google.clients.drive.permissions().delete(fileId=google_id, permissionId=permission["id"])
                google.caller.write(remove, f"take {former.email} off spreadsheet {google_id}", retry=True)
        except OrderDeckError as exc:
            kept.append(_file(google_id, title, exc.message))
        else:
            forget_sharing(db, google_id)
            if theirs:
                withdrawn.append(_file(google_id, title))
    return {"withdrawn": withdrawn, "not_withdrawn": kept}


def _file(google_id: str, title: str, problem: str | None = None) -> dict[str, str]:
    described = {"id": google_id, "title": title, "url": FILE_URL.format(id=google_id)}
    return {**described, "problem": problem} if problem else described


def create_for_audience(
    db: Database,
    config: Config,
    box: SecretBox,
    caller: Caller,
    *,
    title: str,
    audience: str,
    tab: str | None,
    profile: str,
    shops: Sequence[str],
    notify: bool = False,
) -> dict[str, Any]:
    """A new spreadsheet owned by the backend identity, shared with the audience's members (and admins);
    Drive e-mails them the link only when `notify` asks (a share e-mail from an unknown account is a lure)."""
    teams.check_role(audience)
    limits.spend(db, "create_spreadsheet", team_id=caller.team_id, member=caller.email)
    with db.session() as session:
        tab = tab or i18n.tab_titler(i18n.language_of(team_of(session, caller)))(FIRST_TAB)
        chosen = bindings.profile_for(session, caller.team_id, profile)
        check_shown_to(chosen, audience, role_policy(), **bindings.spreadsheet_refusal(audience, "A"))
        bindings.resolve_shops(session, team_of(session, caller), shops)
        shared_as = _file_role(audience)
        members = session.scalars(
            select(Member).where(Member.team_id == caller.team_id, Member.role.in_((audience, "admin")))
        )
        people = {m.email: "writer" if m.role == "admin" else shared_as for m in members}
    google = _google(db, caller.team_id, config, box, share=True)
    body = {"properties": {"title": title}, "sheets": [{"properties": {"title": tab}}]}
    created = google.caller.write(
        google.clients.spreadsheets.create(body=body), f"create spreadsheet {title!r}", retry=False
    )
    google_id = str(created["spreadsheetId"])
    for email, role in sorted(people.items()):
        _share(google, google_id, email, role, notify=notify)
    with db.session() as session:
        session.add(
            Spreadsheet(
                team_id=caller.team_id,
                google_id=google_id,
                audience_role=audience,
                title=title,
                proven_at=utcnow(),
                proven_by=google.identity.email,
            )
        )
        session.flush()
        binding = bindings.bind(
            session, team_of(session, caller), google_id, tab, profile, shops=shops, actor=caller.email, title=title
        )
        audit(session, caller, "spreadsheet.create", google_id, {"audience": audience, "shared_with": people})
        result = describe_binding(binding, speaks(session, caller, binding.spreadsheet))
    return {
        "spreadsheet_id": google_id,
        "url": FILE_URL.format(id=google_id),
        "audience": audience,
        "shared_with": [{"email": e, "role": r} for e, r in sorted(people.items())],
        "binding": result,
    }
