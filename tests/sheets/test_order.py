"""Rows in the profile's order: new rows land where the sort puts them, a hand sort is the team's to keep,
and rows deleted or inserted by hand lead to a correct plan, never to a misplaced cell."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from backend.domain.a1 import column_letters
from backend.models import Order, Shop
from backend.sandbox.sheets import GoogleSandboxes
from backend.services import bindings
from backend.services.ingest import mark_bindings_dirty
from backend.services.sheet_refresh import Pusher, PushResult, push_dirty
from tests import factories
from tests.sheets.test_push import ADMIN, PACKER, new_file, seller, sheets_as, tab_rows

TAB = "Ship next"
PROFILE = bindings.builtin_profiles()["sla_watch"]


def due_in(session: Session, shop: Shop, hours: float, sku: str) -> Order:
    return factories.order(
        session, shop, skus=((sku, 1, Decimal("5.00")),), rts_sla_at=factories.NOW + timedelta(hours=hours)
    )


def warehouse_tab(session: Session, google: GoogleSandboxes, pusher: Pusher, hours: list[float]) -> tuple[Shop, str]:
    """A shop with one order per entry of `hours` (due that many hours from now, SKU "S<hours>") and a
    warehouse file whose sla_watch tab was pushed once."""
    team = seller(session)
    shop = factories.shop(session, team)
    for h in hours:
        due_in(session, shop, h, f"S{h:g}")
    file_id = new_file(google, (PACKER, "writer"))
    bindings.bind(session, team, file_id, TAB, "sla_watch")
    session.commit()
    (first,) = push_dirty(pusher)
    assert not isinstance(first, Exception)
    return shop, file_id


def skus(google: GoogleSandboxes, file_id: str) -> list[str]:
    """The SKU column, top to bottom (rows left empty by hand skipped)."""
    column = PROFILE.index_of("skus")
    return [str(r[column]) for r in tab_rows(google, file_id, TAB)[1:] if len(r) > column]


def changed(session: Session, shop: Shop, pusher: Pusher, *orders: Order) -> PushResult:
    mark_bindings_dirty(session, shop.team_id, shop.id, [o.id for o in orders])
    session.commit()
    (result,) = push_dirty(pusher)
    assert not isinstance(result, Exception)
    return result


def type_tracking(google: GoogleSandboxes, file_id: str, row: int, value: str) -> None:
    tracking = column_letters(PROFILE.index_of("tracking_number"))
    sheets_as(google, PACKER).spreadsheets().values().update(
        spreadsheetId=file_id, range=f"'{TAB}'!{tracking}{row}", valueInputOption="RAW", body={"values": [[value]]}
    ).execute()


def by_sku(google: GoogleSandboxes, file_id: str) -> dict[str, list[Any]]:
    column = PROFILE.index_of("skus")
    return {str(r[column]): r for r in tab_rows(google, file_id, TAB)[1:] if len(r) > column}


def test_new_orders_land_where_the_ship_by_order_puts_them_and_typed_cells_stay_with_their_rows(
    sheets_app: Flask, session: Session, google: GoogleSandboxes, pusher: Pusher
) -> None:
    shop, file_id = warehouse_tab(session, google, pusher, [10, 20, 30, 40])
    assert skus(google, file_id) == ["S10", "S20", "S30", "S40"]
    type_tracking(google, file_id, 4, "TH-TYPED-30")  # the row of S30
    before = dict(google.sheets.counters)

    result = changed(session, shop, pusher, due_in(session, shop, 25, "S25"), due_in(session, shop, 5, "S5"))

    assert skus(google, file_id) == ["S5", "S10", "S20", "S25", "S30", "S40"]  # not appended below S40
    assert by_sku(google, file_id)["S30"][PROFILE.index_of("tracking_number")] == "TH-TYPED-30"
    assert result.tabs[0].projected == "2 changed orders" and result.writes == 1
    inserted = google.sheets.counters["request:insertDimension"] - before.get("request:insertDimension", 0)
    assert inserted == 2  # one insertion per place, in the same single write


def test_a_row_whose_deadline_moved_moves_with_its_typed_cells(
    sheets_app: Flask, session: Session, google: GoogleSandboxes, pusher: Pusher
) -> None:
    shop, file_id = warehouse_tab(session, google, pusher, [10, 20, 30, 40])
    type_tracking(google, file_id, 2, "TH-TYPED-10")  # the row of S10
    order = session.query(Order).filter(Order.shop_id == shop.id).order_by(Order.id).first()
    assert order is not None
    order.rts_sla_at = factories.NOW + timedelta(hours=35)  # TikTok extended the deadline
    before = google.sheets.counters["request:moveDimension"]

    result = changed(session, shop, pusher, order)

    assert skus(google, file_id) == ["S20", "S30", "S10", "S40"]
    assert by_sku(google, file_id)["S10"][PROFILE.index_of("tracking_number")] == "TH-TYPED-10"
    assert google.sheets.counters["request:moveDimension"] - before == 1 and result.tabs[0].moved == 1


def test_a_tab_sorted_by_hand_keeps_the_teams_order_and_new_rows_go_on_top(
    sheets_app: Flask, session: Session, google: GoogleSandboxes, pusher: Pusher
) -> None:
    shop, file_id = warehouse_tab(session, google, pusher, [20, 10, 30])
    sort_by(google, file_id, "order", descending=True)  # newest order first: neither by deadline nor against it
    by_hand = skus(google, file_id)
    assert by_hand == ["S30", "S10", "S20"]

    changed(session, shop, pusher, due_in(session, shop, 15, "S15"))

    assert skus(google, file_id) == ["S15", *by_hand]  # the team's order is kept; its key is unknown: on top


def test_a_tab_sorted_by_deadline_descending_by_hand_gets_new_rows_in_that_order(
    sheets_app: Flask, session: Session, google: GoogleSandboxes, pusher: Pusher
) -> None:
    shop, file_id = warehouse_tab(session, google, pusher, [10, 20, 30])
    sort_by(google, file_id, "due_at", descending=True)  # the deadline each order is racing
    assert skus(google, file_id) == ["S30", "S20", "S10"]

    changed(session, shop, pusher, due_in(session, shop, 15, "S15"), due_in(session, shop, 45, "S45"))

    assert skus(google, file_id) == ["S45", "S30", "S20", "S15", "S10"]


def test_rows_deleted_or_inserted_by_hand_lead_to_a_full_re_read_and_no_misplaced_cell(
    sheets_app: Flask, session: Session, google: GoogleSandboxes, pusher: Pusher
) -> None:
    shop, file_id = warehouse_tab(session, google, pusher, [10, 20, 30, 40])
    type_tracking(google, file_id, 5, "TH-TYPED-40")
    sheet_id = next(s.sheet_id for s in google.sheets.spreadsheets[file_id].sheets if s.title == TAB)
    rows = {"sheetId": sheet_id, "dimension": "ROWS"}
    admin = sheets_as(google, ADMIN).spreadsheets()
    admin.batchUpdate(  # the admin deletes S20's row and inserts an empty one above S40
        spreadsheetId=file_id,
        body={
            "requests": [
                {"deleteDimension": {"range": {**rows, "startIndex": 2, "endIndex": 3}}},
                {"insertDimension": {"range": {**rows, "startIndex": 3, "endIndex": 4}}},
            ]
        },
    ).execute()
    later = due_in(session, shop, 35, "S35")

    result = changed(session, shop, pusher, later)

    assert result.tabs[0].projected == "every order"  # the snapshot no longer matched the sheet
    found = by_sku(google, file_id)
    assert sorted(found) == ["S10", "S20", "S30", "S35", "S40"]
    assert found["S40"][PROFILE.index_of("tracking_number")] == "TH-TYPED-40"
    order_column = PROFILE.index_of("order")
    for sku, row in found.items():  # every row shows its own order: nothing written into a neighbour's row
        expected = session.query(Order).join(Order.lines).filter(Order.shop_id == shop.id).all()
        assert row[order_column] in {o.external_id for o in expected if any(ln.seller_sku == sku for ln in o.lines)}


def sort_by(google: GoogleSandboxes, file_id: str, column: str, *, descending: bool) -> None:
    """The admin sorts the tab by one column, by hand (Data > Sort range)."""
    sheet_id = next(s.sheet_id for s in google.sheets.spreadsheets[file_id].sheets if s.title == TAB)
    order = "DESCENDING" if descending else "ASCENDING"
    sort = {
        "range": {"sheetId": sheet_id, "startRowIndex": 1},
        "sortSpecs": [{"dimensionIndex": PROFILE.index_of(column), "sortOrder": order}],
    }
    admin = sheets_as(google, ADMIN).spreadsheets()
    admin.batchUpdate(spreadsheetId=file_id, body={"requests": [{"sortRange": sort}]}).execute()
