"""The invitation page in headless Chromium, as a 3PL packer without the add-on meets it: the link from the
admin, Google's sign-in button (the identity sandbox's stand-in for Google Identity Services), the wrong
account refused, the right one joined, and the warehouse spreadsheet shared with them without an e-mail."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, sync_playwright
from sqlalchemy import select

from backend.models import Member
from backend.sandbox.sheets import GoogleSandboxes
from tests.api.conftest import AUDIENCE, point_at_google
from tests.browser import test_sidebar
from tests.browser.test_sidebar import ARGS, ARTIFACTS, CHROMIUM
from tests.conftest import Live

pytestmark = test_sidebar.pytestmark  # browser, and skipped when Chromium is absent

ADMIN = "founder@acme.test"  # the `live` team's admin
PACKER = "wang@3pl.example"
SOMEONE = "someone.else@gmail.test"
WEB_CLIENT = "orderdeck-web.apps.googleusercontent.com"


def api(live: Live, google: GoogleSandboxes, path: str, body: dict[str, Any]) -> Any:
    token = google.identity.mint_id_token(AUDIENCE, ADMIN)
    reply = httpx.post(live.url + path, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    assert reply.status_code == 200, reply.text
    return reply.json()


def sign_in_as(page: Page, email: str) -> None:
    """Press Google's button, pick `email` in the account chooser; the page then posts the ID token."""
    with page.expect_popup() as chooser:
        page.click("#signin button")
    popup = chooser.value
    with page.expect_navigation():
        popup.click(f"button[value='{email}']")
    page.wait_for_load_state()


def test_a_packer_without_the_add_on_joins_from_the_invitation_page(
    live: Live, google: GoogleSandboxes, tmp_path: Path
) -> None:
    google.identity.register_client(WEB_CLIENT, "web-secret", [live.url + "/oauth/google/callback"])
    for email in (PACKER, SOMEONE):
        google.identity.add_user(email)
    point_at_google(live.app, google, tmp_path, GOOGLE_OAUTH_CLIENT_ID=WEB_CLIENT)
    sheet = api(live, google, "/addon/spreadsheets", {"title": "Ship next", "audience": "warehouse",
                                                      "profile": "sla_watch"})  # fmt: skip
    link = api(live, google, "/addon/invitations", {"email": PACKER, "role": "warehouse"})["url"]
    assert google.sheets.role_of(sheet["spreadsheet_id"], PACKER) is None

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 420, "height": 800})
            page.goto(link)
            assert page.text_content("h1") == "Join Acme Trading"
            assert "as warehouse" in (page.text_content("body") or "")
            assert "w•••@3pl.example" in (page.text_content("body") or "")
            page.screenshot(path=str(ARTIFACTS / "invitation.png"), full_page=True)

            sign_in_as(page, SOMEONE)  # a second Google account in the same browser: refused, nothing joins
            assert page.text_content("h1") == "Not joined"
            assert "sent to another address" in (page.text_content("body") or "")
            page.screenshot(path=str(ARTIFACTS / "invitation-wrong-account.png"), full_page=True)

            page.goto(link)
            sign_in_as(page, PACKER)
            assert page.text_content("h1") == "You joined the team"
            assert "member of Acme Trading as warehouse" in (page.text_content("body") or "")
            assert page.get_attribute("#shared a", "href") == sheet["url"]
            page.screenshot(path=str(ARTIFACTS / "invitation-joined.png"), full_page=True)

            page.goto(link)  # the link worked once
            assert page.text_content("h1") == "Invitation not valid"
        finally:
            browser.close()
    with live.db.session() as session:
        assert session.scalars(select(Member.role).where(Member.email == PACKER)).one() == "warehouse"
        assert session.scalars(select(Member).where(Member.email == SOMEONE)).all() == []
    assert google.sheets.role_of(sheet["spreadsheet_id"], PACKER) == "writer"  # warehouse types tracking numbers
    assert not [e for e in google.sheets.share_emails if e.to == PACKER]
