"""Procurement's week through real pushes: a purchase file imported (good rows kept, bad ones named), lines
mapped and grouped into a consolidation in the tabs, a bad cell refused alone, landed costs in the purchase
tab, and the stock on its way in the stock tab and on the short order."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.models import ExceptionCase, FxRate, PurchaseLine, Team
from backend.sandbox.sheets import GoogleSandboxes
from backend.services import bindings, purchases
from backend.services.sheet_refresh import Pusher, push_dirty
from backend.services.stock import apply_stock_edit
from tests import factories
from tests.sheets.test_push import FINANCE, new_file, seller, tab_rows
from tests.sheets.test_stock_push import BUYER, column

D = Decimal
DUE = date(2026, 12, 14)
HEADER = (
    "platform,supplier,supplier_order_no,item_link,item_spec,seller_sku,quantity_ordered,quantity_received,"
    "unit_price,currency,domestic_shipping,paid_on,domestic_tracking,status,warehouse,expected_on\n"
)
# Saved by Excel in China: GB18030. Lines 5 to 8 are each wrong in one way.
PURCHASES = (
    HEADER
    + "1688,义乌杯子厂,A,https://detail.1688.com/offer/1.html,白色,MUG,10,,15,CNY,22,2026-03-01,YT1,shipped,,\n"
    + "1688,义乌杯子厂,A,https://detail.1688.com/offer/2.html,,LID,20,,5,CNY,,,,,,\n"
    + "taobao,壶店,B,https://item.taobao.com/item.htm?id=3,,,5,,40,CNY,10,2026-03-01,,,,\n"
    + "taobao,壶店,C,,,MUGG,1,,1,CNY,,,,,,\n"
    + "other,Local,D,,,MUG,0,,1,CNY,,,,,,\n"
    + "other,Local,E,,,MUG,2,,3,,,,,,,\n"
    + "other,Local,F,,,MUG,2,3,3,CNY,,,,,,\n"
).encode("gb18030")


def test_imported_purchases_show_landed_cost_and_stock_on_its_way(
    sheets_app: Flask, session: Session, google: GoogleSandboxes, pusher: Pusher
) -> None:
    team = seller(session)
    factories.member(session, team, BUYER, "procurement")
    shop = factories.shop(session, team)
    short = factories.order(session, shop, skus=(("MUG", 5, D("9")),))
    factories.order(session, shop, skus=(("LID", 1, D("3")), ("KETTLE", 1, D("30"))))
    apply_stock_edit(session, team, BUYER, {"stock_key": "MUG", "stock_on_hand": 2})
    for day, rate in ((date(2026, 3, 6), "7.0"), (date(2026, 3, 10), "7.2")):
        session.add(FxRate(team_id=team.id, day=day, base="USD", quote="CNY", rate=D(rate), source="test"))
    procurement = new_file(google, (BUYER, "writer"))
    bindings.bind(session, team, procurement, "Purchases", "purchase_orders")
    bindings.bind(session, team, procurement, "Consolidations", "consolidations")
    bindings.bind(session, team, procurement, "Stock", "stock")
    ship = new_file(google)
    bindings.bind(session, team, ship, "Ship", "sla_watch")
    finance = new_file(google, (FINANCE, "reader"))
    bindings.bind(session, team, finance, "Ledger", "profit_ledger")

    result = purchases.import_purchases(session, team, PURCHASES, file_name="po.csv", actor=BUYER)

    assert (result.layout, result.created, result.unmapped) == ("OrderDeck", 3, 1)
    assert result.problems == [
        "line 5: unknown seller SKU 'MUGG'; did you mean 'MUG'?",
        "line 6: quantity_ordered must be a whole number above 0 (got '0')",
        "line 7: a price needs its currency (such as CNY)",
        "line 8: quantity_received 3 is more than quantity_ordered 2",
    ]

    def edit(key: str, **typed: object) -> purchases.RowEdit:
        return purchases.edit_line(session, session.get_one(Team, team.id), BUYER, key, typed)

    refused = edit("taobao:B/1", po_sku="KETTLE", po_qty_received=6)
    assert (refused.refused, refused.column) == ("received (6) is more than ordered (5)", "po_qty_received")
    assert session.scalar(select(PurchaseLine.seller_sku).where(PurchaseLine.item_ref.like("%id=3"))) is None
    assert not edit("taobao:B/1", po_sku="KETTLE").refused
    assert not edit("1688:A/1", po_qty_received=8, po_consolidation="S-1", po_weight=8, po_volumetric=10).refused
    assert not edit("1688:A/2", po_consolidation="S-1", po_weight=6, po_volumetric=4).refused
    assert not edit("taobao:B/1", po_consolidation="S-1", po_weight=5).refused

    shipment = purchases.edit_consolidation(session, team, BUYER, "S-1", {"cons_status": "shipped"})
    assert (shipment.refused, shipment.column) == ("S-1 needs its weight and freight once it ships", "cons_status")
    typed = {
        "cons_currency": "USD", "cons_freight": 60, "cons_duties": 42, "cons_fees": "6.60", "cons_vat": 30,
        "cons_paid_on": "2026-03-06", "cons_duties_paid_on": "2026-03-10", "cons_weight": 21,
        "cons_status": "shipped", "cons_expected_on": DUE.isoformat(),
    }  # fmt: skip
    assert not purchases.edit_consolidation(session, team, BUYER, "S-1", typed).refused
    session.commit()
    push_dirty(pusher)

    tab = tab_rows(google, procurement, "Purchases")
    # As tests/domain/test_purchasing.py works out by hand; the reclaimable VAT is not in them.
    assert column(tab, "Landed unit cost") == {"1688:A/1": "53.70", "1688:A/2": "16.50", "taobao:B/1": "92.20"}
    assert column(tab, "Status") == dict.fromkeys(("1688:A/1", "1688:A/2", "taobao:B/1"), "in consolidated shipment")
    assert column(tab_rows(google, procurement, "Consolidations"), "Chargeable (kg)") == {"S-1": "21.00"}
    stock_tab = tab_rows(google, procurement, "Stock")
    assert column(stock_tab, "Arriving")["MUG"] == "8"
    assert column(stock_tab, "Next arrival")["MUG"] == "8 on 14 Dec"
    assert column(tab_rows(google, ship, "Ship"), "Stock")[f"{short.external_id}/MUG"] == (
        "short now: 3 × MUG, 8 arriving 14 Dec"
    )
    case = session.scalars(select(ExceptionCase).where(ExceptionCase.order_id == short.id)).one()
    assert (case.fields["quantity_short"], case.fields["restock_date"]) == (3, DUE.isoformat())
    # The ledger row says which costs it used: the short order's 5 mugs are estimated FIFO from the 2 on the
    # shelf at go-live (no unit cost typed: pending) and 3 of the 8 on their way at their landed cost.
    sources = column(tab_rows(google, finance, "Ledger"), "Cost source")[short.external_id]
    assert sources.startswith("MUG 2× est. opening stock ") and sources.endswith("MUG 3× est. 1688:A/1"), sources

    # The shipment is late: the next push (the ship tab's rows were pushed already) says the new date.
    late = {"cons_expected_on": "2026-12-18"}
    assert not purchases.edit_consolidation(session, team, BUYER, "S-1", late).refused
    session.commit()
    push_dirty(pusher)
    assert column(tab_rows(google, ship, "Ship"), "Stock")[f"{short.external_id}/MUG"] == (
        "short now: 3 × MUG, 8 arriving 18 Dec"
    )
