"""The sidebar's membership and Google-access surfaces in headless Chromium: an admin invites, the invited
person joins from their own sidebar and later leaves; an admin confirms the Google account their Connect
link brought back. google.script.run is forwarded to the Apps Script stand-ins, as in test_sidebar."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.sandbox.sheets import GoogleSandboxes
from tests.api.test_google_oauth import consent
from tests.browser import test_sidebar
from tests.browser.test_sidebar import ARTIFACTS, sidebar_tab
from tests.conftest import Live
from tests.scenarios.addon_world import ADMIN, World, build_world

pytestmark = test_sidebar.pytestmark  # browser, and skipped when Chromium is absent

NEWCOMER = "wang@3pl.example"
ROBOT = "sheets-robot@acme.test"
WEB_CLIENT = "orderdeck-web.apps.googleusercontent.com"


def server_functions(world: World, who: dict[str, str]) -> dict[str, Callable[..., Any]]:
    """Menu.gs's functions for whoever `who["email"]` is (the person whose sidebar is open)."""

    def api(method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        return world.api(method, path, who["email"], payload)

    def status() -> Any:
        tabs = [s.title for s in world.google.sheets.spreadsheets[world.file_id].sheets]
        return {**api("get", "/addon/status", {"spreadsheet_id": world.file_id}), "activeTab": tabs[0], "tabs": tabs}

    return {
        "whoAmI": lambda: api("get", "/addon/me"),
        "getStatus": status,
        "listProfiles": lambda: api("get", "/addon/profiles"),
        "listMembers": lambda: api("get", "/addon/members"),
        "setMember": lambda email, role: api("post", "/addon/members", {"email": email, "role": role}),
        "listInvitations": lambda: api("get", "/addon/invitations"),
        "inviteMember": lambda email, role: api("post", "/addon/invitations", {"email": email, "role": role}),
        "acceptInvitation": lambda invitation: api("post", "/addon/invitations/accept", {"invitation": invitation}),
        "leaveTeam": lambda: api("post", "/addon/leave"),
        "confirmGoogle": lambda account: api("post", "/addon/google/confirm", {"account": account}),
        "discardGoogle": lambda account: api("post", "/addon/google/discard", {"account": account}),
        "pendingActions": lambda: api("get", "/addon/pending-actions"),
        "answerRefund": lambda case, answer: api("post", "/addon/refunds/answer", {"case": case, "answer": answer}),
    }


@pytest.fixture
def sidebar(live: Live, google: GoogleSandboxes, tmp_path: Path) -> Iterator[tuple[Any, World, dict[str, str]]]:
    google.identity.register_client(WEB_CLIENT, "web-secret", [live.url + "/oauth/google/callback"])
    for email in (ADMIN, ROBOT):
        google.identity.add_user(email)
    world = build_world(live, google, tmp_path)
    live.app.extensions["orderdeck.config"] = live.app.extensions["orderdeck.config"].with_overrides(
        GOOGLE_OAUTH_CLIENT_ID=WEB_CLIENT, GOOGLE_OAUTH_CLIENT_SECRET="web-secret"
    )
    who = {"email": ADMIN}
    with sidebar_tab(server_functions(world, who), 1100) as tab:
        yield tab, world, who


def test_an_admin_invites_the_newcomer_joins_in_their_sidebar_and_leaves(
    sidebar: tuple[Any, World, dict[str, str]],
) -> None:
    tab, world, who = sidebar
    tab.wait_for_function("document.getElementById('who').textContent.includes('Acme Trading')")
    tab.click("#members-section summary")
    tab.wait_for_selector("#members li")
    tab.fill("#member-email", NEWCOMER)
    tab.select_option("#member-role", "warehouse")
    tab.click("#member-save")
    tab.wait_for_selector("#member-link a")
    link = tab.get_attribute("#member-link a", "href") or ""
    assert link.startswith(world.live.url + "/invite/")
    tab.wait_for_function(f"document.getElementById('invitations-pending').textContent.includes('{NEWCOMER}')")
    assert NEWCOMER not in (tab.text_content("#members") or "")  # invited, not a member
    tab.screenshot(path=str(ARTIFACTS / "sidebar-invite.png"), full_page=True)

    who["email"] = NEWCOMER  # the newcomer opens the add-on in some spreadsheet of their own
    tab.reload()
    tab.wait_for_selector("#invitations:not([hidden])")
    assert "Acme Trading invites you as Warehouse / 3PL" in (tab.text_content("#invitation-list") or "")
    assert tab.is_hidden("#status")
    tab.screenshot(path=str(ARTIFACTS / "sidebar-invited.png"), full_page=True)
    tab.click("#invitation-list button")
    tab.wait_for_function("document.getElementById('who').textContent === 'Acme Trading · Warehouse / 3PL'")
    assert "You joined Acme Trading as Warehouse / 3PL" in (tab.text_content("#who + .feedback") or "")
    assert tab.is_hidden("#invitations")

    tab.click("#leave-section summary")
    tab.click("#leave")
    assert tab.text_content("#leave") == "Click again to leave Acme Trading"
    tab.click("#leave")
    tab.wait_for_selector("#who + .feedback:has-text('You left Acme Trading')")
    tab.wait_for_function("document.getElementById('error').textContent.includes('invite you')")
    assert tab.is_hidden("#status")
    assert world.api("get", "/addon/me", NEWCOMER)["teams"] == []

    who["email"] = ADMIN
    tab.reload()
    tab.wait_for_function("document.getElementById('who').textContent === 'Acme Trading · Admin'")
    tab.click("#leave-section summary")
    tab.click("#leave")
    tab.click("#leave")
    tab.wait_for_selector("#leave + .feedback.bad:has-text('last admin')")  # the answer under the button


def test_an_admin_confirms_the_google_account_their_connect_link_brought_back(
    sidebar: tuple[Any, World, dict[str, str]],
) -> None:
    tab, world, _who = sidebar
    link = world.api("post", "/addon/google/connect", ADMIN)["url"]
    start_page = httpx.get(link, timeout=30)
    back = consent(start_page.headers["Location"], email=ROBOT)
    assert "Almost done" in httpx.get(back, timeout=30).text
    assert urllib.parse.urlsplit(back).path == "/oauth/google/callback"

    tab.reload()
    tab.wait_for_selector("#google-pending:not([hidden])")
    assert f"Google returned {ROBOT}" in (tab.text_content("#google-pending-text") or "")
    tab.screenshot(path=str(ARTIFACTS / "sidebar-google-pending.png"), full_page=True)
    tab.click("#google-confirm")
    tab.wait_for_selector(f"#google-writer + .feedback:has-text('as {ROBOT}')")
    tab.wait_for_function(f"document.getElementById('google-writer').textContent.includes('{ROBOT}')")
    assert tab.is_hidden("#google-pending")
