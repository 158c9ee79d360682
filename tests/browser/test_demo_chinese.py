"""Done when: a zh-Hans team's warehouse, finance and support sheets, its sidebar and its Discord messages are
Chinese, seen as each member sees them in the demo (seeded with `flask --app backend demo --language zh-Hans`)
in headless Chromium; a screenshot of each is saved under test-artifacts/ (CJK fonts: scripts/test-deps.sh)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, sync_playwright

from backend.demo import world as demo
from tests.browser import test_sidebar
from tests.browser.test_demo_page import FELIX, HEIGHT, WANG, WIDTH, column, started, wait_for_sidebar
from tests.browser.test_sidebar import ARGS, ARTIFACTS, CHROMIUM

pytestmark = test_sidebar.pytestmark  # browser, and skipped when Chromium is absent

SOFIA = "sofia@demo-trading.example"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[demo.World]:
    yield from started(tmp_path_factory, "zh-Hans")


@pytest.fixture(scope="module")
def page(world: demo.World) -> Iterator[Page]:
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium.new_context(viewport={"width": WIDTH, "height": HEIGHT}).new_page()
        chromium.close()


def opened(page: Page, world: demo.World, email: str, sheet: str) -> list[str]:
    """The sheet as `email` sees it on the demo page; → its header row."""
    page.goto(f"{world.url}/?as={email}&sheet={sheet}")
    page.wait_for_selector("#grid .ss")
    headers: list[str] = page.eval_on_selector_all("#grid tr.head td", "cells => cells.map(c => c.textContent)")
    return headers


@pytest.mark.parametrize(
    ("email", "sheet", "first", "word_column", "words"),
    [
        (WANG, "warehouse", ["订单", "剩余时间", "状态", "下一个期限", "到期时间（店铺时间）"], "状态", {"待发货"}),
        (FELIX, "finance", ["订单号", "下单时间（店铺时间）", "币种", "收入"], "预估 / 已结算", {"预估", "已结算"}),
        (SOFIA, "customer_service", ["订单号", "下单时间（店铺时间）", "状态"], "状态", {"待发货"}),
    ],
    ids=["warehouse", "finance", "support"],
)
def test_each_members_sheet_and_sidebar_are_chinese(
    world: demo.World, page: Page, email: str, sheet: str, first: list[str], word_column: str, words: set[str]
) -> None:
    headers = opened(page, world, email, sheet)
    assert headers[: len(first)] == first
    assert words & set(column(page, word_column)), column(page, word_column)[:10]
    assert page.text_content("header h1") == "OrderDeck 演示"
    assert page.evaluate("document.documentElement.lang") == "zh-Hans"
    page.wait_for_function("document.getElementById('sidebar').src.includes('/sidebar?')")
    frame = next(f for f in page.frames if "/sidebar?" in f.url)
    frame.wait_for_load_state()
    wait_for_sidebar(frame)
    frame.wait_for_function("document.getElementById('sync-now').textContent === '立即同步'")
    page.screenshot(path=str(ARTIFACTS / f"demo-zh-Hans-{sheet}.png"))


def test_the_admin_tests_the_teams_discord_channel_and_the_message_is_chinese(world: demo.World) -> None:
    def run(name: str, *args: object) -> Any:
        body = {"as": demo.ADMIN.email, "sheet": "finance", "args": list(args)}
        return httpx.post(f"{world.url}/run/{name}", json=body, timeout=60).json()["result"]

    [channel] = run("listChannels")["channels"]
    assert run("testChannel", channel["id"])["sent"]
    [message] = [m for m in world.discord.messages() if m["embeds"][0]["title"].startswith("OrderDeck 已连接到")]
    assert message["embeds"][0]["description"].startswith("此频道将接收 Demo Trading 的通知")


def test_the_page_its_script_its_grid_and_the_admins_pickers_are_chinese(world: demo.World, page: Page) -> None:
    page.goto(f"{world.url}/?as={demo.ADMIN.email}&sheet=finance")
    page.wait_for_selector("#grid .ss")
    texts = "els => els.map(e => e.textContent)"
    assert page.eval_on_selector_all("#sheets button", texts)[:5] == ["仓库", "财务", "客服", "代运营客户", "采购"]
    assert page.eval_on_selector_all("#grid nav.tabs a", texts) == ["利润明细", "SKU 成本", "汇率", "按月", "按店铺",
                                                                    "待处理事项"]  # fmt: skip
    assert re.fullmatch(r"[\d,]+ 行|显示 [\d,]+ 行，共 [\d,]+ 行", page.text_content("#grid .count") or "")
    page.wait_for_function("document.getElementById('updated').textContent.startsWith('更新于 ')")
    assert re.fullmatch(r"更新于 \d{1,2}:\d\d:\d\d", page.text_content("#updated") or "")
    assert page.eval_on_selector_all("#member option", texts)[0] == "Ada，创始人 (管理员)"

    # The admin's sidebar: profiles, audiences and roles in its pickers are Chinese (from the backend's catalogs).
    page.wait_for_function("document.getElementById('sidebar').src.includes('/sidebar?')")
    frame = next(f for f in page.frames if "/sidebar?" in f.url)
    frame.wait_for_load_state()
    wait_for_sidebar(frame)
    # The sidebar's strings arrive in a call of their own, after its status; until then its texts are English.
    frame.wait_for_function("document.documentElement.lang === 'zh-Hans'")
    frame.wait_for_function("document.querySelectorAll('#bind-profile option').length > 3")
    roles = frame.eval_on_selector_all("#member-role option", texts)
    assert roles == ["管理员", "财务", "采购", "仓库 / 第三方物流", "客服", "代运营客户"], roles
    assert frame.eval_on_selector_all("#create-audience option", texts) == roles
    profiles = frame.eval_on_selector_all("#bind-profile option", texts)
    assert "利润明细 — 供财务使用" in profiles, profiles
    assert not [p for p in profiles if re.search(r"[A-Za-z]{4,}", p.replace("SKU", "").replace("SLA", ""))], profiles
    frame.evaluate("['bind-section', 'members-section'].forEach(id => { document.getElementById(id).open = true; })")
    frame.locator("#bind-profile").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "demo-zh-Hans-sidebar-pickers.png"))
