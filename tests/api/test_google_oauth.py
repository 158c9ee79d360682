"""An admin connects the Google account that writes the team's sheets: web flow, PKCE, offline."""

from __future__ import annotations

import re
import urllib.parse
from pathlib import Path

import httpx
import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.models import GoogleConnection, Team
from backend.sandbox.sheets import GoogleSandboxes
from tests import factories
from tests.api.conftest import Call, caller_for, point_at_google

ADMIN = "owner@seller.example"
CLIENT_ID = "orderdeck-web.apps.googleusercontent.com"


@pytest.fixture
def oauth_call(app: Flask, google: GoogleSandboxes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Call:
    # Off, as in the demo: the backend itself allows http on loopback, where the sandboxes run (restored after).
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "")
    base = "http://127.0.0.1:5000"
    google.identity.register_client(CLIENT_ID, "web-secret", [base + "/oauth/google/callback"])
    google.identity.add_user(ADMIN)
    point_at_google(
        app, google, tmp_path, GOOGLE_OAUTH_CLIENT_ID=CLIENT_ID, GOOGLE_OAUTH_CLIENT_SECRET="web-secret",
        PUBLIC_BASE_URL=base,
    )  # fmt: skip
    return caller_for(app.test_client(), google)


def consent(url: str, decision: str = "allow", email: str = ADMIN) -> str:
    """What a person does on Google's consent page, as `email`; returns where Google sends the browser back."""
    page = httpx.get(url, timeout=5)
    pending = re.search(r'name="pending" value="([^"]+)"', page.text)
    assert pending, page.text
    approve = url.split("/o/oauth2/", maxsplit=1)[0] + "/o/oauth2/approve"
    back = httpx.post(approve, data={"pending": pending[1], "decision": decision, "email": email}, timeout=5)
    assert back.status_code == 302
    return back.headers["Location"]


def test_an_admin_connects_google_and_the_refresh_token_is_sealed(
    oauth_call: Call, session: Session, app: Flask
) -> None:
    factories.team(session, "Acme", admin=ADMIN)
    session.commit()
    link = oauth_call("POST", "/addon/google/connect", ADMIN, json={}).get_json()["url"]
    client = app.test_client()
    start = client.get(link.removeprefix("http://127.0.0.1:5000"))
    assert start.status_code == 302
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(start.headers["Location"]).query)
    assert (query["access_type"], query["prompt"], query["code_challenge_method"]) == (
        ["offline"],
        ["consent"],
        ["S256"],
    )
    assert "https://www.googleapis.com/auth/spreadsheets" in query["scope"][0]
    assert client.get(link.removeprefix("http://127.0.0.1:5000")).status_code == 403  # the link works once

    back = urllib.parse.urlsplit(consent(start.headers["Location"]))
    done = client.get(back.path + "?" + back.query)
    assert done.status_code == 200, done.text
    assert f"as {ADMIN}" in done.text
    connection = session.scalars(select(GoogleConnection)).one()
    assert connection.email == ADMIN
    assert not connection.refresh_token_sealed.startswith("1//")  # sealed, not the token itself
    status = oauth_call("GET", "/addon/status", ADMIN).get_json()
    assert status["google"] == {"writer": ADMIN, "kind": "connected_user", "problem": None, "pending": None}
    assert client.get(back.path + "?" + back.query).status_code == 403  # a replayed callback does nothing


def test_a_cancelled_consent_or_a_forged_state_connects_nothing(oauth_call: Call, session: Session, app: Flask) -> None:
    factories.team(session, "Acme", admin=ADMIN)
    factories.member(session, session.scalars(select(Team)).one(), "clerk@seller.example", "support")
    session.commit()
    assert oauth_call("POST", "/addon/google/connect", "clerk@seller.example", json={}).status_code == 403
    link = oauth_call("POST", "/addon/google/connect", ADMIN, json={}).get_json()["url"]
    client = app.test_client()
    start = client.get(link.removeprefix("http://127.0.0.1:5000"))
    back = urllib.parse.urlsplit(consent(start.headers["Location"], decision="deny"))
    cancelled = client.get(back.path + "?" + back.query)
    assert cancelled.status_code == 400
    assert "cancelled" in cancelled.text
    forged = client.get("/oauth/google/callback?state=made-up&code=4/abc")
    assert forged.status_code == 403
    assert session.scalars(select(GoogleConnection)).all() == []


def test_connecting_google_over_http_outside_loopback_is_refused_in_words(
    oauth_call: Call, session: Session, app: Flask
) -> None:
    factories.team(session, "Acme", admin=ADMIN)
    session.commit()
    config = app.extensions["orderdeck.config"]
    app.extensions["orderdeck.config"] = config.with_overrides(PUBLIC_BASE_URL="http://orderdeck.example.com")
    refused = oauth_call("POST", "/addon/google/connect", ADMIN, json={})
    assert refused.status_code == 400
    assert "needs https: http://orderdeck.example.com/oauth/google/callback" in refused.get_json()["error"]["message"]
