"""Done when: a zh-Hans team's warehouse, finance and support sheets, its sidebar and its Discord messages are
Chinese, seen as each member sees them in the demo (seeded with `flask --app backend demo --language zh-Hans`)
in headless Chromium; a screenshot of each is saved under test-artifacts/ (CJK fonts: scripts/test-deps.sh)."""

from __future__ import annotations

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
