"""The sidebar in headless Chromium: google.script.run is faked by forwarding each call to a local stand-in
for the Apps Script server functions, which calls the real backend with real identity tokens."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue
from playwright.sync_api import sync_playwright

from backend.demo.page import render_sidebar
from backend.sandbox.server import start
from backend.sandbox.sheets import GoogleSandboxes
from tests.conftest import Live
from tests.scenarios.addon_world import AddonFailure, World, build_world

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync"]  # fmt: skip

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium is not installed (apt-get install chromium)"),
]

FAKE_RUN = """
window.__calls = [];
function runner(ok, fail) {
  return new Proxy({}, { get(_, name) {
    if (name === 'withSuccessHandler') return (f) => runner(f, fail);
    if (name === 'withFailureHandler') return (f) => runner(ok, f);
    if (name === 'withUserObject') return () => runner(ok, fail);
    return (...args) => {
      window.__calls.push(name);
      fetch('/rpc/' + name, {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(args)})
        .then((r) => r.json().then((body) => [r.ok, body]))
        .then(([good, body]) => good ? ok && ok(body.result) : fail && fail(new Error(body.message)))
        .catch((e) => fail && fail(e));
    };
  }});
}
window.google = {script: {run: runner(null, null), host: {close() {}}}};
"""


def server_functions(world: World) -> dict[str, Callable[..., Any]]:
    """What Menu.gs and Bind.gs do on Google's side, for one admin in one spreadsheet."""

    def status() -> Any:
        tabs = [s.title for s in world.google.sheets.spreadsheets[world.file_id].sheets]
        found = world.api("get", "/addon/status", payload={"spreadsheet_id": world.file_id})
        return {**found, "activeTab": tabs[0], "tabs": tabs}

    return {
        "whoAmI": lambda: world.api("get", "/addon/me"),
        "getStatus": status,
        "listProfiles": lambda: world.api("get", "/addon/profiles"),
        "syncNow": lambda shop=None: world.api("post", "/addon/sync", payload={"shop_id": shop} if shop else {}),
        "bindTab": lambda form: world.bind_tab(form["tab"], form["profile"], new_tab=form["newTab"]),
        "listExceptions": lambda: world.api("get", "/addon/exceptions"),
        "getStrings": lambda: world.api("get", "/addon/strings", payload={"spreadsheet_id": world.file_id}),
    }


def host_app(functions: dict[str, Callable[..., Any]]) -> Flask:
    """The sidebar as HtmlService serves it, and google.script.run's calls answered by `functions`."""
    app = Flask("apps_script_host")

    @app.get("/")
    def sidebar() -> ResponseReturnValue:
        return render_sidebar(), 200, {"Content-Type": "text/html; charset=utf-8"}

    @app.post("/rpc/<name>")
    def rpc(name: str) -> ResponseReturnValue:
        try:
            return jsonify({"result": functions[name](*(request.get_json() or []))})
        except AddonFailure as exc:
            return jsonify({"message": str(exc)}), 400

    return app


@contextmanager
def sidebar_tab(functions: dict[str, Callable[..., Any]], height: int) -> Iterator[Any]:
    """The sidebar in Chromium at its real width, its server functions answered by `functions`."""
    host = start(host_app(functions))
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            tab = browser.new_page(viewport={"width": 300, "height": height})
            tab.add_init_script(FAKE_RUN)
            tab.goto(host.url + "/")
            yield tab
            browser.close()
    finally:
        host.stop()


@pytest.fixture
def page(live: Live, google: GoogleSandboxes, tmp_path: Path) -> Iterator[tuple[Any, World]]:
    world = build_world(live, google, tmp_path)
    with sidebar_tab(server_functions(world), 900) as tab:
        yield tab, world


def test_an_admin_binds_a_new_tab_syncs_and_sees_errors_in_plain_words(page: tuple[Any, World]) -> None:
    tab, world = page
    tab.wait_for_function("document.getElementById('who').textContent.includes('Acme Trading')")
    assert tab.text_content("#who") == "Acme Trading · Admin"
    assert "Acme US (TikTok Shop, US)" in tab.text_content("#shops")
    assert "No tab of this spreadsheet is bound yet." in tab.text_content("#bindings")
    tab.wait_for_function("document.querySelectorAll('#bind-profile option').length > 0")

    tab.click("#bind-section summary")
    tab.check("#bind-new")
    tab.fill("#bind-new-name", "SLA")
    tab.select_option("#bind-profile", "sla_watch")
    tab.click("#bind")
    tab.wait_for_selector("#bind + .feedback.ok")  # the answer is right under the button pressed
    assert "now shows SLA watch" in tab.text_content("#bind + .feedback")
    tab.wait_for_selector("#bindings li[data-tab='SLA']")
    world.live.drain()
    rows = world.tab("SLA")
    assert rows[0][0] == "Order / SKU" and len(rows) > 1  # orders appeared in the new tab
    assert tab.evaluate("document.documentElement.scrollWidth") <= 300  # fits the sidebar
    tab.screenshot(path=str(ARTIFACTS / "sidebar-bound.png"), full_page=True)

    tab.click("#sync-now")
    tab.wait_for_selector("#sync-now + .feedback.ok")
    assert "Sync started" in tab.text_content("#sync-now + .feedback")
    assert tab.is_disabled("#sync-now")  # once a minute: the button counts down instead of refusing later
    first = tab.text_content("#sync-now")
    assert re.fullmatch(r"Sync again in \d+ s", first)
    tab.wait_for_function(f"document.getElementById('sync-now').textContent !== {first!r}")

    tab.check("#bind-new")
    tab.fill("#bind-new-name", "SLA")
    tab.click("#bind")
    tab.wait_for_selector("#bind + .feedback.bad")
    assert "already exists" in tab.text_content("#bind + .feedback")
    assert not tab.is_disabled("#bind")  # the loading state ends with the call
    tab.screenshot(path=str(ARTIFACTS / "sidebar-error.png"), full_page=True)
    world.live.drain()
