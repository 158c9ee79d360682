"""The message catalogs: every language has every message, translations keep their placeholders, and
every word a sheet or the sidebar shows in English has a message (so a new one cannot ship untranslated)."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend import i18n
from backend.api import schemas
from backend.catalog import exception_templates, role_policy
from backend.db import Database
from backend.demo import page
from backend.demo import world as demo
from backend.domain import analytics, fulfilment, localize, pending_actions, purchasing, reports, sla
from backend.domain.columns import Source
from backend.domain.fulfilment import ShipState
from backend.domain.phrases import Phrase, said
from backend.domain.stock import PackRow
from backend.domain.tracking import PROBLEM_LABELS
from backend.errors import InvalidInput, RateLimited
from backend.models import Team
from backend.platforms.fulfilment import PickupSlot, ShipProblem
from backend.services import addon, bindings, limits, teams
from backend.services.after_sales import board

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"\{[a-z_]+(?:![rs])?\}")
SIDEBAR_PARTS = ("Sidebar.html",)
STATUSES = ("UNPAID", "ON_HOLD", "AWAITING_SHIPMENT", "PARTIALLY_SHIPPING", "AWAITING_COLLECTION", "IN_TRANSIT",
            "DELIVERED", "COMPLETED", "CANCELLED")  # fmt: skip


def ids(language: str) -> set[str]:
    return {str(m.id) for m in i18n.catalog(language) if m.id}


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_catalog_has_every_message_another_language_has(language: str) -> None:
    others = set().union(*(ids(other) for other in i18n.LANGUAGES if other != language))
    assert sorted(others - ids(language)) == []


def test_every_chinese_message_is_translated_and_keeps_its_placeholders() -> None:
    for message in i18n.catalog("zh-Hans"):
        if not message.id:
            continue
        assert message.string, f"{message.id!r} has no zh-Hans translation"
        assert sorted(PLACEHOLDER.findall(str(message.string))) == sorted(PLACEHOLDER.findall(str(message.id)))


class _Texts(HTMLParser):
    """The English words a page shows: text and placeholders, outside scripts, styles and scriptlets."""

    def __init__(self) -> None:
        super().__init__()
        self.found: set[str] = set()
        self.skipping = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.skipping = tag in ("script", "style", "option", "h1")
        self.found |= {v for k, v in attrs if k == "placeholder" and v and not v.endswith("…")}

    def handle_endtag(self, tag: str) -> None:
        self.skipping = False

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text and not self.skipping and not text.startswith("<?"):
            self.found.add(text)


def test_every_word_of_the_sidebar_sheets_and_dropdowns_has_a_message() -> None:
    parser = _Texts()
    for part in SIDEBAR_PARTS:
        parser.feed((ROOT / "appsscript" / part).read_text(encoding="utf-8"))
    parser.found -= {"OrderDeck", "SLA watch", "Warehouse orders", "US", "packing_slim", "warehouse-alerts"}  # examples
    columns = bindings.catalogue().values()
    shown = {c.header for c in columns} | {v for c in columns for v in c.enum_values} | set(STATUSES)
    texts = sidebar_words("SidebarJs.html", "TEXT") | sidebar_words("SidebarDeskJs.html", "DESK_TEXT")
    examples = {"OrderDeck", "packing_slim", "name@example.com"}
    assert sorted((parser.found | shown | texts - examples | report_words()) - ids("en")) == []


def report_words() -> set[str]:
    """The words word columns write into report cells (labels, totals, roles) and the board's actions."""
    return {
        *analytics.STAGE_LABELS.values(), *analytics.WINDOWS.values(), analytics.ALL_MEMBERS,
        analytics.UNKNOWN_MEMBER, reports.TOTAL, reports.ALL, *role_policy().roles, *PROBLEM_LABELS.values(),
        sla.DO_NOT_PICK, *(action.label for action in pending_actions.ACTIONS), board.FINANCE_ACTION, "all", "reason",
        *fulfilment.ADVICE.values(),
    }  # fmt: skip


def sidebar_words(part: str, table_name: str) -> set[str]:
    """The texts of one of the sidebar's tables (SidebarJs's TEXT, SidebarDeskJs's DESK_TEXT), with their
    {placeholders}: the sidebar looks each up whole in the messages /addon/strings serves, then fills it in."""
    script = (ROOT / "appsscript" / part).read_text(encoding="utf-8")
    start = script.index(f"var {table_name} = {{")
    table = script[start : script.index("\n  };", start)]  # its own closing line: a text may hold "};"
    table = re.sub(r"'\s*\n\s*\+ '", "", table)  # a text split over lines: 'one ' + 'two'
    words = {w.replace("\\'", "'") for w in re.findall(r"^\s*\w+: '((?:[^'\\]|\\.)*)',?$", table, re.MULTILINE)}
    assert len(words) > 30  # the table was read
    return words | {"order {order}"}


def test_the_dropdown_of_templates_agrees_with_their_own_chinese_labels() -> None:
    translate = i18n.translator("zh-Hans")
    for template in exception_templates():
        assert translate(template.label["en"]) == template.label["zh-Hans"]


def test_an_english_sheet_is_written_as_before_and_a_chinese_one_translates_words_not_data() -> None:
    profile = bindings.builtin_profiles()["customer_service"]
    assert i18n.localized(profile, "en") is profile
    chinese = i18n.localized(profile, "zh-Hans")
    assert [c.key for c in chinese.columns] == [c.key for c in profile.columns]
    assert chinese.columns[profile.index_of("status")].header == "状态"
    translate = i18n.translator("zh-Hans")
    assert localize.words("Return request, Stock-out", translate) == "退货申请, 缺货"
    assert localize.words("A buyer's own words", translate) == "A buyer's own words"
    assert localize.words(None, translate) is None
    assert localize.words("This week (2026-W49)", translate) == "本周 (2026-W49)"
    refused = fulfilment.advice(ShipProblem.ADDRESS, "zip code invalid")  # the platform's words stay its own
    assert localize.words(refused, translate) == "承运商无法使用买家的地址：请买家更正后再标记一次。 (zip code invalid)"
    leaderboard = i18n.localized(bindings.builtin_profiles()["leaderboard"], "zh-Hans")
    window = leaderboard.columns[leaderboard.index_of("leaderboard_window")]
    assert window.value(Source(stats={"Window": "This month (2026-12)"})) == "本月 (2026-12)"


def test_team_create_and_set_take_a_language(runner: FlaskCliRunner, session: Session) -> None:
    created = runner.invoke(args=["team", "create", "深圳好物", "--admin", "li@haowu.example", "--language", "zh-Hans"])
    assert created.exit_code == 0 and "language zh-Hans" in created.output
    assert session.scalar(select(Team.language).where(Team.name == "深圳好物")) == "zh-Hans"
    changed = runner.invoke(args=["team", "set", "深圳好物", "--language", "en"])
    assert changed.exit_code == 0 and "speaks en" in changed.output
    session.expire_all()
    assert session.scalar(select(Team.language).where(Team.name == "深圳好物")) == "en"
    refused = runner.invoke(args=["team", "set", "深圳好物", "--language", "fr"])
    assert refused.exit_code != 0 and "'fr' is not one of 'en', 'zh-Hans'" in refused.output


def test_a_note_is_said_in_the_sheets_language_with_its_values_and_words_in_place() -> None:
    saved = Phrase("Saved. Type the {missing} too, and OrderDeck ships the package.", missing=Phrase("carrier"))
    assert saved == "Saved. Type the carrier too, and OrderDeck ships the package."
    assert said(saved, i18n.translator("zh-Hans")) == "已保存。再填写承运商，OrderDeck 即会发货。"
    assert said(saved, i18n.translator("en")) == saved
    refused = Phrase("{tracking!r} is not a tracking number (4-64 letters, digits or -)", tracking="{x}")
    assert said(refused, i18n.translator("zh-Hans")) == "'{x}' 不是运单号（4–64 个字母、数字或 -）"
    assert said("not saved: another cell in this row was refused", i18n.translator("zh-Hans")) == (
        "未保存：本行另一个单元格被拒绝"
    )


def test_the_pack_lists_wave_shipment_and_combine_texts_are_said_in_chinese_and_unchanged_in_english() -> None:
    pack = bindings.builtin_profiles()["pack_list"]
    state = ShipState(
        state=fulfilment.shipped("IN_TRANSIT"),
        wave=fulfilment.wave_label(12, 3, 50),
        together=fulfilment.together("P1", ["A1", "A2"], [], 1),
    )
    row = PackRow("P1", ("A1", "A2"), "2 x SKU", "", None, shipping=state)
    cells = {
        "pack_state": ("Shipped: in transit", "已发货：运输中"),
        "pack_wave": ("Wave 12: 3 of 50", "波次 12：第 3 件，共 50 件"),
        "pack_together": ("combined: A1, A2 (Split to ship apart)", "已合并：A1, A2（选“拆分”可分开发货）"),
    }
    for language, at in (("en", 0), ("zh-Hans", 1)):
        profile = i18n.localized(pack, language)
        for key, texts in cells.items():
            assert profile.columns[profile.index_of(key)].value(Source(pack=row)) == texts[at]
    noted = Phrase("{state}. {message}", state=fulfilment.shipped("DELIVERED"), message="Already shipped.")
    assert localize.words(noted, i18n.translator("zh-Hans")) == "已发货：已签收。Already shipped."  # kept as it was
    slot = PickupSlot(datetime(2026, 11, 24, 1, tzinfo=UTC), datetime(2026, 11, 24, 4, tzinfo=UTC))
    words = {language: i18n.handover_words(language) for language in i18n.LANGUAGES}
    assert [(w[0], w[1](slot, "Asia/Shanghai")) for w in words.values()] == [
        ("Drop-off", "Pickup Tue 24 Nov 09:00–12:00"),
        ("自送网点", "上门揽收 11月24日周二 09:00–12:00"),
    ]
    buyer = fulfilment.together("P1", ["A1"], [["A1", "B7"]], 2)
    assert (str(buyer), said(buyer, i18n.translator("zh-Hans"))) == (
        "same buyer: Combine with B7",
        "同一买家：可与 B7 合并（选“合并”）",
    )


def test_every_profile_title_and_role_name_the_sidebars_pickers_show_has_a_message() -> None:
    titles = {p.title for p in bindings.builtin_profiles().values()}
    assert sorted((titles | set(role_policy().labels.values())) - ids("en")) == []


def test_every_word_of_the_demo_page_and_its_script_has_a_message() -> None:
    parser = _Texts()
    template = (ROOT / "backend" / "demo" / "page.html").read_text(encoding="utf-8")
    for part in (template[: template.index("<script>")], page.NO_SIDEBAR, page.DENIED, "<p>No messages yet.</p>"):
        parser.feed(part)
    assert {"updated {time}", "Loading…"} <= parser.found  # the script's words, in #words for the page to translate
    names = {person.name for person in demo.PEOPLE} | {"Showing {shown} of {total} rows", "{total} rows"}
    assert sorted((parser.found | names) - {"{people}", "{sheets}", "{who}"} - ids("en")) == []


def test_a_chinese_sheets_chart_is_titled_in_chinese_and_an_english_ones_as_before() -> None:
    months = bindings.builtin_profiles()["profit_by_month"]
    assert months.chart is not None and i18n.localized(months, "en").chart == months.chart
    chinese = i18n.localized(months, "zh-Hans").chart
    assert chinese is not None and chinese.title == "每月净利润" and chinese.series == months.chart.series
    assert (i18n.tab_titler("zh-Hans")("Orders"), i18n.translator("zh-Hans")("Orders")) == ("订单", "订单数")


def test_every_phrase_the_backend_says_has_a_message() -> None:
    """A note said through a phrase (backend/domain/phrases.py) without a message would stay English."""
    said: set[str] = set()
    for path in (ROOT / "backend").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Phrase":
                first = node.args[0] if node.args else None
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    said.add(first.value)
    assert len(said) > 50  # the source was read
    assert sorted(said - ids("en")) == []


def test_a_packages_kept_message_is_said_again_in_chinese_with_the_platforms_own_words_as_they_came() -> None:
    chinese = i18n.translator("zh-Hans")
    refused = str(fulfilment.advice(ShipProblem.ADDRESS, "zip code invalid"))  # as the database keeps it
    kept = fulfilment.kept(str(ShipProblem.ADDRESS), refused)
    assert kept == refused and said(kept, chinese) == (
        "承运商无法使用买家的地址：请买家更正后再标记一次。 (zip code invalid)"
    )
    again = fulfilment.kept(str(ShipProblem.ALREADY_SHIPPED), "Already shipped: nothing was sent again.")
    state = Phrase("{state}. {message}", state=fulfilment.shipped("IN_TRANSIT"), message=again)
    assert said(state, chinese) == "已发货：运输中。已发货：没有重复发送。"
    assert said(fulfilment.kept(None, fulfilment.SHIPPING), chinese) == "发货中…"
    assert fulfilment.kept(str(ShipProblem.OTHER), "words kept before they changed") == "words kept before they changed"
    assert chinese("You ship this one: pick its carrier and type the tracking number.").startswith("此包裹由你自行发货")


# Where the sidebar's refusals are raised: each is said in the caller's language (backend/api/__init__.py).
REFUSING = ("services/addon.py", "services/addon_sheets.py", "services/bindings.py", "services/invitations.py",
            "services/exception_desk.py", "services/workflow.py", "services/channels.py", "services/languages.py",
            "services/edits.py", "services/after_sales/sidebar.py", "services/after_sales/decisions.py",
            "services/notify.py", "services/google_oauth.py",
            "services/shops.py", "services/teams.py", "services/costs.py",
            "services/purchases.py", "services/labels.py",
            "services/after_sales/seller.py", "services/push_schedule.py",
            "services/sheet_refresh.py", "domain/profiles.py",
            "api/addon.py")  # fmt: skip


def test_every_refusal_the_sidebar_shows_has_a_message_and_none_is_an_f_string() -> None:
    """An error said in an f-string cannot be translated, and one without a message stays English."""
    untranslatable, unknown = [], set()
    for name in REFUSING:
        for node in ast.walk(ast.parse((ROOT / "backend" / name).read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args):
                continue
            said = node.exc.args[0]
            if isinstance(said, ast.JoinedStr):
                untranslatable.append(f"{name}:{node.lineno}")
            elif isinstance(said, ast.Constant) and isinstance(said.value, str):
                unknown.add(said.value)
    assert untranslatable == []
    assert sorted(unknown - ids("en")) == []
    words = {*schemas.FIELD_NAMES.values(), *schemas.PLAIN.values(), *addon.ACTION_WORDS.values()}
    words |= {rule.what for rule in limits.defaults().values()} | set(purchasing.LINE_LABELS.values())
    assert sorted(words - ids("en")) == []


def test_a_refusal_is_said_with_its_values_in_chinese_and_as_before_in_english() -> None:
    refused = InvalidInput(Phrase("no shop {shop_id} in your team", shop_id=7), field="shop_id")
    assert refused.envelope(i18n.translator("zh-Hans")) == {
        "error": {"code": "invalid_input", "message": "你的团队中没有店铺 7", "action": "fail",
                  "detail": {"field": "shop_id"}}
    }  # fmt: skip
    assert refused.envelope(i18n.translator("en")) == refused.envelope()
    assert refused.envelope()["error"]["message"] == "no shop 7 in your team"
    with pytest.raises(ValueError) as typed:
        purchasing.parse_status("lost", purchasing.LineStatus, purchasing.LINE_LABELS)
    shown = "ordered, shipped by supplier, at forwarder, in consolidated shipment, arrived, cancelled"
    assert str(typed.value) == f"status 'lost' is not one of: {shown}"
    assert said(typed.value.args[0], i18n.translator("zh-Hans")) == (
        "状态 'lost' 不在可选项中：已下单、供应商已发货、已到货代仓、已集运发出、已到货、已取消"
    )


def test_a_limit_refusal_names_its_limit_and_wait_in_chinese(migrated: Database, session: Session) -> None:
    team = teams.create_team(session, "Limited", "admin@limited.example")
    limits.set_limit(session, "bind_challenge.member", 1, 60, team_name="Limited")
    session.commit()
    at = datetime(2026, 12, 7, 8, 0, 30, tzinfo=UTC)  # half-way through a one-minute window
    limits.spend(migrated, "bind_challenge", team_id=team.id, member="admin@limited.example", now=at)
    with pytest.raises(RateLimited) as limited:
        limits.spend(migrated, "bind_challenge", team_id=team.id, member="admin@limited.example", now=at)
    assert limited.value.envelope()["error"]["message"] == (
        "you have reached the limit of 1 bind challenges per minute; try again in 30 s"
    )
    assert limited.value.envelope(i18n.translator("zh-Hans"))["error"]["message"] == (
        "你已达到每分钟 1 次绑定校验码的上限；请 30 秒后再试"
    )
