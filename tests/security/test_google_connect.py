"""Issue 14, class 1: a leaked "Connect Google" link makes nobody the team's sheet writer. The account Google
returns waits until the admin who started the link confirms it in the sidebar (at once when it is that
admin's own address); meanwhile the previous writer writes and nothing is shared with the new account."""

from __future__ import annotations

import urllib.parse
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backend.models import AuditEntry, GoogleConnection, GoogleOAuthState, utcnow
from backend.sandbox.sheets import GoogleSandboxes
from tests import factories
from tests.api.conftest import WRITER, Call, point_at_google
from tests.api.test_google_oauth import consent
from tests.security.conftest import Side

BASE = "http://127.0.0.1:5000"  # PUBLIC_BASE_URL of the app under test; its test client stands in for the host
CLIENT_ID = "orderdeck-web.apps.googleusercontent.com"
CO_ADMIN = "cofounder@acme.example"
ROBOT = "sheets-robot@acme.example"  # a dedicated writer account of Acme's own


@pytest.fixture
def acme(addon_app: Flask, google: GoogleSandboxes, sides: tuple[Side, Side], session: Session, tmp_path: Path) -> Side:
    google.identity.register_client(CLIENT_ID, "web-secret", [BASE + "/oauth/google/callback"])
    a, b = sides
    for email in (a.email("admin"), b.email("admin"), CO_ADMIN, ROBOT):
        google.identity.add_user(email)
    point_at_google(
        addon_app, google, tmp_path, GOOGLE_OAUTH_CLIENT_ID=CLIENT_ID, GOOGLE_OAUTH_CLIENT_SECRET="web-secret"
    )
    factories.member(session, a.team, CO_ADMIN, "admin")
    session.commit()
    return a


def finish_consent(addon_app: Flask, link: str, as_email: str) -> str:
    """Someone holding `link` opens it and agrees on Google's page as `as_email`: the page they land on."""
    client = addon_app.test_client()
    start = client.get(link.removeprefix(BASE))
    assert start.status_code == 302, start.get_data(as_text=True)
    back = urllib.parse.urlsplit(consent(start.headers["Location"], email=as_email))
    done = client.get(back.path + "?" + back.query)
    assert done.status_code == 200, done.get_data(as_text=True)
    return done.get_data(as_text=True)


def writer_of(call: Call, email: str) -> dict[str, object]:
    google: dict[str, object] = call("GET", "/addon/status", email).get_json()["google"]
    return google


def test_a_leaked_link_finished_by_an_outsider_changes_no_writer_and_only_its_admin_can_confirm(
    call: Call, addon_app: Flask, acme: Side, sides: tuple[Side, Side], google: GoogleSandboxes, session: Session
) -> None:
    a, rival = sides
    admin, attacker = a.email("admin"), rival.email("admin")
    link = call("POST", "/addon/google/connect", admin, json={}).get_json()["url"]

    page = finish_consent(addon_app, link, attacker)  # the link leaked; the attacker consents as themselves
    assert "Almost done" in page and "confirm" in page and admin not in page
    assert session.scalars(select(GoogleConnection)).all() == []
    assert writer_of(call, admin) == {
        "writer": WRITER, "kind": "service_account", "problem": None,
        "pending": {"account": attacker, "expires_at": writer_of(call, admin)["pending"]["expires_at"]},  # type: ignore[index]
    }  # fmt: skip

    # While it waits, the previous writer writes and shares: nothing reaches the attacker's account.
    made = call("POST", "/addon/spreadsheets", admin, json={"title": "Books", "audience": "finance",
                                                            "profile": "profit_ledger"})  # fmt: skip
    assert made.status_code == 200, made.get_json()
    file_id = made.get_json()["spreadsheet_id"]
    assert google.sheets.files[file_id].owner == WRITER
    assert google.sheets.role_of(file_id, attacker) is None
    assert not [r for r in google.sheets.log if r.caller == attacker]

    # Nobody but the admin who started it can confirm: not the attacker (in their team or naming Acme's),
    # not Acme's other admin, not Acme's finance member.
    body = {"account": attacker}
    assert call("POST", "/addon/google/confirm", attacker, json=body).status_code == 404
    assert call("POST", "/addon/google/confirm", attacker, json=body, team=a.team.id).status_code == 403
    assert call("POST", "/addon/google/confirm", CO_ADMIN, json=body).status_code == 404
    assert writer_of(call, CO_ADMIN)["pending"] is None  # another admin's pending connection is not theirs
    assert call("POST", "/addon/google/confirm", a.email("finance"), json=body).status_code == 403
    assert call("POST", "/addon/google/discard", CO_ADMIN, json=body).status_code == 404
    # Confirming a different account than the one Google returned confirms nothing.
    assert call("POST", "/addon/google/confirm", admin, json={"account": ROBOT}).status_code == 404
    session.expire_all()
    assert session.scalars(select(GoogleConnection)).all() == []

    # The admin did not do this: they discard it, and it can no longer be confirmed.
    assert call("POST", "/addon/google/discard", admin, json=body).get_json() == {"discarded": attacker}
    assert call("POST", "/addon/google/confirm", admin, json=body).status_code == 404
    assert writer_of(call, admin)["writer"] == WRITER
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.team_id == a.team.id)).all()
    assert {"google.pending", "google.discard"} <= set(actions) and "google.connect" not in actions


def test_a_stale_pending_connection_expires_and_the_link_itself_works_once(
    call: Call, addon_app: Flask, acme: Side, sides: tuple[Side, Side], session: Session
) -> None:
    a, rival = sides
    admin, attacker = a.email("admin"), rival.email("admin")
    link = call("POST", "/addon/google/connect", admin, json={}).get_json()["url"]
    finish_consent(addon_app, link, attacker)
    assert addon_app.test_client().get(link.removeprefix(BASE)).status_code == 403  # used: a second consent fails

    session.execute(update(GoogleOAuthState).values(confirm_by=utcnow()))  # the confirmation window closes
    session.commit()
    assert writer_of(call, admin)["pending"] is None
    expired = call("POST", "/addon/google/confirm", admin, json={"account": attacker})
    assert expired.status_code == 404
    assert "may have expired" in expired.get_json()["error"]["message"]
    assert session.scalars(select(GoogleConnection)).all() == []

    call("POST", "/addon/google/connect", admin, json={})  # a new link forgets what can no longer be confirmed
    session.expire_all()
    waiting = select(GoogleOAuthState.account_email).where(GoogleOAuthState.account_email.is_not(None))
    assert session.scalars(waiting).all() == []


def test_a_dedicated_writer_account_works_after_the_admin_confirms_it_and_their_own_address_at_once(
    call: Call, addon_app: Flask, acme: Side, session: Session, google: GoogleSandboxes
) -> None:
    admin = acme.email("admin")
    link = call("POST", "/addon/google/connect", admin, json={}).get_json()["url"]
    assert "Almost done" in finish_consent(addon_app, link, ROBOT)
    assert writer_of(call, admin)["writer"] == WRITER

    confirmed = call("POST", "/addon/google/confirm", admin, json={"account": ROBOT.upper()})
    assert confirmed.get_json() == {"writer": ROBOT}
    assert writer_of(call, admin) == {"writer": ROBOT, "kind": "connected_user", "problem": None, "pending": None}
    made = call("POST", "/addon/spreadsheets", admin, json={"title": "Ship", "audience": "warehouse",
                                                            "profile": "sla_watch"})  # fmt: skip
    assert google.sheets.files[made.get_json()["spreadsheet_id"]].owner == ROBOT  # now the robot writes
    assert call("POST", "/addon/google/confirm", admin, json={"account": ROBOT}).status_code == 404  # once

    link = call("POST", "/addon/google/connect", CO_ADMIN, json={}).get_json()["url"]
    assert f"sheets as {CO_ADMIN}" in finish_consent(addon_app, link, CO_ADMIN)
    session.expire_all()
    assert session.scalars(select(GoogleConnection.email)).one() == CO_ADMIN  # their own address: no extra step
