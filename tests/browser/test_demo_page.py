"""The demo walked as each role would, in headless Chromium at 1440 × 900: what each member sees in each
spreadsheet and in the add-on sidebar beside it, in words (no column key), in urgency order for the
warehouse, as a ledger with its chart for finance, with every answer next to the control clicked, and no
console error or 5xx behind any link or button. One demo and one browser serve the whole module."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import BrowserContext, Frame, Page, sync_playwright

from backend.catalog import role_policy
from backend.demo import world as demo
from backend.services.bindings import builtin_profiles, catalogue
from tests.browser import test_sidebar
from tests.browser.test_sidebar import ARGS, ARTIFACTS, CHROMIUM

pytestmark = test_sidebar.pytestmark  # browser, and skipped when Chromium is absent

WIDTH, HEIGHT = 1440, 900
WANG, FELIX = "wang@demo-3pl.example", "felix@demo-trading.example"
# Keys people never type: catalogue columns and profiles named with an underscore ("fee_platform").
KEYS = sorted({k for k in catalogue() if "_" in k} | {k for k in builtin_profiles() if "_" in k})


@dataclass
class Browser:
    context: BrowserContext
    page: Page
    problems: list[str] = field(default_factory=list)  # console errors, script errors, 5xx answers

    def open(self, world: demo.World, email: str, sheet: str) -> None:
        self.page.goto(f"{world.url}/?as={email}&sheet={sheet}")
        self.page.wait_for_selector("#grid .ss, #grid .denied")


def started(tmp_path_factory: pytest.TempPathFactory, language: str = "en") -> Iterator[demo.World]:
    """A demo without traffic (the walk reads still grids), seeded in `language`, stopped after its module."""
    running = demo.start(tmp_path_factory.mktemp("demo"), page_port=0, traffic_every=None, language=language)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[demo.World]:
    yield from started(tmp_path_factory)


@pytest.fixture(scope="module")
def browser(world: demo.World) -> Iterator[Browser]:
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = chromium.new_context(viewport={"width": WIDTH, "height": HEIGHT})
        walk = Browser(context, context.new_page())
        # The demo page and its sidebar log no error; pages it opens (TikTok's, Google's) answer with no 5xx.
        walk.page.on("console", lambda m: walk.problems.append(f"console: {m.text}") if m.type == "error" else None)
        context.on("weberror", lambda e: walk.problems.append(f"script: {e.error}"))
        context.on("response", lambda r: walk.problems.append(f"{r.status} {r.url}") if r.status >= 500 else None)
        yield walk
        chromium.close()


@pytest.fixture
def clean(browser: Browser) -> Iterator[Browser]:
    """Each walk ends without a console error, a script error or a 5xx anywhere it went."""
    browser.problems.clear()
    yield browser
    assert browser.problems == []


def visible_text(browser: Browser) -> str:
    frames = [f for f in browser.page.frames if "/sidebar?" in f.url]
    return browser.page.inner_text("body") + "\n" + "\n".join(f.inner_text("body") for f in frames)


def links_answer_without_5xx(browser: Browser) -> int:
    """Follow every link on the page and in its sidebar (as the same browser, cookies and all); → how many."""
    hrefs: set[str] = set()
    for frame in browser.page.frames:
        hrefs |= set(frame.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"))
    followed = sorted(h for h in hrefs if h.startswith("http://127.0.0.1:"))
    for href in followed:
        status = browser.context.request.get(href).status
        assert status < 500, (status, href)
    return len(followed)


def sidebar(browser: Browser) -> Frame:
    browser.page.wait_for_function("document.getElementById('sidebar').src.includes('/sidebar?')")
    frame = next(f for f in browser.page.frames if "/sidebar?" in f.url)
    frame.wait_for_load_state()
    return frame


def wait_for_sidebar(frame: Frame) -> None:
    frame.wait_for_function(
        "!document.getElementById('who') || !document.getElementById('status').hidden"
        " || !document.getElementById('error').hidden"
    )


def hours(text: str) -> float:
    """A [h]:mm duration as the sheet shows it (negative once overdue) → hours."""
    sign, h, m = re.fullmatch(r"(-?)(\d+):(\d\d)", text.strip()).groups()  # type: ignore[union-attr]
    return (-1 if sign else 1) * (int(h) + int(m) / 60)


def right_edge(page: Page, header: str) -> float:
    """Where the header's cell ends, in page pixels (read in one step: the grid is redrawn every few seconds)."""
    edges = page.eval_on_selector_all(
        "#grid tr.head td",
        "cells => Object.fromEntries(cells.map(c => [c.textContent, c.getBoundingClientRect().right]))",
    )
    return float(edges[header])


def column(page: Page, header: str) -> list[str]:
    headers = page.eval_on_selector_all("#grid tr.head td", "cells => cells.map(c => c.textContent)")
    index = headers.index(header)
    rows = page.eval_on_selector_all(
        "#grid tr:not(.head)", "rows => rows.map(r => [...r.querySelectorAll('td')].map(c => c.textContent))"
    )
    return [r[index] for r in rows if len(r) > index and any(r)]


@pytest.mark.parametrize("person", demo.PEOPLE, ids=[p.role for p in demo.PEOPLE])
def test_each_member_sees_their_audience_in_words_and_nothing_else(
    world: demo.World, clean: Browser, person: demo.Person
) -> None:
    own = [s.key for s in demo.SHEETS if s.audience == person.role or person.role == "admin"]
    other = next(s.key for s in demo.SHEETS if s.key not in own) if len(own) < len(demo.SHEETS) else None
    for spec in (s for s in demo.SHEETS if s.key in own or s.key == other):
        clean.open(world, person.email, spec.key)
        frame = sidebar(clean)
        wait_for_sidebar(frame)
        text = visible_text(clean)
        leaked = [k for k in KEYS if re.search(rf"\b{k}\b", text)]
        assert leaked == [], (person.role, spec.key, leaked)
        if spec.key in own:
            assert clean.page.query_selector("#grid .ss nav.tabs a") is not None
            assert frame.text_content("#who") == f"Demo Trading · {role_policy().label(person.role)}"
        else:
            assert "cannot open this spreadsheet" in (clean.page.text_content("#grid") or "")
            assert "no add-on sidebar" in (frame.text_content("body") or "")  # no sidebar in a file you cannot open
    clean.open(world, person.email, own[0] if own else "warehouse")
    wait_for_sidebar(sidebar(clean))
    assert links_answer_without_5xx(clean) > 0
    clean.page.wait_for_timeout(300)
    clean.page.screenshot(path=str(ARTIFACTS / f"demo-{person.role}.png"))


def test_the_warehouse_view_leads_with_what_to_ship_next(world: demo.World, clean: Browser) -> None:
    clean.open(world, WANG, "warehouse")
    page = clean.page
    letters = page.eval_on_selector_all("#grid tr:first-child th", "cells => cells.map(c => c.textContent)")
    assert letters[1] == "B"  # column A, the order/SKU key, is hidden (the writer still reads keys there)
    headers = page.eval_on_selector_all("#grid tr.head td", "cells => cells.map(c => c.textContent)")
    assert headers[:5] == ["Order", "Time left", "Status", "Next deadline", "Due (shop time)"]
    for header in ("Time left", "Status"):  # in view at 1440 px without scrolling
        assert right_edge(page, header) <= WIDTH - 340, header  # left of the sidebar
    assert page.query_selector("#grid tr.head.frozen td.left") is not None  # header row and first column frozen
    counted = [  # (hours left, status) of each row with a countdown: an order with no deadline shows none
        (hours(t), s)
        for t, s in zip(column(page, "Time left"), column(page, "Status"), strict=True)
        if re.fullmatch(r"-?\d+:\d\d", t.strip())
    ]
    left = [h for h, _ in counted]
    assert len(left) > 20 and left == sorted(left)  # most urgent first, whichever shop and deadline
    shops = column(page, "Shop")
    assert {"Demo US", "Demo UK"} <= set(shops[:15])  # the two shops' orders interleave by urgency
    collecting = [h for h, s in counted if s == "AWAITING_COLLECTION"]
    assert not collecting or min(collecting) > left[0]  # a parcel waiting for the carrier is not on top
    assert re.fullmatch(r"\d+ rows|Showing \d+ of \d+ rows", page.text_content("#grid .count") or "")
    page.screenshot(path=str(ARTIFACTS / "demo.png"))


def test_finance_reads_like_a_ledger_with_its_tabs_and_the_months_chart(world: demo.World, clean: Browser) -> None:
    clean.open(world, FELIX, "finance")
    page = clean.page
    tabs = page.eval_on_selector_all("#grid nav.tabs a", "tabs => tabs.map(t => t.textContent)")
    assert tabs == ["Profit ledger", "SKU costs", "Rates", "By month", "By shop", "Pending actions"]
    headers = page.eval_on_selector_all("#grid tr.head td", "cells => cells.map(c => c.textContent)")
    assert headers[:8] == [
        "Order ID", "Ordered (shop time)", "Currency", "Revenue", "Fees total", "COGS", "Net profit", "Margin"
    ]  # fmt: skip
    page.click("#grid nav.tabs a[data-tab='By month']")
    page.wait_for_selector("#grid .ss[data-tab='By month'] svg rect")
    headers = page.eval_on_selector_all("#grid tr.head td", "cells => cells.map(c => c.textContent)")
    assert headers[:3] == ["Month", "Currency", "Orders"]  # not "Key / currency"
    bars = page.eval_on_selector_all("#grid svg rect title", "bars => bars.map(b => b.textContent)")
    months = [m for m in column(page, "Month") if not m.startswith("TOTAL")]
    assert len(bars) == len(months)  # one bar per month and currency; the totals are not charted
    page.screenshot(path=str(ARTIFACTS / "demo-finance-by-month.png"))


LEADS = {  # what each audience reads first, left to right, all of it in view at 1440 px beside the sidebar
    "customer_service": (
        "sofia@demo-trading.example",
        ["Order ID", "Ordered (shop time)", "Status", "Exception", "Buyer message"],
    ),
    "agency": (
        "victor@demo-agency.example",
        ["Order ID", "Ordered (shop time)", "Status", "Shop", "Currency", "Order total"],
    ),
    "procurement": ("priya@demo-trading.example", ["Seller SKU", "Product", "State", "Short", "Left after orders"]),
}


@pytest.mark.parametrize("sheet", LEADS)
def test_support_the_agency_and_procurement_read_what_matters_first(
    world: demo.World, clean: Browser, sheet: str
) -> None:
    email, lead = LEADS[sheet]
    clean.open(world, email, sheet)
    page = clean.page
    headers = page.eval_on_selector_all("#grid tr.head td", "cells => cells.map(c => c.textContent)")
    assert headers[: len(lead)] == lead
    assert right_edge(page, lead[-1]) <= WIDTH - 340  # left of the sidebar, no scrolling
    assert page.query_selector("#grid tr.head.frozen td.left") is not None
    if sheet == "procurement":  # the SKUs short of stock first; the stock key stays hidden in column A
        short = [int(n) for n in column(page, "Short")]
        assert len(short) > 20 and short == sorted(short, reverse=True)
        letters = page.eval_on_selector_all("#grid tr:first-child th", "cells => cells.map(c => c.textContent)")
        assert letters[1] == "B"
    page.screenshot(path=str(ARTIFACTS / f"demo-first-columns-{sheet}.png"))


def in_view(frame: Frame, selector: str) -> bool:
    """Wholly inside the sidebar's viewport (to the pixel: layout places boxes at fractions of one)."""
    return bool(
        frame.eval_on_selector(
            selector,
            "e => { const r = e.getBoundingClientRect(); return r.top >= -1 && r.bottom <= innerHeight + 1; }",
        )
    )


def test_an_admin_gets_each_answer_next_to_the_control_and_every_link_works(world: demo.World, clean: Browser) -> None:
    clean.open(world, demo.ADMIN.email, "warehouse")
    frame = sidebar(clean)
    frame.wait_for_selector("#admin:not([hidden])")

    frame.click("#sync-now")
    frame.wait_for_selector("#sync-now + .feedback.ok")
    assert in_view(frame, "#sync-now + .feedback")
    assert re.fullmatch(r"Sync again in \d+ s", frame.text_content("#sync-now") or "")

    frame.click("#members-section summary")
    frame.wait_for_selector("#members li")
    frame.fill("#member-email", "victor at agency")
    frame.click("#member-save")
    frame.wait_for_selector("#member-save + .feedback.bad")
    assert (frame.text_content("#member-save + .feedback") or "").startswith("Email: ")
    assert in_view(frame, "#member-save + .feedback")
    victor = frame.locator("#members li", has_text="victor@demo-agency.example")
    victor.locator("button").click()
    assert "Remove victor@demo-agency.example from the team?" in (victor.text_content() or "")
    victor.locator("button", has_text="Keep").click()
    frame.wait_for_selector("#members li:has-text('victor@demo-agency.example') button:has-text('Remove')")

    frame.click("#profile-section summary")
    frame.wait_for_selector("#profile-columns label")  # the columns the audience may see, to tick
    frame.fill("#profile-key", "Packing slim")
    frame.click("#profile-save")
    frame.wait_for_selector("#profile-save + .feedback.bad")
    assert (frame.text_content("#profile-save + .feedback") or "").startswith("Key: use lowercase letters")
    assert in_view(frame, "#profile-save + .feedback")

    frame.click("#trigger-section summary")
    frame.click("#install-trigger")
    frame.wait_for_selector("#install-trigger + .feedback.ok")
    # Every tab of the warehouse's file is bound (its pack list and shipments take typed cells too).
    assert (
        frame.text_content("#install-trigger + .feedback")
        == "Edits in Carriers, Pack list, SLA watch, Shipments now go back to OrderDeck."
    )

    frame.click("#bind-section summary")
    offered = frame.eval_on_selector_all("#bind-profile option", "os => os.map(o => o.textContent)")
    assert offered[0].endswith("for Warehouse / 3PL") and "SLA watch — for Warehouse / 3PL" in offered
    assert not [o for o in offered if "Profit" in o]  # no finance profile in the warehouse's file

    frame.click("#shop-section summary")
    frame.select_option("#shop-region", "GB")
    frame.click("#connect-shop")
    with clean.page.expect_popup() as opened:
        frame.click("#shop-link a")
    consent = opened.value
    consent.wait_for_selector("#authorize")  # the sandbox's consent page, not TikTok's real site
    consent.click("#authorize")
    consent.wait_for_load_state()
    assert consent.text_content("h1") == "Shop connected"
    consent.close()

    frame.click("#google-section summary")
    frame.click("#connect-google")
    with clean.page.expect_popup() as opened:
        frame.click("#google-link a")
    google = opened.value
    google.wait_for_selector("#deny")
    google.click("#deny")  # changing one's mind is answered in words, not with an error page
    google.wait_for_load_state()
    assert google.text_content("h1") == "Google account not connected"
    google.close()

    frame.click("#create-section summary")
    frame.select_option("#create-audience", "procurement")
    frame.fill("#create-title", "Demo Trading · Reorders")
    assert frame.input_value("#create-profile") == "stock"
    frame.click("#create")
    frame.wait_for_selector("#create-result a")
    with clean.page.expect_popup() as opened:
        frame.click("#create-result a")
    made = opened.value
    made.wait_for_selector("#grid .ss")  # the new file opens on the demo page, as in Sheets
    assert "Demo Trading · Reorders" in (made.text_content("#grid h2") or "")
    made.close()
    assert links_answer_without_5xx(clean) >= 4  # the page, the two consent links, the new file
    frame.page.screenshot(path=str(ARTIFACTS / "demo-admin-sidebar.png"))
