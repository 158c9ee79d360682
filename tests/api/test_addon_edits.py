"""Edits typed into input columns flow back: TikTok ships, costs land in the ledger, refusals become notes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from backend import runtime
from backend.models import (
    AuditEntry,
    FxRate,
    Order,
    OrderEvent,
    PurchaseLine,
    SheetBinding,
    Shop,
    SkuCost,
    StockLevel,
    Team,
)
from backend.sandbox.sheets import GoogleSandboxes
from backend.services import bindings, purchases, sync, teams
from backend.services.shops import Platform
from tests.api.conftest import Call, caller_for, point_at_google
from tests.conftest import Live

ADMIN = "founder@acme.test"
PACKER = "packer@3pl.example"
FINANCE = "books@acme.test"
BUYER = "sourcing@acme.test"
AGENCY = "client@agency.example"
FILE = "warehouseSheet0000000001"


@dataclass
class Desk:
    live: Live
    call: Call
    shop: Shop
    orders: list[Order]

    def column(self, profile: str, key: str) -> int:
        with self.live.app.app_context(), self.live.db.session() as session:
            return bindings.profile_for(session, self.live.team_id, profile).index_of(key) + 1

    def headers(self, profile: str) -> list[str]:
        with self.live.app.app_context(), self.live.db.session() as session:
            return list(bindings.profile_for(session, self.live.team_id, profile).headers)

    def order(self, status: str, *, seller: bool = True) -> Order:
        return next(
            o
            for o in self.orders
            if o.status == status and (o.shipping_type == "SELLER") == seller and len(o.packages) == 1
        )

    def carriers(self) -> list[str]:
        return sorted(self.live.sandbox.shops[self.shop.external_id].providers.values())

    def edit(self, rows: list[dict[str, Any]], *, email: str = ADMIN, editor: str | None = PACKER,
             tab: str = "Ship next", profile: str = "sla_watch") -> Any:  # fmt: skip
        body = {"spreadsheet_id": FILE, "tab": tab, "editor": editor, "headers": self.headers(profile), "rows": rows}
        return self.call("POST", "/addon/edits", email, json=body)

    def ship_row(self, order: Order, **cells: Any) -> dict[str, Any]:
        line = order.lines[0]
        return {
            "row": 2,
            "key": f"{order.external_id}/{line.seller_sku or line.sku_id}",
            "cells": {str(self.column("sla_watch", k)): v for k, v in cells.items()},
        }

    def reload(self, order: Order) -> Order:
        with self.live.db.session() as session:
            return session.scalars(
                select(Order)
                .where(Order.id == order.id)
                .options(selectinload(Order.packages), selectinload(Order.lines))
            ).one()


@pytest.fixture
def desk(live: Live, google: GoogleSandboxes, tmp_path: Path) -> Desk:
    point_at_google(live.app, google, tmp_path)
    shop_id = live.connect_shop("Acme US", "US", orders=60)[0]
    with live.app.app_context():
        sync.sync_shop(live.db, Platform(runtime.config(), runtime.secret_box()), shop_id)
        with live.db.session() as session:
            team = session.get_one(Team, live.team_id)
            for email, role in (
                (PACKER, "warehouse"),
                (FINANCE, "finance"),
                (AGENCY, "viewer"),
                (BUYER, "procurement"),
            ):
                teams.add_member(session, team, email, role)
            bindings.bind(session, team, FILE, "Ship next", "sla_watch", actor=ADMIN)
            bindings.bind(session, team, "warehouseSheet0000000002", "Also ships", "sla_watch", actor=ADMIN)
            bindings.bind(session, team, "financeSheet000000000001", "Unit costs", "sku_costs", actor=ADMIN)
            bindings.bind(session, team, "financeSheet000000000001", "Rates", "fx_rates", actor=ADMIN)
            bindings.bind(session, team, "stockSheet00000000000001", "Stock", "stock", actor=ADMIN)
            for binding in session.scalars(select(SheetBinding)):
                binding.dirty = False
            shop = session.get_one(Shop, shop_id)
            orders = list(
                session.scalars(
                    select(Order).options(selectinload(Order.packages), selectinload(Order.lines)).order_by(Order.id)
                )
            )
    call = caller_for(live.app.test_client(), google)
    for file in (FILE, "warehouseSheet0000000002", "financeSheet000000000001", "stockSheet00000000000001"):
        installed = call("POST", "/addon/trigger", ADMIN, json={"spreadsheet_id": file, "install": True})
        assert installed.get_json()["installed_by"] == ADMIN  # the admin's trigger passes Google's e.user
        assert installed.get_json()["refused_note"] == "OrderDeck did not save this: {error}"
    return Desk(live, call, shop, orders)


def cells(response: Any) -> dict[int, dict[str, Any]]:
    assert response.status_code == 200, response.get_json()
    return {c["column"]: c for c in response.get_json()["cells"]}


def test_a_tracking_number_and_carrier_ship_the_package_and_the_order_moves_on(desk: Desk) -> None:
    order = desk.order("AWAITING_SHIPMENT")
    carrier = desk.carriers()[0]
    answer = cells(desk.edit([desk.ship_row(order, carrier=carrier.lower(), tracking_number="1Z999AA10123456784")]))

    assert answer[desk.column("sla_watch", "carrier")] | {"note": None} == {
        "row": 2, "column": desk.column("sla_watch", "carrier"), "status": "accepted", "value": carrier, "note": None,
    }  # fmt: skip
    assert answer[desk.column("sla_watch", "tracking_number")]["value"] == "1Z999AA10123456784"
    shipped = desk.reload(order)
    assert shipped.status == "AWAITING_COLLECTION"
    assert shipped.packages[0].tracking_number == "1Z999AA10123456784"
    with desk.live.db.session() as session:
        event = session.scalars(
            select(OrderEvent).where(OrderEvent.order_id == order.id, OrderEvent.kind == "shipped")
        ).one()
        assert (event.actor, event.detail["carrier"]) == (PACKER, carrier)
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "sheet.edit")).one()
        assert (audit.actor, audit.detail["via"], audit.detail["editor"]) == (PACKER, ADMIN, PACKER)
        assert all(b.dirty for b in session.scalars(select(SheetBinding)) if b.tab_title != "Unit costs")


def test_a_tracking_number_alone_waits_for_the_carrier(desk: Desk) -> None:
    order = desk.order("AWAITING_SHIPMENT")
    tracking = desk.column("sla_watch", "tracking_number")
    first = cells(desk.edit([desk.ship_row(order, tracking_number=940011189922)]))
    assert first[tracking]["status"] == "pending"
    assert first[tracking]["value"] == "940011189922"  # a number typed into a text column keeps its digits
    assert "carrier" in first[tracking]["note"]
    assert desk.reload(order).status == "AWAITING_SHIPMENT"

    row = desk.ship_row(order, carrier=desk.carriers()[-1])
    row["inputs"] = {str(tracking): 940011189922}
    second = cells(desk.edit([row]))
    assert second[desk.column("sla_watch", "carrier")]["status"] == "accepted"
    assert desk.reload(order).status == "AWAITING_COLLECTION"


def test_tiktok_refusals_come_back_as_notes_and_the_cells_go_back(desk: Desk) -> None:
    on_hold = desk.order("ON_HOLD")
    carrier, tracking = desk.column("sla_watch", "carrier"), desk.column("sla_watch", "tracking_number")
    held = cells(desk.edit([desk.ship_row(on_hold, carrier=desk.carriers()[0], tracking_number="1Z999AA10123456784")]))
    assert held[tracking]["status"] == "rejected"
    assert held[tracking]["value"] == ""
    assert "ON_HOLD" in held[tracking]["note"]

    ready = desk.order("AWAITING_SHIPMENT")
    unknown = cells(desk.edit([desk.ship_row(ready, carrier="Pigeon Post", tracking_number="1Z999AA10123456784")]))
    assert unknown[carrier]["status"] == "rejected"
    assert "Pigeon Post" in unknown[carrier]["note"] and desk.carriers()[0] in unknown[carrier]["note"]
    typo = cells(desk.edit([desk.ship_row(ready, carrier=desk.carriers()[0], tracking_number="1Z 99!")]))
    assert typo[tracking]["status"] == "rejected"
    assert "not a tracking number" in typo[tracking]["note"]
    assert desk.reload(ready).status == "AWAITING_SHIPMENT"


def cost_row(desk: Desk, **cells_: Any) -> dict[str, Any]:
    sku = desk.orders[0].lines[0].seller_sku
    return {"row": 3, "key": sku, "cells": {str(desk.column("sku_costs", k)): v for k, v in cells_.items()}}


def test_unit_costs_are_stored_with_their_effective_date_and_typos_are_refused(desk: Desk) -> None:
    cost = desk.column("sku_costs", "unit_cost")

    def edit(row: dict[str, Any]) -> Any:
        body = {"spreadsheet_id": "financeSheet000000000001", "tab": "Unit costs", "editor": FINANCE,
                "headers": desk.headers("sku_costs"), "rows": [row]}  # fmt: skip
        return desk.call("POST", "/addon/edits", ADMIN, json=body)

    typo = cells(edit(cost_row(desk, unit_cost="12.5O")))
    assert typo[cost]["status"] == "rejected"
    assert "must be a number" in typo[cost]["note"]
    stored = cells(edit(cost_row(desk, unit_cost=12.5, effective_from="2025-01-01", cost_currency="usd")))
    assert stored[cost] | {"note": None} == {
        "row": 3,
        "column": cost,
        "status": "accepted",
        "value": 12.5,
        "note": None,
    }
    assert stored[desk.column("sku_costs", "cost_currency")]["value"] == "USD"
    with desk.live.db.session() as session:
        row = session.scalars(select(SkuCost)).one()
        assert (row.unit_cost, row.currency, row.effective_from, row.entered_by) == (
            Decimal("12.5"), "USD", date(2025, 1, 1), FINANCE,
        )  # fmt: skip


def test_a_rate_typed_into_the_rates_tab_is_stored_from_its_date_and_typos_and_other_roles_are_refused(
    desk: Desk,
) -> None:
    rate, day = desk.column("fx_rates", "fx_rate"), desk.column("fx_rates", "fx_date")

    def edit(email: str | None = FINANCE, **cells_: Any) -> dict[int, dict[str, Any]]:
        row = {"row": 2, "key": "CNY→USD", "cells": {str(desk.column("fx_rates", k)): v for k, v in cells_.items()}}
        body = {"spreadsheet_id": "financeSheet000000000001", "tab": "Rates", "editor": email,
                "headers": desk.headers("fx_rates"), "rows": [row]}  # fmt: skip
        return cells(desk.call("POST", "/addon/edits", ADMIN, json=body))

    assert "at most 12 decimals" in str(edit(fx_rate="0,139")[rate]["note"])
    assert "the warehouse role may not change" in str(edit(PACKER, fx_rate=0.139)[rate]["note"])
    assert edit(fx_date="2026-03-06")[day]["status"] == "pending"  # waits for the rate
    stored = edit(fx_rate=0.139, fx_date=46087)  # a date typed as a spreadsheet serial: 2026-03-06
    assert stored[rate] | {"note": None} == {
        "row": 2,
        "column": rate,
        "status": "accepted",
        "value": 0.139,
        "note": None,
    }
    assert stored[day]["value"] == "2026-03-06"
    with desk.live.db.session() as session:
        row = session.scalars(select(FxRate)).one()
        assert (row.base, row.quote, row.day, row.rate, row.source) == (
            "CNY", "USD", date(2026, 3, 6), Decimal("0.139"), FINANCE,
        )  # fmt: skip
        assert all(b.dirty for b in session.scalars(select(SheetBinding)))  # every tab's profit may move


def test_roles_limit_who_may_type_where(desk: Desk) -> None:
    order = desk.order("AWAITING_SHIPMENT")
    row = desk.ship_row(order, tracking_number="1Z999AA10123456784")
    assert desk.edit([row], email=AGENCY, editor=None).status_code == 403
    by_viewer = cells(desk.edit([row], editor=AGENCY))
    assert "viewer role may not change" in next(iter(by_viewer.values()))["note"]
    stranger = cells(desk.edit([row], editor="someone@else.example"))
    assert "not a member" in next(iter(stranger.values()))["note"]
    synced = cells(desk.edit([desk.ship_row(order, shop="Elsewhere")]))
    assert "written by OrderDeck" in next(iter(synced.values()))["note"]
    body = {"spreadsheet_id": FILE, "tab": "Ship next", "rows": [row]}
    with desk.live.app.app_context(), desk.live.db.session() as session:
        teams.create_team(session, "Rival", "boss@rival.example")
    assert desk.call("POST", "/addon/edits", "boss@rival.example", json=body).status_code == 404
    assert desk.reload(order).status == "AWAITING_SHIPMENT"


def test_a_stock_count_typed_by_procurement_is_stored_and_typos_and_other_roles_are_refused(desk: Desk) -> None:
    line = desk.orders[0].lines[0]
    warehouse = desk.orders[0].warehouse_id or desk.live.sandbox.shops[desk.shop.external_id].warehouse_id
    on_hand, note = desk.column("stock", "stock_on_hand"), desk.column("stock", "stock_supplier_note")

    def edit(editor: str, **typed: Any) -> dict[int, dict[str, Any]]:
        row = {
            "row": 2,
            "key": f"{line.seller_sku} @ {warehouse}",
            "cells": {str(desk.column("stock", k)): v for k, v in typed.items()},
        }
        body = {
            "spreadsheet_id": "stockSheet00000000000001",
            "tab": "Stock",
            "editor": editor,
            "headers": desk.headers("stock"),
            "rows": [row],
        }
        return cells(desk.call("POST", "/addon/edits", ADMIN, json=body))

    typo = edit(BUYER, stock_on_hand="1O")
    assert typo[on_hand]["status"] == "rejected" and "whole number" in typo[on_hand]["note"]
    refused = edit(PACKER, stock_on_hand=4)
    assert refused[on_hand]["status"] == "rejected"
    stored = edit(BUYER, stock_on_hand=7, stock_supplier_note="Restock Friday")
    assert (stored[on_hand]["status"], stored[on_hand]["value"]) == ("accepted", 7)
    assert stored[note]["value"] == "Restock Friday"
    with desk.live.db.session() as session:
        level = session.scalars(select(StockLevel).where(StockLevel.seller_sku == line.seller_sku)).one()
        assert (level.sheet_quantity, level.supplier_note) == (7, "Restock Friday")


def test_purchase_and_consolidation_cells_typed_by_procurement_are_checked_row_by_row(desk: Desk) -> None:
    sku = desk.orders[0].lines[0].seller_sku or desk.orders[0].lines[0].sku_id
    with desk.live.app.app_context(), desk.live.db.session() as session:
        team = session.get_one(Team, desk.live.team_id)
        bought = f"platform,supplier_order_no,seller_sku,quantity_ordered,currency\nother,P1,{sku},10,CNY\n"
        assert purchases.import_purchases(session, team, bought.encode(), file_name="p.csv", actor=ADMIN).created
        bindings.bind(session, team, "stockSheet00000000000001", "Purchases", "purchase_orders", actor=ADMIN)
        bindings.bind(session, team, "stockSheet00000000000001", "Shipments", "consolidations", actor=ADMIN)

    def edit(editor: str, profile: str, tab: str, key: str, **typed: Any) -> dict[int, dict[str, Any]]:
        row = {"row": 2, "key": key, "cells": {str(desk.column(profile, k)): v for k, v in typed.items()}}
        body = {"spreadsheet_id": "stockSheet00000000000001", "tab": tab, "editor": editor,
                "headers": desk.headers(profile), "rows": [row]}  # fmt: skip
        return cells(desk.call("POST", "/addon/edits", ADMIN, json=body))

    def line(editor: str = BUYER, **typed: Any) -> dict[int, dict[str, Any]]:
        return edit(editor, "purchase_orders", "Purchases", "other:P1/1", **typed)

    ordered, supplier = desk.column("purchase_orders", "po_qty_ordered"), desk.column("purchase_orders", "po_supplier")
    zero = line(po_qty_ordered=0, po_supplier="Yiwu Mugs")
    assert zero[ordered]["status"] == "rejected" and "above 0" in zero[ordered]["note"]
    assert zero[supplier]["note"] == "not saved: another cell in this row was refused"
    over = line(po_qty_received=11)
    assert over[desk.column("purchase_orders", "po_qty_received")]["note"] == "received (11) is more than ordered (10)"
    assert line(PACKER, po_supplier="x")[supplier]["status"] == "rejected"
    stored = line(po_qty_received=8, po_unit_price="12.5")
    assert {c["status"] for c in stored.values()} == {"accepted"}

    def landed() -> tuple[object, ...]:
        with desk.live.db.session() as session:
            found = session.scalars(select(PurchaseLine)).one()
            return found.quantity_received, found.landed_unit_cost, found.landed_problem, found.order.supplier

    assert landed() == (8, Decimal("12.5"), "", "")  # nothing of the refused rows was kept
    assert line(po_consolidation="S-9")[desk.column("purchase_orders", "po_consolidation")]["value"] == "S-9"
    assert landed() == (8, None, "waiting for the freight of S-9", "")

    status = desk.column("consolidations", "cons_status")
    ships = edit(BUYER, "consolidations", "Shipments", "S-9", cons_status="shipped")
    assert ships[status]["note"] == "S-9 needs its weight and freight once it ships"
