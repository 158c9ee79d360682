"""The sidebar's Discord channels and exceptions desk in headless Chromium: an admin sets up a channel and
the Discord sandbox receives its test message; support raises, fills and resolves an exception, copies the
buyer message, and the leaderboard counts it. google.script.run is forwarded as in test_sidebar."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from backend.domain import analytics
from backend.models import Order, Team, utcnow
from backend.sandbox.discord import DiscordFake, start_discord, webhook_url
from backend.sandbox.server import RunningServer
from backend.sandbox.sheets import GoogleSandboxes
from backend.services import teams
from backend.services.analytics import load_samples
from tests.browser import test_sidebar
from tests.browser.test_sidebar import ARTIFACTS, sidebar_tab
from tests.browser.test_sidebar_membership import server_functions as membership_functions
from tests.conftest import Live
from tests.scenarios.addon_world import ADMIN, World, build_world

pytestmark = test_sidebar.pytestmark  # browser, and skipped when Chromium is absent

SUPPORT = "mei@acme.test"


def server_functions(world: World, who: dict[str, str]) -> dict[str, Callable[..., Any]]:
    """Menu.gs's and Desk.gs's functions for whoever `who["email"]` is."""

    def api(method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        return world.api(method, path, who["email"], payload)

    def message(case: int, language: str | None) -> Any:
        return api("get", "/addon/exceptions/message", {"id": case, **({"language": language} if language else {})})

    return {
        **membership_functions(world, who),
        "listExceptions": lambda: api("get", "/addon/exceptions"),
        "raiseException": lambda form: api("post", "/addon/exceptions", form),
        "saveExceptionFields": lambda case, fields: api(
            "post", "/addon/exceptions/fields", {"id": case, "fields": fields}
        ),
        "resolveException": lambda case, outcome, note: api(
            "post", "/addon/exceptions/resolve", {"id": case, "outcome": outcome, "note": note}
        ),
        "buyerMessage": message,
        "listChannels": lambda: api("get", "/addon/channels"),
        "addChannel": lambda form: api("post", "/addon/channels", form),
        "testChannel": lambda channel: api("post", "/addon/channels/test", {"id": channel}),
        "removeChannel": lambda channel: api("post", "/addon/channels/remove", {"id": channel}),
        "getStrings": lambda: api("get", "/addon/strings", {"spreadsheet_id": world.file_id}),
        "setSpreadsheetLanguage": lambda language: api(
            "post", "/addon/spreadsheet/language", {"spreadsheet_id": world.file_id, "language": language}
        ),
    }


@pytest.fixture
def sidebar(live: Live, google: GoogleSandboxes, tmp_path: Path) -> Iterator[tuple[Any, World, dict[str, str]]]:
    world = build_world(live, google, tmp_path)
    with live.app.app_context(), live.db.session() as session:
        teams.add_member(session, session.get_one(Team, live.team_id), SUPPORT, "support")
    who = {"email": ADMIN}
    with sidebar_tab(server_functions(world, who), 1400) as tab:
        yield tab, world, who


@pytest.fixture
def discord() -> Iterator[tuple[DiscordFake, RunningServer]]:
    fake, server = start_discord()
    yield fake, server
    server.stop()


def test_an_admin_sets_up_a_discord_channel_and_the_test_message_arrives(
    sidebar: tuple[Any, World, dict[str, str]], discord: tuple[DiscordFake, RunningServer]
) -> None:
    tab, _world, _who = sidebar
    fake, server = discord
    hook = fake.create_webhook()
    tab.wait_for_function("document.getElementById('who').textContent === 'Acme Trading · Admin'")
    tab.click("#channels-section summary")
    tab.wait_for_selector("#channel-kinds input[value='sla']")
    tab.fill("#channel-name", "warehouse-alerts")
    tab.fill("#channel-url", webhook_url(server, hook))
    tab.check("#channel-kinds input[value='sla']")
    tab.click("#channel-add")
    tab.wait_for_selector("#channels li[data-channel]")  # the new channel is listed, the answer under the button
    assert "Channel warehouse-alerts added" in (tab.text_content("#channel-add + .feedback.ok") or "")
    assert "warehouse-alerts — sla" in (tab.text_content("#channels") or "")
    assert hook.token not in (tab.text_content("#channels") or "")
    tab.click("#channels li[data-channel] button:text('Send a test')")
    tab.wait_for_selector("#channels li[data-channel] .channel-test + .feedback.ok")
    answer = tab.text_content("#channels li[data-channel] .channel-test + .feedback") or ""
    assert answer == "Discord received the test message in warehouse-alerts."
    assert [m["embeds"][0]["title"] for m in fake.messages(hook.id)] == ["OrderDeck is connected to warehouse-alerts"]
    assert tab.evaluate("document.documentElement.scrollWidth") <= 300
    assert tab.text_content("#who") == "Acme Trading · Admin"  # the sidebar's strings left the header alone
    tab.screenshot(path=str(ARTIFACTS / "sidebar-discord-channel.png"), full_page=True)

    tab.click("#channels li[data-channel] button:text('Remove')")
    tab.wait_for_function("document.getElementById('channels').textContent.includes('No Discord channel yet.')")
    tab.wait_for_selector("#channels + .feedback.ok")
    assert tab.text_content("#channels + .feedback") == "Channel warehouse-alerts removed."


def test_support_raises_fills_resolves_and_copies_the_buyer_message_and_the_leaderboard_counts_it(
    sidebar: tuple[Any, World, dict[str, str]],
) -> None:
    tab, world, who = sidebar
    with world.live.app.app_context(), world.live.db.session() as session:
        orders = session.execute(
            select(Order.external_id, Order.buyer_message).where(Order.shop_id == world.shop_id).order_by(Order.id)
        )
        # A buyer who wrote in English (a message with Chinese in it would make Chinese the buyer's language).
        order_id = next(o for o, message in orders if (message or "").isascii())
    who["email"] = SUPPORT
    tab.reload()
    tab.wait_for_function("document.getElementById('who').textContent === 'Acme Trading · Customer service'")
    tab.wait_for_selector("#exceptions:not([hidden])")
    assert tab.is_hidden("#admin")
    tab.wait_for_selector("#exception-list li")
    assert "No open exception for you." in (tab.text_content("#exception-list") or "")

    tab.click("#raise-section summary")
    tab.select_option("#raise-template", "return_request")
    tab.fill("#raise-order", str(order_id))
    tab.fill("#raise-fields input[name='seller_sku']", "LIP-01")
    tab.fill("#raise-fields input[name='quantity']", "1")
    tab.click("#raise")
    tab.wait_for_selector("#raise + .feedback.bad")  # a required field is missing: said under the button
    assert "return_by" in (tab.text_content("#raise + .feedback") or "")

    tab.fill("#raise-fields input[name='return_by']", "2026-12-20")
    tab.click("#raise")
    tab.wait_for_selector("#exception-list li[data-case]")
    assert f"Return request · order {order_id}" in (tab.text_content("#exception-list") or "")
    tab.wait_for_selector("#raise + .feedback.ok")
    assert tab.text_content("#raise + .feedback") == f"Return request raised for order {order_id}."

    case = "#exception-list li[data-case]"
    tab.click(f"{case} summary")
    tab.fill(f"{case} .case-fields input[name='refund_amount']", "12.5")
    tab.click(f"{case} .case-save")
    tab.wait_for_selector(f"{case} .case-save + .feedback.ok")  # the list reloaded, the case still open
    assert tab.text_content(f"{case} .case-save + .feedback") == "Saved."
    assert tab.is_visible(f"{case} .case-message")
    tab.click(f"{case} .case-message")
    tab.wait_for_selector(f"{case} .case-message-text:not([hidden])")
    text = tab.input_value(f"{case} .case-message-text")
    assert f"from order {order_id} is approved" in text and "refund USD 12.50" in text
    tab.select_option(f"{case} .case-language", "zh-Hans")
    tab.click(f"{case} .case-message")
    tab.wait_for_function(f"document.querySelector(\"{case} .case-message-text\").value.includes('退款 USD 12.50')")
    tab.screenshot(path=str(ARTIFACTS / "sidebar-exception.png"), full_page=True)

    tab.select_option(f"{case} .case-outcome", "refunded")
    tab.fill(f"{case} .case-note", "return label sent")
    tab.click(f"{case} .case-resolve")
    tab.wait_for_selector("#exception-list + .feedback.ok")
    assert tab.text_content("#exception-list + .feedback") == "Return request resolved: refunded."
    assert "No open exception" in (tab.text_content("#exception-list") or "")

    with world.live.app.app_context(), world.live.db.session() as session:
        now = utcnow()
        samples = load_samples(session, world.live.team_id, now - timedelta(hours=1), now + timedelta(minutes=1))
        board = analytics.leaderboard(samples, "exception", now - timedelta(hours=1), now + timedelta(minutes=1), 1)
    assert [(s.rank, s.member, s.stats.count) for s in board] == [(1, SUPPORT, 1)]


def test_a_chinese_team_sees_its_sidebar_in_chinese_and_an_admin_keeps_one_file_english(
    sidebar: tuple[Any, World, dict[str, str]],
) -> None:
    tab, world, _who = sidebar
    with world.live.app.app_context(), world.live.db.session() as session:
        teams.set_language(session, session.get_one(Team, world.live.team_id), "zh-Hans", actor="test")
    world.bind_tab("订单", "sla_watch", new_tab=True)
    tab.reload()
    tab.wait_for_function("document.getElementById('sync-now').textContent === '立即同步'")
    assert tab.text_content("#exceptions h2") == "异常"
    assert tab.text_content("#channels-section summary") == "Discord 频道"
    tab.wait_for_function("/(秒|分钟|小时)前已同步|从未同步/.test(document.getElementById('shops').textContent)")
    assert "synced" not in (tab.text_content("#shops") or "")  # said again once the strings came
    assert tab.evaluate("document.documentElement.lang") == "zh-Hans"
    assert tab.evaluate("document.documentElement.scrollWidth") <= 300
    tab.screenshot(path=str(ARTIFACTS / "sidebar-zh-Hans.png"), full_page=True)

    tab.click("#language-section summary")
    tab.select_option("#spreadsheet-language", "en")
    tab.click("#language-save")
    tab.wait_for_selector("#language-save + .feedback.ok")
    assert tab.text_content("#language-save + .feedback") == "Saved."
    world.live.drain()
    world.live.app.extensions["orderdeck.tasks"].enqueue("/tasks/push-due")  # the minute's sweep, should a push
    world.live.drain()  # for the shop's live orders have held the file's lease when the language changed
    assert world.tab("订单")[0][:2] == ["Order / SKU", "Order"]
    tab.reload()
    tab.wait_for_function("document.getElementById('sync-now').textContent === 'Sync now'")
