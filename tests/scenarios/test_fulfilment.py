"""Done when (issue 18): a TikTok-shipped order goes from the pack list to AWAITING_COLLECTION with a label link
that opens a PDF; a wave of 50 gives one PDF of all its labels in wave order; the carrier dropdown offers
exactly what TikTok accepts; bad input says what happened and what to do, and nothing ships twice.

Everything runs over HTTP: the backend, the TikTok and Google sandboxes; edits arrive as the add-on's edit
trigger sends them (one pass of the sheet, one call)."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pypdf import PdfReader
from sqlalchemy import select

from backend import runtime, tasks
from backend.domain.lists import TITLE as LISTS_TAB
from backend.models import Order, Package, Team, utcnow
from backend.sandbox.sheets import GoogleSandboxes
from backend.sandbox.tiktok.world import Order as SandboxOrder
from backend.services import bindings, fulfilment, labels, logistics, push_schedule, retention, sync
from backend.services.shops import Platform
from tests.conftest import Live
from tests.scenarios.addon_world import ADMIN, PACKER, World, build_world

PACK = "Pack"


@pytest.fixture
def world(live: Live, google: GoogleSandboxes, tmp_path: Path) -> World:
    return build_world(live, google, tmp_path)


def platform_of(world: World) -> Platform:
    return Platform(runtime.config(), runtime.secret_box())


def sandbox_shop(world: World) -> str:
    return next(iter(world.live.sandbox.shops))


def refresh(world: World, shop_id: int | None = None) -> None:
    """What the scheduled shop round does: sync the orders, ask what the shop's logistics offer now, then
    push the spreadsheets showing the shop."""
    with world.live.app.app_context():
        sync.sync_shop(world.live.db, platform_of(world), shop_id or world.shop_id)
        logistics.refresh(world.live.db, platform_of(world), shop_id or world.shop_id)
        for binding_id in push_schedule.showing_shop(world.live.db, shop_id or world.shop_id):
            tasks.enqueue(f"/tasks/push-binding/{binding_id}")


def open_pack_list(world: World, *shop_ids: int) -> None:
    """The shops' rounds have run, then the warehouse binds its pack list and it is pushed."""
    for shop_id in (world.shop_id, *shop_ids):
        refresh(world, shop_id)
    world.bind_tab(PACK, "pack_list", new_tab=True)
    world.live.drain()


def columns(world: World) -> dict[str, int]:
    with world.live.app.app_context(), world.live.db.session() as session:
        profile = bindings.profile_for(session, world.live.team_id, "pack_list")
        return {c.key: i + 1 for i, c in enumerate(profile.columns)}


def rows_by_key(world: World) -> tuple[list[Any], dict[str, list[Any]]]:
    table = world.tab(PACK)
    return table[0], {str(r[0]): r for r in table[1:] if r}


def pass_of(world: World, cells: dict[str, dict[str, str]]) -> dict[int, list[dict[str, Any]]]:
    """One pass of the pack list (a paste over several rows): package key → its column key → value."""
    header, _rows = rows_by_key(world)
    col = columns(world)
    positions = {str(r[0]): i + 2 for i, r in enumerate(world.tab(PACK)[1:]) if r}
    body = {
        "spreadsheet_id": world.file_id,
        "tab": PACK,
        "editor": PACKER,
        "headers": header,
        "rows": [
            {"row": positions[key], "key": key, "cells": {str(col[k]): v for k, v in typed.items()}}
            for key, typed in cells.items()
        ],
    }
    answers: dict[int, list[dict[str, Any]]] = {}
    for cell in world.api("post", "/addon/edits", ADMIN, body)["cells"]:
        answers.setdefault(cell["row"], []).append(cell)
    return answers


def abnormal_on_the_board(world: World) -> int:
    """The "Abnormal packages" count the admin's sidebar shows on the Pending-Action board."""
    board = world.api("get", "/addon/pending-actions", ADMIN)
    return sum(a["count"] for shop in board["shops"] for a in shop["actions"] if a["label"] == "Abnormal packages")


def packages(orders: list[SandboxOrder]) -> list[str]:
    return [o.package_ids()[0] for o in orders]


def test_a_tiktok_shipped_order_ships_from_the_pack_list_and_its_label_opens_as_a_pdf(world: World) -> None:
    [order] = world.live.sandbox.add_ready_orders(sandbox_shop(world), 1)
    package = order.package_ids()[0]
    open_pack_list(world)
    _header, rows = rows_by_key(world)
    col = columns(world)
    assert rows[package][col["pack_option"] - 1] == "Shipped by TikTok"
    row_number = 2 + [str(r[0]) for r in world.tab(PACK)[1:]].index(package)
    choices = world.google.sheets.dropdown(world.file_id, PACK, row_number, col["pack_handover"])
    assert choices is not None and choices[0] == "Drop-off" and any(c.startswith("Pickup ") for c in choices)
    assert world.google.sheets.dropdown(world.file_id, PACK, row_number, col["pack_carrier"]) is None
    with world.live.app.app_context(), world.live.db.session() as session:
        package_row = session.scalars(select(Package).where(Package.external_id == package)).one()
        early = labels.package_link(runtime.secret_box(), world.live.url, package_row.id)
    too_early = httpx.get(early)
    assert too_early.status_code == 409 and "mark it ready in the pack list" in too_early.text

    slot = next(c for c in choices if c.startswith("Pickup "))
    answer = pass_of(world, {package: {"pack_handover": slot}})[row_number]
    assert [(c["status"], c["value"], c["note"]) for c in answer] == [("accepted", slot, None)]
    world.live.drain()

    _header, rows = rows_by_key(world)
    assert rows[package][col["pack_state"] - 1] == "Shipped: awaiting collection"
    with world.live.db.session() as session:
        assert session.scalars(select(Order.status).where(Order.external_id == order.order_id)).one() == (
            "AWAITING_COLLECTION"
        )
    link = rows[package][col["pack_label"] - 1]
    opened = httpx.get(link)
    assert opened.status_code == 200 and opened.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(opened.content)).pages[0].extract_text()
    tracking = world.live.sandbox.shops[sandbox_shop(world)].packages[package].tracking_number
    assert tracking in text and "Ship to:" in text
    assert httpx.get(link, params={"document": "packing_slip", "size": "A5"}).status_code == 200
    wrong = httpx.get(link, params={"size": "A0"})
    assert wrong.status_code == 400 and "A6, A5" in wrong.text

    again = pass_of(world, {package: {"pack_handover": "Drop-off"}})[row_number]
    assert again[0]["status"] == "rejected" and "Already shipped" in again[0]["note"]


def test_a_wave_of_50_gives_one_pdf_in_wave_order_and_one_failure_does_not_stop_it(world: World) -> None:
    sandbox, shop = world.live.sandbox, sandbox_shop(world)
    orders = sandbox.add_ready_orders(shop, 50)
    wave = packages(orders)
    sandbox.break_address(shop, orders[6].order_id)
    open_pack_list(world)
    calls = sandbox.counters.by_path["/fulfillment/202309/packages/ship"]

    answers = pass_of(world, {key: {"pack_handover": "Drop-off"} for key in wave})
    world.live.drain()

    assert sandbox.counters.by_path["/fulfillment/202309/packages/ship"] == calls + 1  # one batch call
    refused = [cells[0] for cells in answers.values() if cells[0]["note"]]
    assert len(refused) == 1 and "buyer's address" in refused[0]["note"] and "then mark it again" in refused[0]["note"]
    _header, rows = rows_by_key(world)
    col = columns(world)
    assert rows[wave[6]][col["pack_state"] - 1].startswith("The carrier cannot use the buyer's address")
    assert rows[wave[0]][col["pack_wave"] - 1].endswith(": 1 of 50")
    link = rows[wave[0]][col["pack_wave_label"] - 1]
    assert {rows[key][col["pack_wave_label"] - 1] for key in wave} == {link}

    with world.live.db.session() as session:  # what the pending-actions board counts
        assert fulfilment.abnormal_packages(session, [world.shop_id]) == {world.shop_id: [wave[6]]}
    assert abnormal_on_the_board(world) == 1
    merged = PdfReader(io.BytesIO(httpx.get(link, timeout=60).content))
    shipped = [key for i, key in enumerate(wave) if i != 6]
    assert len(merged.pages) == 49
    assert all(key in page.extract_text() for key, page in zip(shipped, merged.pages, strict=True))

    sandbox.break_address(shop, orders[6].order_id, broken=False)
    retry = pass_of(world, {wave[6]: {"pack_handover": "Drop-off"}, wave[0]: {"pack_handover": "Drop-off"}})
    world.live.drain()
    notes = {cells[0]["row"]: cells[0]["note"] for cells in retry.values()}
    assert set(notes.values()) == {None, "Already shipped: nothing was sent again."}
    assert sandbox.shops[shop].packages[wave[6]].tracking_number  # shipped on the second pass
    with world.live.db.session() as session:
        assert fulfilment.abnormal_packages(session, [world.shop_id]) == {}
    assert abnormal_on_the_board(world) == 0


def test_the_carrier_dropdown_offers_exactly_what_tiktok_accepts_for_the_packages_option(world: World) -> None:
    sandbox, shop = world.live.sandbox, sandbox_shop(world)
    standard, express = sandbox.add_ready_orders(shop, 2, tiktok_shipped=False)
    world_shop = sandbox.shops[shop]
    for package_id in express.package_ids():
        world_shop.packages[package_id].delivery_option_id = world_shop.express_option_id
    open_pack_list(world)
    col = columns(world)
    keys = [str(r[0]) for r in world.tab(PACK)[1:]]

    def offered(order: SandboxOrder) -> list[str] | None:
        row = 2 + keys.index(order.package_ids()[0])
        return world.google.sheets.dropdown(world.file_id, PACK, row, col["pack_carrier"])

    for order in (standard, express):
        accepted = world_shop.option_carriers(world_shop.packages[order.package_ids()[0]].delivery_option_id) or {}
        assert sorted(offered(order) or []) == sorted(accepted.values())
    assert "DHL Express" in (offered(express) or []) and "DHL Express" not in (offered(standard) or [])
    lists_tab = world.google.sheets.spreadsheets[world.file_id].sheet_by_title(LISTS_TAB)
    assert lists_tab is not None and lists_tab.properties.get("hidden") is True
    rules = [r for r in world.google.sheets.requests_for("sheets.spreadsheets.batchUpdate")]
    assert rules  # the dropdowns were written in the pushes' batchUpdates, one rule per run of rows

    sandbox.retire_carrier(shop, "UPS")
    answer = pass_of(world, {standard.package_ids()[0]: {"pack_carrier": "UPS", "pack_tracking": "1Z999AA10123456784"}})
    [carrier_cell, _tracking_cell] = next(iter(answer.values()))
    assert carrier_cell["status"] == "rejected" and "pick one from the list" in carrier_cell["note"]
    refresh(world)
    world.live.drain()
    assert "UPS" not in (offered(express) or []) and "FedEx" in (offered(express) or [])

    shipped = pass_of(world, {standard.package_ids()[0]: {"pack_carrier": "FedEx", "pack_tracking": "FX1234567"}})
    assert {c["status"] for c in next(iter(shipped.values()))} == {"accepted"}
    assert world_shop.packages[standard.package_ids()[0]].tracking_number == "FX1234567"


def test_a_buyers_packages_combine_and_split_from_the_pack_list_where_tiktok_allows_it(world: World) -> None:
    sandbox = world.live.sandbox
    [my_id] = world.live.connect_shop("Acme MY", "MY", orders=0)
    my = next(s for s, shop in sandbox.shops.items() if shop.name == "Acme MY")
    first, second = sandbox.add_ready_orders(my, 2)
    [us_order] = sandbox.add_ready_orders(sandbox_shop(world), 1)
    sandbox.same_buyer(my, [first.order_id, second.order_id])
    open_pack_list(world, my_id)
    col = columns(world)
    _header, rows = rows_by_key(world)
    assert rows[packages([first])[0]][col["pack_together"] - 1] == f"same buyer: Combine with {second.order_id}"

    combined = pass_of(world, {packages([first])[0]: {"pack_action": "Combine"}})
    [answer] = next(iter(combined.values()))
    assert answer["status"] == "accepted" and answer["note"].startswith("Combined into package ")
    new_package = answer["note"].removeprefix("Combined into package ")
    world.live.drain()
    _header, rows = rows_by_key(world)
    mine = {k: set(str(r[col["pack_orders"] - 1]).split(", ")) for k, r in rows.items()}
    mine = {k: orders for k, orders in mine.items() if orders & {first.order_id, second.order_id}}
    assert mine == {new_package: {first.order_id, second.order_id}}  # one parcel now
    assert rows[new_package][col["pack_together"] - 1].startswith("combined: ")

    split = pass_of(world, {new_package: {"pack_action": "Split"}})
    [answer] = next(iter(split.values()))
    assert answer["status"] == "accepted" and answer["note"].startswith("Split into packages ")
    world.live.drain()
    _header, rows = rows_by_key(world)
    assert new_package not in rows
    assert sum(1 for r in rows.values() if str(r[col["pack_orders"] - 1]) in (first.order_id, second.order_id)) == 2

    refused = pass_of(world, {packages([us_order])[0]: {"pack_action": "Combine"}})
    [answer] = next(iter(refused.values()))
    assert answer["status"] == "rejected" and "combine" in answer["note"]


def test_a_label_link_stops_30_days_after_delivery_and_once_retention_masked_its_order(world: World) -> None:
    [order] = world.live.sandbox.add_ready_orders(sandbox_shop(world), 1)
    package = order.package_ids()[0]
    open_pack_list(world)
    pass_of(world, {package: {"pack_handover": "Drop-off"}})
    world.live.drain()
    _header, rows = rows_by_key(world)
    link = rows[package][columns(world)["pack_label"] - 1]
    assert httpx.get(link).status_code == 200

    def delivered(days_ago: int) -> None:
        """What a sync brings once the carrier delivered it, `days_ago` days before now."""
        with world.live.db.session() as session:
            row = session.scalars(select(Order).where(Order.external_id == order.order_id)).one()
            row.status, row.delivery_at = "DELIVERED", utcnow() - timedelta(days=days_ago)

    delivered(29)
    assert httpx.get(link).status_code == 200
    delivered(31)
    late = httpx.get(link)
    assert late.status_code == 410 and "30 days after delivery" in late.text

    delivered(2)
    with world.live.app.app_context(), world.live.db.session() as session:
        retention.set_retention(session, session.get_one(Team, world.live.team_id), 1, ADMIN)
        assert retention.mask_expired(session).orders  # this order among the ended ones
    masked = httpx.get(link)
    assert masked.status_code == 410 and "personal data removed" in masked.text
