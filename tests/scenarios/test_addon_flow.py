"""Done when: an admin binds a new tab to sla_watch from the sidebar and sees orders appear; a warehouse member
types a tracking number and the order's status changes in every bound sheet within one push."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from backend.domain.a1 import column_letters
from backend.models import Order, OrderEvent
from backend.sandbox.sheets import GoogleSandboxes
from backend.services import bindings
from tests.conftest import Live
from tests.scenarios.addon_world import ADMIN, PACKER, AddonFailure, World, build_world
from tests.sheets.test_push import sheets_as


@pytest.fixture
def world(live: Live, google: GoogleSandboxes, tmp_path: Path) -> World:
    return build_world(live, google, tmp_path)


def row_of(rows: list[list[Any]], order_id: str) -> list[Any]:
    return next(r for r in rows if str(r[0]).startswith(order_id))


def test_an_admin_binds_a_new_tab_and_a_packer_ships_from_the_sheet(world: World) -> None:
    binding = world.bind_tab("SLA", "sla_watch", new_tab=True)
    world.live.drain()  # the push the bind queued
    sla = world.tab("SLA")
    assert sla[0][:3] == ["Order / SKU", "Order", "Time left"]
    with world.live.db.session() as session:
        waiting = session.scalars(
            select(Order).where(Order.status == "AWAITING_SHIPMENT", Order.shipping_type == "SELLER")
        ).all()
        order = next(o for o in waiting if len(o.packages) == 1)
        line_key = order.lines[0].seller_sku or order.lines[0].sku_id
    assert len(sla) - 1 >= len(waiting)  # every order to ship is listed
    status_column = sla[0].index("Status")
    assert row_of(sla, order.external_id)[status_column] == "AWAITING_SHIPMENT"

    agency_file = world.new_file("Agency view")
    world.bind_tab("Orders", "agency_view", new_tab=True, file_id=agency_file)
    world.live.drain()
    agency = world.tab("Orders", agency_file)
    assert row_of(agency, order.external_id)[agency[0].index("Status")] == "AWAITING_SHIPMENT"

    # The admin turns on edits (their trigger passes Google's e.user); the packer types the carrier and the
    # tracking number: the trigger sends one call as the admin, naming the packer.
    world.api("post", "/addon/trigger", ADMIN, {"spreadsheet_id": world.file_id, "install": True})
    with world.live.app.app_context(), world.live.db.session() as session:
        profile = bindings.profile_for(session, world.live.team_id, binding["profile"])
    carrier = sorted(world.live.sandbox.shops[next(iter(world.live.sandbox.shops))].providers.values())[0]
    row = {
        "row": 2,
        "key": f"{order.external_id}/{line_key}",
        "cells": {
            str(profile.index_of("carrier") + 1): carrier,
            str(profile.index_of("tracking_number") + 1): "1Z999AA10123456784",
        },
    }
    edits = {"spreadsheet_id": world.file_id, "tab": "SLA", "editor": PACKER, "headers": sla[0], "rows": [row]}
    before = len(world.google.sheets.requests_for("sheets.spreadsheets.batchUpdate"))  # the edit's pushes may
    answer = world.api("post", "/addon/edits", ADMIN, edits)  # start before it answers
    assert {c["status"] for c in answer["cells"]} == {"accepted"}
    with world.live.db.session() as session:
        shipped_by = session.scalars(select(OrderEvent.actor).where(OrderEvent.kind == "shipped")).one()
    assert shipped_by == PACKER
    world.live.drain()  # one push per spreadsheet

    assert len(world.google.sheets.requests_for("sheets.spreadsheets.batchUpdate")) - before == 2
    assert row_of(world.tab("SLA"), order.external_id)[status_column] == "AWAITING_COLLECTION"
    shipped = row_of(world.tab("SLA"), order.external_id)
    assert shipped[sla[0].index("Tracking number")] == "1Z999AA10123456784"
    agency = world.tab("Orders", agency_file)
    assert row_of(agency, order.external_id)[agency[0].index("Status")] == "AWAITING_COLLECTION"


def test_an_admin_typing_over_a_synced_cell_sees_it_put_back_at_the_next_push(world: World) -> None:
    world.bind_tab("SLA", "sla_watch", new_tab=True)
    world.live.drain()
    sla = world.tab("SLA")
    status = sla[0].index("Status") + 1
    key, right = sla[1][0], sla[1][status - 1]
    # The admin (whom the protections let through) pastes over a status; the edit trigger sends the row
    # it touched, as it does for any column OrderDeck writes.
    sheets_as(world.google, ADMIN).spreadsheets().values().update(
        spreadsheetId=world.file_id,
        range=f"'SLA'!{column_letters(status - 1)}2",
        valueInputOption="RAW",
        body={"values": [["DELIVERED"]]},
    ).execute()
    row = {"row": 2, "key": key, "cells": {str(status): "DELIVERED"}}
    edits = {"spreadsheet_id": world.file_id, "tab": "SLA", "editor": ADMIN, "headers": sla[0], "rows": [row]}
    answer = {c["column"]: c for c in world.api("post", "/addon/edits", ADMIN, edits)["cells"]}
    assert answer[status]["status"] == "rejected"
    assert answer[status]["note"] == "'Status' is written by OrderDeck: it is put back at the next update"
    assert world.tab("SLA")[1][status - 1] == "DELIVERED"  # a paste: the trigger has no old value to restore

    world.live.drain()  # the push the edit queued
    assert row_of(world.tab("SLA"), key)[status - 1] == right


def test_a_packer_cannot_bind_or_read_money_and_a_stranger_gets_nothing(world: World) -> None:
    world.google.sheets.share(world.file_id, "writer", email=PACKER)
    with pytest.raises(AddonFailure, match="warehouse role may not bind"):
        world.bind_tab("Mine", "sla_watch", new_tab=True, email=PACKER)
    profiles = {p["key"] for p in world.api("get", "/addon/profiles", PACKER)}
    assert "profit_ledger" not in profiles and "sla_watch" in profiles
    with pytest.raises(AddonFailure, match="not a member of any OrderDeck team"):
        world.api("get", "/addon/status", "stranger@example.test")
