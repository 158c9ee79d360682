"""Issue 14, class 3: membership by consent. An admin cannot add anyone: an invitation waits until the invited
address signs in with Google and accepts (on /invite/<token> or in the sidebar); only then are they a member
and are files shared with them, without Drive's e-mail. A member may leave (not the last admin), and no
answer names another team."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backend.models import Invitation, Member, utcnow
from backend.sandbox.sheets import GoogleSandboxes
from tests.api.conftest import Call, point_at_google
from tests.security.conftest import Side

WEB_CLIENT = "orderdeck-web.apps.googleusercontent.com"


@pytest.fixture
def teams_(addon_app: Flask, google: GoogleSandboxes, sides: tuple[Side, Side], tmp_path: Path) -> tuple[Side, Side]:
    point_at_google(addon_app, google, tmp_path, GOOGLE_OAUTH_CLIENT_ID=WEB_CLIENT)
    return sides


def invite(call: Call, admin: str, email: str, role: str) -> dict[str, Any]:
    response = call("POST", "/addon/invitations", admin, json={"email": email, "role": role})
    assert response.status_code == 200, response.get_json()
    answer: dict[str, Any] = response.get_json()
    return answer


def accept_on_page(addon_app: Flask, google: GoogleSandboxes, link: str, as_email: str) -> tuple[int, str]:
    """What the invitation page does once Google Identity Services signed `as_email` in: POST the ID token."""
    credential = google.identity.mint_id_token(WEB_CLIENT, as_email)
    response = addon_app.test_client().post(link.split("127.0.0.1:5000", 1)[1], data={"credential": credential})
    assert response.content_type.startswith("text/html")
    return response.status_code, response.get_data(as_text=True)


def members(session: Session, side: Side) -> set[str]:
    session.expire_all()
    return set(session.scalars(select(Member.email).where(Member.team_id == side.team.id)))


def new_file(call: Call, admin: str, audience: str, profile: str, **extra: Any) -> str:
    made = call("POST", "/addon/spreadsheets", admin, json={"title": f"{audience} sheet", "audience": audience,
                                                            "profile": profile, **extra})  # fmt: skip
    assert made.status_code == 200, made.get_json()
    return str(made.get_json()["spreadsheet_id"])


def test_an_admin_cannot_add_another_teams_admin_and_the_invitation_stays_pending_and_says_nothing(
    call: Call, teams_: tuple[Side, Side], session: Session, google: GoogleSandboxes
) -> None:
    acme, rival = teams_
    admin, victim = acme.email("admin"), rival.email("admin")
    before = members(session, acme)
    assert call("POST", "/addon/members", admin, json={"email": victim, "role": "viewer"}).status_code == 404

    to_victim = invite(call, admin, victim, "viewer")
    to_nobody = invite(call, admin, "nobody@nowhere.example", "viewer")
    assert set(to_victim) == set(to_nobody) and to_victim["expired"] is False  # the same answer either way
    viewer_file = new_file(call, admin, "viewer", "agency_view")
    assert members(session, acme) == before  # pending: not a member
    assert google.sheets.role_of(viewer_file, victim) is None  # and nothing shared with them
    listed = call("GET", "/addon/invitations", admin).get_json()
    assert {(i["email"], i["role"]) for i in listed} >= {(victim, "viewer"), ("nobody@nowhere.example", "viewer")}

    # The victim's own sidebar goes on working for their team, and is told who invited them.
    me = call("GET", "/addon/me", victim).get_json()
    assert [t["name"] for t in me["teams"]] == [rival.team.name] and me["team"]["name"] == rival.team.name
    assert [(i["team"], i["role"]) for i in me["invitations"]] == [(acme.team.name, "viewer")]
    assert call("GET", "/addon/status", victim).get_json()["team"]["name"] == rival.team.name
    # Nothing the attacker does with the victim's address names the victim's team.
    for response in (
        call("POST", "/addon/members", admin, json={"email": victim, "role": "admin"}),
        call("POST", "/addon/members/remove", admin, json={"email": victim}),
        call("POST", "/addon/invitations", admin, json={"email": victim, "role": "admin"}),
        call("GET", "/addon/invitations", admin),
    ):
        assert rival.team.name not in response.get_data(as_text=True)


def test_an_invitation_joins_only_the_address_it_was_sent_to_once_and_only_the_inviting_team(
    call: Call, addon_app: Flask, teams_: tuple[Side, Side], session: Session, google: GoogleSandboxes
) -> None:
    acme, rival = teams_
    attacker, invited = rival.email("admin"), f"newhire@{acme.email('admin').split('@')[1]}"
    status, page = accept_on_page(addon_app, google, acme.invite_link, attacker)  # a leaked link
    assert status == 403 and "sent to another address" in page
    assert call("POST", "/addon/invitations/accept", attacker, json={"invitation": acme.invitation}).status_code == 404
    assert attacker not in members(session, acme)

    token_for_web_only = google.identity.mint_id_token("another-client.apps.googleusercontent.com", invited)
    forged = addon_app.test_client().post(acme.invite_link.split("5000", 1)[1], data={"credential": token_for_web_only})
    assert forged.status_code == 401 and invited not in members(session, acme)

    status, page = accept_on_page(addon_app, google, acme.invite_link, invited.upper())
    assert status == 200 and f"member of <b>{acme.team.name}</b> as <b>warehouse</b>" in page, page
    assert invited in members(session, acme) and invited not in members(session, rival)
    again, gone = accept_on_page(addon_app, google, acme.invite_link, invited)
    assert again == 404 and acme.team.name not in gone  # used up; the page names no team

    session.execute(update(Invitation).where(Invitation.team_id == rival.team.id).values(expires_at=utcnow()))
    session.commit()
    late = addon_app.test_client().get(rival.invite_link.split("5000", 1)[1])
    assert late.status_code == 404 and rival.team.name not in late.get_data(as_text=True)
    rival_hire = f"newhire@{rival.email('admin').split('@')[1]}"
    assert call("GET", "/addon/me", rival_hire).get_json()["invitations"] == []  # expired: not offered


def test_only_acceptance_shares_the_files_for_the_role_and_drive_sends_no_email(
    call: Call, addon_app: Flask, teams_: tuple[Side, Side], session: Session, google: GoogleSandboxes
) -> None:
    acme, _ = teams_
    admin, newcomer = acme.email("admin"), "new.viewer@client.example"
    quiet = new_file(call, admin, "viewer", "agency_view")
    assert not [e for e in google.sheets.share_emails if e.file_id == quiet]  # no e-mail unless asked
    loud = new_file(call, admin, "viewer", "agency_view", notify=True)
    assert {e.to for e in google.sheets.share_emails if e.file_id == loud} == {admin, acme.email("viewer")}
    other = new_file(call, admin, "warehouse", "sla_watch")

    link = invite(call, admin, newcomer, "viewer")["url"]
    assert google.sheets.role_of(quiet, newcomer) is None
    emails_before = len(google.sheets.share_emails)
    status, page = accept_on_page(addon_app, google, link, newcomer)
    assert status == 200, page
    assert quiet in page and "Google sent no e-mail" in page
    assert (google.sheets.role_of(quiet, newcomer), google.sheets.role_of(loud, newcomer)) == ("reader", "reader")
    assert google.sheets.role_of(other, newcomer) is None  # another audience's file stays closed
    assert len(google.sheets.share_emails) == emails_before


def test_a_member_leaves_from_the_sidebar_the_last_admin_cannot_and_the_operator_adds_directly(
    call: Call, teams_: tuple[Side, Side], session: Session, runner: FlaskCliRunner, google: GoogleSandboxes
) -> None:
    acme, _ = teams_
    admin, finance, viewer = acme.email("admin"), acme.email("finance"), acme.email("viewer")
    books, client_view = (
        new_file(call, admin, "finance", "profit_ledger"),
        new_file(call, admin, "viewer", "agency_view"),
    )
    assert google.sheets.role_of(books, finance) == "writer"  # finance types unit costs
    left = call("POST", "/addon/leave", finance, json={}).get_json()
    assert left["left"] == {"id": acme.team.id, "name": acme.team.name}
    assert [f["id"] for f in left["withdrawn"]] == [books]  # taken off the files they could open
    assert google.sheets.role_of(books, finance) is None
    assert finance not in members(session, acme)
    assert call("POST", "/addon/members/remove", admin, json={"email": viewer}).status_code == 200
    assert google.sheets.role_of(client_view, viewer) is None  # removed by an admin: taken off too
    assert call("GET", "/addon/status", finance).status_code == 403
    assert call("GET", "/addon/me", finance).get_json()["teams"] == []

    last = call("POST", "/addon/leave", admin, json={})
    assert last.status_code == 409 and "last admin" in last.get_json()["error"]["message"]
    added = runner.invoke(args=["member", "add", "--team", acme.team.name, "deputy@acme.example", "--role", "admin"])
    assert added.exit_code == 0, added.output
    assert "deputy@acme.example" in members(session, acme)  # the operator's command stays direct
    assert call("POST", "/addon/leave", admin, json={}).status_code == 200
    assert admin not in members(session, acme)


def test_a_person_in_two_teams_by_consent_keeps_a_working_sidebar_and_no_error_names_a_team(
    call: Call, teams_: tuple[Side, Side], session: Session
) -> None:
    acme, rival = teams_
    person = rival.email("viewer")
    invite(call, acme.email("admin"), person, "support")
    offered = call("GET", "/addon/me", person).get_json()["invitations"]
    joined = call("POST", "/addon/invitations/accept", person, json={"invitation": offered[0]["id"]})
    assert joined.status_code == 200, joined.get_json()
    assert (joined.get_json()["team"]["name"], joined.get_json()["role"]) == (acme.team.name, "support")

    me = call("GET", "/addon/me", person).get_json()
    assert {t["name"] for t in me["teams"]} == {acme.team.name, rival.team.name} and me["team"] is None
    ambiguous = call("GET", "/addon/status", person)
    assert ambiguous.status_code == 400 and "choose one" in ambiguous.get_json()["error"]["message"]
    assert acme.team.name not in ambiguous.get_data(as_text=True)
    assert rival.team.name not in ambiguous.get_data(as_text=True)
    assert call("GET", "/addon/status", person, team=acme.team.id).get_json()["role"] == "support"
    assert call("GET", "/addon/status", person, team=rival.team.id).get_json()["role"] == "viewer"

    assert call("POST", "/addon/leave", person, json={}, team=acme.team.id).status_code == 200
    stale = call("GET", "/addon/me", person, team=acme.team.id)  # the sidebar still remembers Acme
    assert stale.status_code == 200 and stale.get_json()["team"]["name"] == rival.team.name
    assert acme.team.name not in stale.get_data(as_text=True)


def test_an_invitation_from_an_admin_who_was_since_removed_or_demoted_lets_nobody_in(
    call: Call, addon_app: Flask, teams_: tuple[Side, Side], session: Session, google: GoogleSandboxes
) -> None:
    acme, _ = teams_
    admin, rogue = acme.email("admin"), "rogue.admin@acme.example"
    invite(call, admin, rogue, "admin")
    offered = call("GET", "/addon/me", rogue).get_json()["invitations"]
    assert call("POST", "/addon/invitations/accept", rogue, json={"invitation": offered[0]["id"]}).status_code == 200
    link = invite(call, rogue, "sock.puppet@evil.example", "finance")["url"]  # before the rogue is found out
    assert call("POST", "/addon/members", admin, json={"email": rogue, "role": "viewer"}).status_code == 200
    status, page = accept_on_page(addon_app, google, link, "sock.puppet@evil.example")
    assert status == 403 and "no longer an admin" in page
    assert "sock.puppet@evil.example" not in members(session, acme)
