"""Done when: a zh-Hans team's sheets, sidebar and Discord test message are Chinese (asserted on cell and
message text), a Chinese dropdown value typed in the sheet is understood, and one spreadsheet can keep
English while its team speaks Chinese."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from backend.domain.purchasing import LineStatus
from backend.models import ExceptionCase, Order, OrderLine, PurchaseLine, Team
from backend.sandbox.discord import DiscordFake, start_discord, webhook_url
from backend.sandbox.server import RunningServer
from backend.sandbox.sheets import GoogleSandboxes
from backend.services import bindings, purchases, teams
from tests.api.conftest import AUDIENCE
from tests.conftest import Live
from tests.scenarios.addon_world import ADMIN, PACKER, AddonFailure, World, build_world
from tests.scenarios.test_fulfilment import PACK, columns, open_pack_list, pass_of, rows_by_key, sandbox_shop

COLUMNS = ("order_id", "shop", "created_at", "status", "buyer_message", "exception")


@pytest.fixture
def world(live: Live, google: GoogleSandboxes, tmp_path: Path) -> World:
    built = build_world(live, google, tmp_path)
    with live.app.app_context(), live.db.session() as session:
        teams.set_language(session, session.get_one(Team, live.team_id), "zh-Hans", actor="test")
    return built


@pytest.fixture
def discord() -> Iterator[tuple[DiscordFake, RunningServer]]:
    fake, server = start_discord()
    yield fake, server
    server.stop()


def _validation(world: World, tab: str, column: int) -> list[str]:
    """The dropdown's choices on the first data row of `column` (1-based), as the Sheets sandbox stores them."""
    sheet = next(s for s in world.google.sheets.spreadsheets[world.file_id].sheets if s.title == tab)
    rule: dict[str, Any] = sheet.cells[(1, column - 1)]["dataValidation"]
    return [v["userEnteredValue"] for v in rule["condition"]["values"]]


def _column_keys(world: World, tab: str, file_id: str | None = None) -> list[str | None]:
    """Each column's key from the developer metadata the backend put on it, as Triggers.gs reads it."""
    spreadsheet = world.google.sheets.spreadsheets[file_id or world.file_id]
    sheet = next(s for s in spreadsheet.sheets if s.title == tab)
    keys: list[str | None] = [None] * sheet.column_count
    for meta in spreadsheet.developer_metadata:
        place = meta["location"].get("dimensionRange", {})
        if meta["metadataKey"] == "orderdeck.column" and place.get("sheetId") == sheet.sheet_id:
            keys[place["startIndex"]] = meta["metadataValue"]
    return keys


def _bought(world: World) -> str:
    """Ten units of one of the shop's SKUs bought on supplier order P1 (its line is "other:P1/1"); → the SKU."""
    with world.live.app.app_context(), world.live.db.session() as session:
        team = session.get_one(Team, world.live.team_id)
        sku = str(session.scalars(select(OrderLine.seller_sku).where(OrderLine.seller_sku != "").limit(1)).one())
        bought = f"platform,supplier_order_no,seller_sku,quantity_ordered,currency\nother,P1,{sku},10,CNY\n"
        assert purchases.import_purchases(session, team, bought.encode(), file_name="p.csv", actor=ADMIN).created
    return sku


def test_a_chinese_team_gets_chinese_sheets_sidebar_and_discord_and_one_file_can_stay_english(
    world: World, discord: tuple[DiscordFake, RunningServer]
) -> None:
    world.bind_tab("客服", "customer_service", new_tab=True)
    world.live.drain()
    rows = world.tab("客服")
    header = rows[0]
    at = {key: bindings.builtin_profiles()["customer_service"].index_of(key) for key in COLUMNS}
    chinese = ["订单号", "店铺", "下单时间（店铺时间）", "状态", "买家留言", "异常"]
    assert [header[at[key]] for key in COLUMNS] == chinese
    statuses = {row[at["status"]] for row in rows[1:]}
    assert "待发货" in statuses and "AWAITING_SHIPMENT" not in statuses
    dropdown = ["地址问题", "买家取消订单", "商品破损或发错货", "退货申请", "发货延迟", "缺货"]
    assert _validation(world, "客服", at["exception"] + 1) == dropdown

    # Support picks a Chinese dropdown value: the backend understands it and answers in Chinese.
    world.api("post", "/addon/trigger", ADMIN, {"spreadsheet_id": world.file_id, "install": True})
    order_id = str(rows[1][0])
    row = {"row": 2, "key": order_id, "cells": {str(at["exception"] + 1): "退货申请"}}
    keys = _column_keys(world, "客服")
    assert [keys[at[key]] for key in COLUMNS] == list(COLUMNS)
    # Columns are found by their key (what Triggers.gs reads from developer metadata), not by header text.
    edit = {"spreadsheet_id": world.file_id, "tab": "客服", "editor": ADMIN, "keys": keys, "rows": [row]}
    moved = {**edit, "keys": [("buyer_message" if k == "exception" else k) for k in keys]}
    [refused] = world.api("post", "/addon/edits", ADMIN, moved)["cells"]
    assert (refused["status"], refused["note"]) == ("rejected", "此列现在是 '异常'（列被移动过）：请等待下次更新")
    unknown = {**edit, "rows": [{**row, "cells": {str(at["exception"] + 1): "不存在"}}]}
    [refused] = world.api("post", "/addon/edits", ADMIN, unknown)["cells"]
    assert (refused["status"], refused["note"]) == ("rejected", "没有名为 '不存在' 的异常模板")
    [cell] = world.api("post", "/addon/edits", ADMIN, edit)["cells"]
    assert (cell["status"], cell["value"]) == ("accepted", "退货申请"), cell
    with world.live.db.session() as session:
        order = session.scalars(select(Order).where(Order.external_id == order_id)).one()
        case = session.scalars(select(ExceptionCase).where(ExceptionCase.order_id == order.id)).one()
    assert case.template_key == "return_request"
    world.live.drain()
    assert world.tab("客服")[1][at["exception"]] == "退货申请"

    strings = world.api("get", "/addon/strings", ADMIN, {"spreadsheet_id": world.file_id})
    assert strings["language"] == "zh-Hans" and strings["messages"]["Sync now"] == "立即同步"

    fake, server = discord
    hook = fake.create_webhook()
    channel = world.api("post", "/addon/channels", ADMIN, {"url": webhook_url(server, hook), "name": "运营"})
    assert world.api("post", "/addon/channels/test", ADMIN, {"id": channel["id"]})["sent"]
    [message] = fake.messages(hook.id)
    assert message["embeds"][0]["title"] == "OrderDeck 已连接到 运营"
    assert message["embeds"][0]["description"] == "此频道将接收 Acme Trading 的通知：全部类型。"

    # This file stays English (its own language), while the team speaks Chinese.
    english = world.api(
        "post", "/addon/spreadsheet/language", ADMIN, {"spreadsheet_id": world.file_id, "language": "en"}
    )
    assert english["language"] == "en" and english["team_language"] == "zh-Hans"
    world.live.drain()
    world.live.app.extensions["orderdeck.tasks"].enqueue("/tasks/push-due")  # the minute's sweep, should a push
    world.live.drain()  # for the shop's live orders have held the file's lease when the language changed
    rows = world.tab("客服")
    assert [rows[0][at[key]] for key in COLUMNS[:4]] == ["Order ID", "Shop", "Ordered (shop time)", "Status"]
    assert "AWAITING_SHIPMENT" in {row[at["status"]] for row in rows[1:]}
    assert rows[1][at["exception"]] == "Return request"


def test_a_chinese_purchase_tab_takes_its_status_dropdown_in_chinese_and_answers_in_it(world: World) -> None:
    _bought(world)
    world.bind_tab("采购", "purchase_orders", new_tab=True)
    world.live.drain()
    profile = bindings.builtin_profiles()["purchase_orders"]
    status = profile.index_of("po_status") + 1
    assert "供应商已发货" in _validation(world, "采购", status)
    installed = world.api("post", "/addon/trigger", ADMIN, {"spreadsheet_id": world.file_id, "install": True})
    assert installed["refused_note"] == "OrderDeck 未保存此项：{error}"  # the trigger's note on a refused cell
    row = {"row": 2, "key": "other:P1/1", "cells": {str(status): "供应商已发货"}}
    edit = {"spreadsheet_id": world.file_id, "tab": "采购", "editor": ADMIN, "keys": _column_keys(world, "采购"),
            "rows": [row]}  # fmt: skip
    [cell] = world.api("post", "/addon/edits", ADMIN, edit)["cells"]
    assert (cell["status"], cell["value"]) == ("accepted", "供应商已发货"), cell
    with world.live.db.session() as session:
        assert session.scalars(select(PurchaseLine)).one().status == LineStatus.SHIPPED


def test_a_chinese_teams_warehouse_finance_and_admin_tabs_read_in_chinese(world: World) -> None:
    files = {"仓库": world.file_id, "财务": world.new_file("财务"), "月度利润": "", "待办": world.new_file("管理")}
    files["月度利润"] = files["财务"]  # one file per audience: warehouse, finance, admin
    for tab, profile in (("仓库", "sla_watch"), ("财务", "profit_ledger"), ("月度利润", "profit_by_month"),
                         ("待办", "pending_actions")):  # fmt: skip
        world.bind_tab(tab, profile, new_tab=True, file_id=files[tab])
    world.live.drain()

    def column(tab: str, profile: str, key: str) -> list[Any]:
        at = bindings.builtin_profiles()[profile].index_of(key)
        return [row[at] if at < len(row) else "" for row in world.tab(tab, files[tab])]

    status = column("仓库", "sla_watch", "pick_status")
    assert status[0] == "状态" and "待发货" in status[1:] and not any(s.isascii() for s in status), status
    assert column("仓库", "sla_watch", "order")[0] == "订单"

    assert column("财务", "profit_ledger", "net_profit")[0] == "净利润"
    assert "待发货" in column("财务", "profit_ledger", "status")[1:]
    basis = set(column("财务", "profit_ledger", "profit_basis")[1:])
    assert basis and basis <= {"预估", "已结算", "未付款", "已取消"}, basis

    months = column("月度利润", "profit_by_month", "profit_month")
    assert months[0] == "月份" and "合计" in months and "TOTAL" not in months

    actions = column("待办", "pending_actions", "action")
    assert actions[0] == "操作"
    assert {"24 小时内发货", "24 小时内自动取消", "发货逾期", "异常包裹"} <= set(actions[1:])
    board = world.api("get", "/addon/pending-actions", ADMIN)
    assert [a["label"] for a in board["shops"][0]["actions"]][:3] == ["24 小时内发货", "24 小时内自动取消", "发货逾期"]


def test_a_chinese_pack_list_offers_its_handovers_in_chinese_ships_the_slot_picked_and_says_its_wave(
    world: World,
) -> None:
    [order] = world.live.sandbox.add_ready_orders(sandbox_shop(world), 1)
    package = order.package_ids()[0]
    open_pack_list(world)
    col = columns(world)
    row_number = 2 + [str(r[0]) for r in world.tab(PACK)[1:]].index(package)
    choices = world.google.sheets.dropdown(world.file_id, PACK, row_number, col["pack_handover"])
    assert choices is not None and choices[0] == "自送网点", choices
    lists = world.google.sheets.spreadsheets[world.file_id].sheet_by_title("OrderDeck 下拉列表")  # its choices' tab
    assert lists is not None and lists.properties.get("hidden")
    titles = [str(v) for v in world.tab("OrderDeck 下拉列表")[0]]
    assert titles and all(t.startswith(("承运商：", "交接方式：")) for t in titles), titles
    slots = [c for c in choices if c.startswith("上门揽收 ")]
    assert slots and len(slots) == len(choices) - 1  # nothing left in English
    assert re.fullmatch(r"上门揽收 \d{1,2}月\d{1,2}日周[一二三四五六日] \d\d:\d\d–\d\d:\d\d", slots[0]), slots[0]

    # The Chinese slot typed back (as the dropdown writes it) is understood: the package ships with that slot.
    answer = pass_of(world, {package: {"pack_handover": slots[0]}})[row_number]
    assert [(c["status"], c["value"], c["note"]) for c in answer] == [("accepted", slots[0], None)]
    world.live.drain()
    _header, rows = rows_by_key(world)
    assert rows[package][col["pack_state"] - 1] == "已发货：待揽收"
    assert re.fullmatch(r"波次 \d+：第 1 件，共 1 件", rows[package][col["pack_wave"] - 1])
    assert rows[package][col["pack_handover"] - 1] == slots[0]
    pickup = world.live.sandbox.shops[sandbox_shop(world)].packages[package]
    assert pickup.handover_method == "PICKUP"


def test_a_chinese_pack_list_combines_and_splits_with_its_chinese_action_words_and_answers_in_chinese(
    world: World,
) -> None:
    sandbox = world.live.sandbox
    [my_id] = world.live.connect_shop("Acme MY", "MY", orders=0)
    my = next(s for s, shop in sandbox.shops.items() if shop.name == "Acme MY")
    first, second = sandbox.add_ready_orders(my, 2)
    sandbox.same_buyer(my, [first.order_id, second.order_id])
    open_pack_list(world, my_id)
    col = columns(world)
    _header, rows = rows_by_key(world)
    package = first.package_ids()[0]
    assert rows[package][col["pack_together"] - 1] == f"同一买家：可与 {second.order_id} 合并（选“合并”）"

    [answer] = next(iter(pass_of(world, {package: {"pack_action": "合并"}}).values()))
    assert answer["status"] == "accepted" and answer["note"].startswith("已合并为包裹 "), answer
    combined = answer["note"].removeprefix("已合并为包裹 ")
    world.live.drain()
    _header, rows = rows_by_key(world)
    together = re.fullmatch(r"已合并：(.+)（选“拆分”可分开发货）", rows[combined][col["pack_together"] - 1])
    assert together is not None and set(together[1].split(", ")) == {first.order_id, second.order_id}
    [answer] = next(iter(pass_of(world, {combined: {"pack_action": "拆分"}}).values()))
    assert answer["status"] == "accepted" and answer["note"].startswith("已拆分为包裹 "), answer


def test_a_chinese_sidebar_names_profiles_audiences_and_roles_in_chinese_and_an_english_file_in_english(
    world: World,
) -> None:
    world.bind_tab("客服", "customer_service", new_tab=True)
    at_file = {"spreadsheet_id": world.file_id}
    titles = {p["key"]: p["title"] for p in world.api("get", "/addon/profiles", ADMIN, at_file)}
    assert (titles["sla_watch"], titles["pack_list"], titles["profit_by_month"]) == (
        "SLA 监控", "打包清单", "月度利润（报表）"
    )  # fmt: skip
    status = world.api("get", "/addon/status", ADMIN, at_file)
    assert [b["profile_title"] for b in status["spreadsheet"]["bindings"]] == ["客服"]
    roles = {r["key"]: r["label"] for r in status["choices"]["roles"]}  # the member, audience and profile pickers
    assert roles == status["role_labels"]
    assert roles == {"admin": "管理员", "finance": "财务", "procurement": "采购", "warehouse": "仓库 / 第三方物流",
                     "support": "客服", "viewer": "代运营客户"}  # fmt: skip
    [spreadsheets] = [s for s in status["setup"] if s["key"] == "spreadsheets"]
    [members] = [s for s in status["setup"] if s["key"] == "members"]
    assert re.fullmatch(r"\d+ 名成员(，已邀请 \d+ 人)?", members["detail"]), members
    audiences = [a["label"] for a in spreadsheets["audiences"]]
    assert audiences == ["仓库 / 第三方物流", "财务", "客服", "采购", "代运营客户"]

    # The same team's file kept in English names them in English; without a file, the team's Chinese.
    world.api("post", "/addon/spreadsheet/language", ADMIN, {**at_file, "language": "en"})
    titles = {p["key"]: p["title"] for p in world.api("get", "/addon/profiles", ADMIN, at_file)}
    assert titles["pack_list"] == "Pack list"
    status = world.api("get", "/addon/status", ADMIN, at_file)
    assert status["role_labels"]["warehouse"] == "Warehouse / 3PL"
    assert status["spreadsheet"]["bindings"][0]["profile_title"] == "Customer service"
    assert {p["key"]: p["title"] for p in world.api("get", "/addon/profiles", ADMIN)}["pack_list"] == "打包清单"


def test_a_chinese_admins_new_spreadsheet_and_its_first_tab_are_named_in_chinese(world: World) -> None:
    status = world.api("get", "/addon/status", ADMIN)
    [warehouse] = [
        a for s in status["setup"] if s["key"] == "spreadsheets" for a in s["audiences"] if a["role"] == "warehouse"
    ]
    title = f"{status['team']['name']} · {warehouse['label']}"  # what the sidebar's form fills in
    form = {"title": title, "audience": "warehouse", "profile": "pack_list"}  # the sidebar names no tab
    created = world.api("post", "/addon/spreadsheets", ADMIN, form)
    assert (created["binding"]["tab"], created["binding"]["profile_title"]) == ("订单", "打包清单")
    book = world.google.sheets.spreadsheets[created["spreadsheet_id"]]
    assert world.google.sheets.file(created["spreadsheet_id"]).name == "Acme Trading · 仓库 / 第三方物流"
    assert [s.title for s in book.sheets][:1] == ["订单"]


def test_a_chinese_teams_refusals_from_costs_rates_purchases_and_stock_are_said_in_chinese(world: World) -> None:
    sku = _bought(world)
    finance = world.new_file("财务")
    tabs = (("成本", "sku_costs", finance), ("汇率", "fx_rates", finance), ("采购", "purchase_orders", world.file_id),
            ("库存", "stock", world.file_id))  # fmt: skip
    for tab, profile, file_id in tabs:
        world.bind_tab(tab, profile, new_tab=True, file_id=file_id)
    world.live.drain()
    for file_id in (finance, world.file_id):
        world.api("post", "/addon/trigger", ADMIN, {"spreadsheet_id": file_id, "install": True})

    def notes(file_id: str, tab: str, profile: str, key: str, **typed: Any) -> list[str]:
        at = bindings.builtin_profiles()[profile]
        row = {"row": 2, "key": key, "cells": {str(at.index_of(k) + 1): v for k, v in typed.items()}}
        edit = {"spreadsheet_id": file_id, "tab": tab, "editor": ADMIN, "keys": _column_keys(world, tab, file_id),
                "rows": [row]}  # fmt: skip
        return [c["note"] for c in world.api("post", "/addon/edits", ADMIN, edit)["cells"] if c["status"] == "rejected"]

    cost = "单位成本 '12.5O' 必须是不小于 0 的数字，最多 4 位小数"
    currency = "币种 'XX' 不是 ISO 4217 货币代码：请使用 USD、GBP 或 CNY 等"
    assert (
        notes(finance, "成本", "sku_costs", sku, unit_cost="12.5O", cost_currency="XX") == [f"{cost}；{currency}"] * 2
    )
    assert notes(finance, "汇率", "fx_rates", "CNY→USD", fx_rate="-1") == [
        "汇率 '-1' 必须是大于 0 的数字，最多 12 位小数"
    ]
    refused = notes(world.file_id, "采购", "purchase_orders", "other:P1/1", po_qty_received=20)
    assert refused == ["收货数量（20）多于订购数量（10）"]
    typo = notes(world.file_id, "库存", "stock", str(world.tab("库存")[1][0]), stock_on_hand="1O")  # its key column
    assert typo == ["现有库存必须是不小于 0 的整数件数（收到 '1O'）"]


def test_a_handover_picked_in_chinese_is_rewritten_in_english_when_the_file_turns_english_and_both_are_read(
    world: World,
) -> None:
    first, second = world.live.sandbox.add_ready_orders(sandbox_shop(world), 2)
    open_pack_list(world)
    col = columns(world)
    picked, later = first.package_ids()[0], second.package_ids()[0]
    row_of = {str(r[0]): 2 + i for i, r in enumerate(world.tab(PACK)[1:])}
    choices = world.google.sheets.dropdown(world.file_id, PACK, row_of[picked], col["pack_handover"]) or []
    slot = next(c for c in choices if c.startswith("上门揽收 "))
    assert pass_of(world, {picked: {"pack_handover": slot}})[row_of[picked]][0]["status"] == "accepted"
    world.live.drain()

    # The file turns English: the slot picked in Chinese is said in English at the next push.
    world.api("post", "/addon/spreadsheet/language", ADMIN, {"spreadsheet_id": world.file_id, "language": "en"})
    world.live.drain()
    world.live.app.extensions["orderdeck.tasks"].enqueue("/tasks/push-due")
    world.live.drain()
    _header, rows = rows_by_key(world)
    english = rows[picked][col["pack_handover"] - 1]
    assert re.fullmatch(r"Pickup \w{3} \d\d \w{3} \d\d:\d\d–\d\d:\d\d", english), english
    assert english.endswith(slot.rsplit(" ", 1)[1])  # the same hours, now in English

    # Chinese typed into the now English file (a value copied from before) is still understood.
    [answer] = pass_of(world, {later: {"pack_handover": "自送网点"}}).values()
    assert [(c["status"], c["note"]) for c in answer] == [("accepted", None)], answer
    world.live.drain()
    _header, rows = rows_by_key(world)
    assert rows[later][col["pack_handover"] - 1] == "Drop-off"
    assert world.live.sandbox.shops[sandbox_shop(world)].packages[later].handover_method == "DROP_OFF"


def _refused(world: World, method: str, path: str, email: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """What Api.gs receives when the backend refuses: the status and the error envelope the sidebar shows."""
    headers = {"Authorization": f"Bearer {world.google.identity.mint_id_token(AUDIENCE, email)}"}
    if method == "get":
        reply = httpx.get(world.live.url + path, params=payload, headers=headers, timeout=30)
    else:
        reply = httpx.post(world.live.url + path, json=payload, headers=headers, timeout=60)
    assert reply.status_code >= 400, reply.text
    error: dict[str, Any] = reply.json()["error"]
    return reply.status_code, error


def test_a_chinese_admins_refusals_read_in_chinese_with_the_same_codes_and_an_english_files_in_english(
    world: World,
) -> None:
    world.bind_tab("客服", "customer_service", new_tab=True)
    at_file = {"spreadsheet_id": world.file_id}
    bind = {**at_file, "challenge": "x" * 32, "tab": "订单", "profile": "customer_service"}
    assert _refused(world, "post", "/addon/bindings", ADMIN, bind) == (403, {
        "code": "forbidden", "action": "fail",
        "message": "此表格未能证明你可以编辑它（绑定校验码缺失、已使用或已过期）：请在此表格的侧边栏重新绑定",
    })  # fmt: skip
    status, error = _refused(world, "post", "/addon/bind/challenge", PACKER, at_file)
    assert (status, error["code"], error["message"]) == (
        403, "forbidden", "仓库角色不能绑定工作表：只有管理员可以，请联系团队管理员"
    )  # fmt: skip

    # An invalid profile: a form field left empty, and a profile that does not exist.
    profile = {"key": "mine", "audience_role": "warehouse", "grain": "order"}
    status, error = _refused(world, "post", "/addon/profiles", ADMIN, profile)
    assert (status, error["code"], error["message"]) == (400, "invalid_input", "列：请填写")
    assert error["detail"] == {"fields": {"columns": ["Missing data for required field."]}}  # kept for API clients
    with pytest.raises(AddonFailure, match=r"^没有列配置 'no_such'；现有列配置：\S+, "):
        world.bind_tab("新", "no_such", new_tab=True)  # as Bind.gs does it: the challenge passes, the profile not

    # Sync now twice: the second start is refused for a while, in Chinese, with its Retry-After.
    world.api("post", "/addon/sync", ADMIN, {"shop_id": world.shop_id})
    status, error = _refused(world, "post", "/addon/sync", ADMIN, {"shop_id": world.shop_id})
    assert (status, error["code"], error["action"]) == (429, "rate_limited", "retry")
    assert re.fullmatch(r"你的团队每 60 秒最多可发起 1 次“立即同步”；请 \d+ 秒后再试", error["message"]), error

    # The same team's file kept in English is refused in English, word for word as before.
    world.api("post", "/addon/spreadsheet/language", ADMIN, {**at_file, "language": "en"})
    status, error = _refused(world, "post", "/addon/bindings", ADMIN, bind)
    assert error["message"] == (
        "this spreadsheet did not prove you can edit it (the bind challenge is missing, used or expired): "
        "bind again from the sidebar of this spreadsheet"
    )
    status, error = _refused(world, "get", "/addon/status", ADMIN, {"spreadsheet_id": "short"})
    assert (status, error["message"]) == (400, "表格：请使用表格地址中的 ID（docs.google.com/spreadsheets/d/ID）")
