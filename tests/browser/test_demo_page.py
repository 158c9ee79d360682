"""The demo page in headless Chromium: the warehouse grid with its rows next to the real sidebar, which
shows the spreadsheet's binding through google.script.run calls the page forwards to the backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import sync_playwright

from backend.demo import world as demo
from tests.browser import test_sidebar
from tests.browser.test_sidebar import ARGS, ARTIFACTS, CHROMIUM

pytestmark = test_sidebar.pytestmark  # browser, and skipped when Chromium is absent


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[demo.World]:
    running = demo.start(tmp_path_factory.mktemp("demo"), page_port=0)
    yield running
    running.stop()


def test_the_demo_page_shows_the_warehouse_grid_and_the_sidebar_with_its_binding(world: demo.World) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1920, "height": 1000})
            page.goto(world.url + "/")
            page.wait_for_function("document.querySelectorAll('#grid table tr').length > 20")
            assert page.text_content("#grid h3") == "SLA watch"
            assert "Time left" in (page.text_content("#grid table tr:first-child + tr") or "")
            sidebar = page.frame_locator("#sidebar")
            sidebar.locator("#bindings li").first.wait_for()
            assert sidebar.locator("#who").text_content() == "Demo Trading · warehouse"
            assert "sla_watch" in (sidebar.locator("#bindings").text_content() or "")
            assert "Demo UK (GB)" in (sidebar.locator("#shops").text_content() or "")
            page.screenshot(path=str(ARTIFACTS / "demo.png"))

            page.select_option("#member", demo.ADMIN.email)
            page.click("#sheets button[data-sheet='finance']")
            page.wait_for_function("(document.querySelector('#grid h3') || {}).textContent === 'Profit ledger'")
            sidebar.locator("#admin:not([hidden])").wait_for()  # an admin gets the admin tools
            assert "Net profit" in (page.text_content("#grid") or "")
        finally:
            browser.close()
