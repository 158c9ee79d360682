"""A new admin's first run in headless Chromium: the sidebar's "Get started" list checks off each step —
connect a shop (TikTok's consent page), connect Google (Google's consent page), create an audience
spreadsheet, add a member — from the backend's state, as the admin completes it.

The backend runs over HTTP with no service account, so Google is connected for real; the sidebar is
appsscript/Sidebar.html with the demo's google.script.run shim, its calls made as Apps Script makes them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue
from playwright.sync_api import Page, sync_playwright

from backend.config import Config
from backend.demo.page import SERVER_FUNCTIONS, Call, SidebarError, sidebar_html
from backend.sandbox.server import start
from backend.sandbox.sheets import GoogleSandboxes
from tests.browser.test_sidebar import ARGS, ARTIFACTS, CHROMIUM
from tests.browser.test_sidebar import pytestmark as browser
from tests.conftest import Live

pytestmark = browser
ADMIN = "founder@acme.test"  # the `live` team's only member: a new admin
PACKER = "wang@acme-3pl.example"
AUDIENCE = "orderdeck-first-run.apps.googleusercontent.com"
WEB_CLIENT = "orderdeck-first-run-web.apps.googleusercontent.com"


@dataclass
class Host:
    """The backend and Google sandboxes the sidebar's server functions call (backend.demo.page.Host)."""

    live: Live
    google: GoogleSandboxes

    @property
    def config(self) -> Config:
        settings: Config = self.live.app.extensions["orderdeck.config"]
        return settings

    @property
    def backend_url(self) -> str:
        return self.live.url


def apps_script(host: Host, spreadsheet_id: str) -> Flask:
    """Sheets' side of the add-on for one spreadsheet: the sidebar page and its server functions."""
    app = Flask("apps_script_host")
    teams: dict[str, str] = {}

    @app.get("/sidebar")
    def sidebar() -> ResponseReturnValue:
        return sidebar_html(str(request.args["as"]), spreadsheet_id)

    @app.post("/run/<name>")
    def run(name: str) -> ResponseReturnValue:
        body = request.get_json() or {}
        call = Call(host, str(body["as"]), spreadsheet_id, list(body.get("args") or []), teams)
        try:
            return jsonify(result=SERVER_FUNCTIONS[name](call))
        except SidebarError as exc:
            return jsonify(error=str(exc))

    return app


@pytest.fixture
def sidebar(live: Live, google: GoogleSandboxes, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Page, Host]]:
    """A team with nothing yet: no shop, no Google account, no spreadsheet, one admin in their own file."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the Google sandbox is loopback http
    google.identity.register_client(WEB_CLIENT, "web-secret", [f"{live.url}/oauth/google/callback"])
    google.identity.add_user(ADMIN, "Founder")
    live.app.extensions["orderdeck.config"] = live.app.extensions["orderdeck.config"].with_overrides(
        **google.settings(),
        ADDON_AUDIENCE=AUDIENCE,
        GOOGLE_OAUTH_CLIENT_ID=WEB_CLIENT,
        GOOGLE_OAUTH_CLIENT_SECRET="web-secret",
        TIKTOK_SERVICE_ID="acme",
        TIKTOK_AUTHORIZE_URL=f"{live.tiktok_url}/open/authorize?service_id={{service_id}}",
    )
    live.sandbox.redirect_url = f"{live.url}/oauth/tiktok/callback"
    live.sandbox.add_shop("Acme US", "US", orders=12, seller="Acme Trading Ltd")
    own = google.sheets.create_spreadsheet(ADMIN, "Acme scratch", sheets=["Sheet1"], time_zone="America/Los_Angeles")
    host = Host(live, google)
    server = start(apps_script(host, own.id))
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 300, "height": 900})
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(f"{server.url}/sidebar?as={ADMIN}")
        yield page, host
        assert problems == []  # no script error and no failed request on the whole walk
        browser.close()
    server.stop()
    live.drain()


def done_steps(page: Page) -> list[str]:
    return [str(s) for s in page.eval_on_selector_all("#steps li.done", "items => items.map(i => i.dataset.step)")]


def check_again(page: Page, step: str) -> None:
    """Back in the sidebar after the other tab: "Check again" reads the backend's state."""
    page.click("#setup-check")
    page.wait_for_selector(f"#steps li[data-step='{step}'].done")


def consent_in_new_tab(page: Page, link: str, press: str) -> Any:
    """Follow the sidebar's link (it opens a tab), press the consent page's button, return the landing page."""
    with page.expect_popup() as opened:
        page.click(link)
    tab = opened.value
    tab.wait_for_selector(press)
    tab.click(press)
    tab.wait_for_load_state()
    return tab


def test_a_new_admin_is_guided_through_the_first_run_and_each_step_is_checked_off(
    sidebar: tuple[Page, Host],
) -> None:
    page, host = sidebar
    page.wait_for_selector("#setup:not([hidden]) #steps li")
    steps = page.eval_on_selector_all("#steps li", "items => items.map(i => i.dataset.step)")
    assert steps == ["shop", "google", "spreadsheets", "members"]
    assert done_steps(page) == [] and page.text_content("#setup-progress") == "0 of 4 steps done"
    page.screenshot(path=str(ARTIFACTS / "first-run-0-start.png"), full_page=True)

    # 1. A shop: the step opens its panel; TikTok's consent page sends the seller back to the backend.
    page.click("#steps li[data-step='shop'] button")
    assert page.eval_on_selector("#shop-section", "d => d.open")
    page.select_option("#shop-region", "US")
    page.click("#connect-shop")
    landing = consent_in_new_tab(page, "#shop-link a", "#authorize")
    assert landing.text_content("h1") == "Shop connected" and "Acme US" in (landing.text_content("body") or "")
    landing.close()
    check_again(page, "shop")
    assert done_steps(page) == ["shop"]
    assert "Acme US" in (page.text_content("#steps li[data-step='shop']") or "")

    # 2. Google: no service account here, so the team's own Google account writes its sheets.
    page.click("#steps li[data-step='google'] button")
    page.click("#connect-google")
    landing = consent_in_new_tab(page, "#google-link a", "#allow")
    assert landing.text_content("h1") == "Google account connected"
    landing.close()
    check_again(page, "google")
    assert ADMIN in (page.text_content("#steps li[data-step='google']") or "")

    # 3. A spreadsheet for the warehouse: the step fills in the title, audience and its profile.
    page.click("#steps li[data-step='spreadsheets'] button[data-audience='warehouse']")
    assert page.input_value("#create-audience") == "warehouse"
    assert page.input_value("#create-profile") == "sla_watch"
    assert page.input_value("#create-title") == "Acme Trading · Warehouse / 3PL"
    page.click("#create")
    page.wait_for_selector("#steps li[data-step='spreadsheets'].done")
    assert "Open “Acme Trading · Warehouse / 3PL”" in (page.text_content("#create-result") or "")
    page.screenshot(path=str(ARTIFACTS / "first-run-3-spreadsheet.png"), full_page=True)

    # 4. A member, invited: the answer shows under the button pressed, and the last step is checked off.
    page.click("#steps li[data-step='members'] button")
    page.fill("#member-email", PACKER)
    page.select_option("#member-role", "warehouse")
    page.click("#member-save")
    page.wait_for_selector("#member-save + .feedback.ok")
    assert page.text_content("#member-save + .feedback") == (
        f"Invitation ready for {PACKER}: send them the link below."
    )
    assert (page.get_attribute("#member-link a", "href") or "").startswith(f"{host.live.url}/invite/")
    page.wait_for_selector("#steps li[data-step='members'].done")
    assert "1 invited" in (page.text_content("#steps li[data-step='members']") or "")
    assert done_steps(page) == ["shop", "google", "spreadsheets", "members"]
    assert page.text_content("#setup-progress") == "All set: your team is ready."
    page.screenshot(path=str(ARTIFACTS / "first-run-4-done.png"), full_page=True)
    created = [f for f in host.google.sheets.files.values() if f.name == "Acme Trading · Warehouse / 3PL"]
    assert [f.owner for f in created] == [ADMIN]  # made by the Google account connected in step 2
