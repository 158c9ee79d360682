"""The warehouse's morning through real pushes: pick list, pack list, stock tab and shortfalls in the sheets."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.models import ExceptionCase, Notification, Shop, Spreadsheet, Team
from backend.sandbox.sheets import GoogleSandboxes
from backend.services import bindings
from backend.services.ingest import mark_bindings_dirty
from backend.services.sheet_refresh import Pusher, PushResult, push_dirty
from backend.services.stock import StockEditAccepted, apply_stock_edit
from tests import factories
from tests.sheets.test_push import ADMIN, PACKER, new_file, seller, tab_rows

BUYER = "buyer@seller.example"


def column(rows: list[list[str]], header: str) -> dict[str, str]:
    """Key (first cell) → the cell under `header`."""
    at = rows[0].index(header)
    return {row[0]: (row[at] if at < len(row) else "") for row in rows[1:]}


def test_a_count_typed_in_the_stock_tab_reallocates_on_the_next_push(
    sheets_app: Flask, session: Session, google: GoogleSandboxes, pusher: Pusher
) -> None:
    team = seller(session)
    factories.member(session, team, BUYER, "procurement")
    shop = factories.shop(session, team)
    soon = factories.order(session, shop, skus=(("LIP-01", 2, Decimal("9")),), rts_sla_at=factories.NOW)
    later = factories.order(
        session, shop, skus=(("LIP-01", 1, Decimal("9")),), rts_sla_at=factories.NOW + timedelta(hours=5)
    )
    factories.order(session, shop, status="ON_HOLD", is_on_hold=True, skus=(("LIP-01", 4, Decimal("9")),))
    factories.order(session, shop, status="CANCELLED", skus=(("LIP-01", 8, Decimal("9")),))
    warehouse = new_file(google, (PACKER, "reader"))
    procurement = new_file(google, (BUYER, "writer"))
    bindings.bind(session, team, warehouse, "Pick", "pick_list")
    bindings.bind(session, team, warehouse, "Pack", "pack_list")
    bindings.bind(session, team, warehouse, "Ship", "sla_watch")
    bindings.bind(session, team, procurement, "Stock", "stock")
    session.commit()

    push_dirty(pusher)
    pick = column(tab_rows(google, warehouse, "Pick"), "Pick now")
    assert pick == {"LIP-01": "3"}  # ON_HOLD and cancelled units never appear
    packs = column(tab_rows(google, warehouse, "Pack"), "Orders")
    assert sorted(packs.values()) == sorted([soon.external_id, later.external_id])
    assert column(tab_rows(google, procurement, "Stock"), "State") == {"LIP-01": "not counted"}

    result = apply_stock_edit(
        session, session.get_one(Team, team.id), BUYER, {"stock_key": "LIP-01", "stock_on_hand": 2}
    )
    assert isinstance(result, StockEditAccepted)
    session.commit()
    push_dirty(pusher)
    push_dirty(pusher)  # a second push changes nothing and raises nothing again

    assert column(tab_rows(google, warehouse, "Pick"), "Pick now") == {"LIP-01": "2"}
    shortfalls = column(tab_rows(google, warehouse, "Ship"), "Stock")
    assert {key: label for key, label in shortfalls.items() if label} == {
        f"{later.external_id}/LIP-01": "short: 1 × LIP-01"  # the earlier deadline got the 2 units
    }
    stock_tab = tab_rows(google, procurement, "Stock")
    assert column(stock_tab, "On hand (your count)") == {"LIP-01": "2"}
    assert column(stock_tab, "State") == {"LIP-01": "out"}
    open_cases = select(func.count()).select_from(ExceptionCase).where(ExceptionCase.status == "open")
    assert session.scalar(open_cases) == 1

    apply_stock_edit(session, session.get_one(Team, team.id), ADMIN, {"stock_key": "LIP-01", "stock_on_hand": "3"})
    session.commit()
    push_dirty(pusher)
    assert not any(column(tab_rows(google, warehouse, "Ship"), "Stock").values())
    assert session.scalar(open_cases) == 0


def test_a_pick_and_pack_list_bound_to_one_shop_show_only_that_shops_orders(
    sheets_app: Flask, session: Session, google: GoogleSandboxes, pusher: Pusher
) -> None:
    team = seller(session)
    us, uk = factories.shop(session, team, name="Demo US"), factories.shop(session, team, name="Demo UK")
    ours = factories.order(session, us, skus=(("US-MUG", 2, Decimal("9")),), rts_sla_at=factories.NOW)
    factories.order(session, uk, skus=(("GB-MUG", 1, Decimal("9")), ("US-MUG", 1, Decimal("9"))))
    warehouse = new_file(google, (PACKER, "reader"))
    bindings.bind(session, team, warehouse, "Pick US", "pick_list", shops=[str(us.id)])
    bindings.bind(session, team, warehouse, "Pack US", "pack_list", shops=[str(us.id)])
    bindings.bind(session, team, warehouse, "Pick all", "pick_list")
    session.commit()

    push_dirty(pusher)
    assert column(tab_rows(google, warehouse, "Pick US"), "Pick now") == {"US-MUG": "2"}  # no GB-MUG, no UK unit
    assert list(column(tab_rows(google, warehouse, "Pack US"), "Orders").values()) == [ours.external_id]
    assert column(tab_rows(google, warehouse, "Pick all"), "Pick now") == {"GB-MUG": "1", "US-MUG": "3"}


def three_files_short_of_lipstick(session: Session, google: GoogleSandboxes, pusher: Pusher) -> tuple[Shop, list[str]]:
    """Two units of LIP-01 counted (reorder at 5, a Discord channel for low stock), an order of 2 due first
    and one of 1 due later, and three spreadsheets each with a "Ship" tab, all pushed once."""
    team = seller(session)
    factories.member(session, team, BUYER, "procurement")
    shop = factories.shop(session, team)
    factories.order(session, shop, skus=(("LIP-01", 2, Decimal("9")),), rts_sla_at=factories.NOW)
    factories.order(session, shop, skus=(("LIP-01", 1, Decimal("9")),), rts_sla_at=factories.NOW + timedelta(hours=5))
    files = [new_file(google, (PACKER, "reader")) for _ in range(3)]
    for file_id in files:
        bindings.bind(session, team, file_id, "Ship", "sla_watch")
    factories.low_stock_channel(session, team, ADMIN)
    edit = {"stock_key": "LIP-01", "stock_on_hand": 2, "stock_reorder_point": 5}
    assert isinstance(apply_stock_edit(session, team, BUYER, edit), StockEditAccepted)
    session.commit()
    push_dirty(pusher)
    return shop, files


def shortfalls(google: GoogleSandboxes, file_id: str) -> dict[str, str]:
    return {key: label for key, label in column(tab_rows(google, file_id, "Ship"), "Stock").items() if label}


def alerts_and_open_stock_outs(session: Session) -> tuple[int, int]:
    session.expire_all()
    low = select(func.count()).select_from(Notification).where(Notification.kind == "low_stock")
    cases = select(func.count()).select_from(ExceptionCase).where(ExceptionCase.status == "open")
    return session.scalar(low) or 0, session.scalar(cases) or 0


def pushed(results: list[PushResult | Exception]) -> list[PushResult]:
    assert all(isinstance(r, PushResult) for r in results), results
    return [r for r in results if isinstance(r, PushResult)]


def test_a_teams_three_spreadsheets_pushed_for_one_new_order_share_one_stock_pass(
    sheets_app: Flask, session: Session, google: GoogleSandboxes, pusher: Pusher
) -> None:
    shop, files = three_files_short_of_lipstick(session, google, pusher)
    assert alerts_and_open_stock_outs(session) == (1, 1)
    late = factories.order(
        session, shop, skus=(("LIP-01", 1, Decimal("9")),), rts_sla_at=factories.NOW + timedelta(hours=9)
    )
    mark_bindings_dirty(session, shop.team_id, shop.id, [late.id])
    session.commit()

    results = pushed(list(push_dirty(pusher)))

    assert [r.stock_pass for r in results] == ["1 changed orders", "", ""]  # the first push ran it for all three
    shown = [shortfalls(google, file_id) for file_id in files]
    assert shown[0] == shown[1] == shown[2]
    assert sorted(shown[0].values()) == ["short: 1 × LIP-01", "short: 1 × LIP-01"]
    assert f"{late.external_id}/LIP-01" in shown[0]
    assert alerts_and_open_stock_outs(session) == (1, 2)  # the new shortfall raised once, no second alert


def test_a_stock_count_typed_between_pushes_reaches_all_three_spreadsheets(
    sheets_app: Flask, session: Session, google: GoogleSandboxes, pusher: Pusher
) -> None:
    shop, files = three_files_short_of_lipstick(session, google, pusher)
    assert all(len(shortfalls(google, file_id)) == 1 for file_id in files)
    team = session.get_one(Team, shop.team_id)
    assert isinstance(
        apply_stock_edit(session, team, BUYER, {"stock_key": "LIP-01", "stock_on_hand": 3}), StockEditAccepted
    )
    session.commit()

    results = pushed(list(push_dirty(pusher)))

    assert [r.stock_pass for r in results] == ["every order", "", ""]
    assert [shortfalls(google, file_id) for file_id in files] == [{}, {}, {}]
    assert alerts_and_open_stock_outs(session) == (1, 0)  # resolved; today's low-stock alert not sent again


def test_the_three_spreadsheets_pushed_at_once_show_the_same_shortfalls_raised_once(
    sheets_app: Flask, session: Session, google: GoogleSandboxes, pusher: Pusher
) -> None:
    shop, files = three_files_short_of_lipstick(session, google, pusher)
    late = [
        factories.order(
            session, shop, skus=(("LIP-01", 1, Decimal("9")),), rts_sla_at=factories.NOW + timedelta(hours=6 + n)
        )
        for n in range(3)
    ]
    mark_bindings_dirty(session, shop.team_id, shop.id, [o.id for o in late])
    session.commit()
    ids = [session.scalars(select(Spreadsheet.id).where(Spreadsheet.google_id == f)).one() for f in files]

    def push(spreadsheet_id: int) -> PushResult:
        with sheets_app.app_context():
            return pusher.push_spreadsheet(spreadsheet_id)

    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(push, ids))
    push_dirty(pusher)  # whatever one push told the others while they ran

    assert sum(1 for r in results if r.stock_pass) >= 1
    shown = [shortfalls(google, file_id) for file_id in files]
    assert shown[0] == shown[1] == shown[2] and len(shown[0]) == 4
    assert alerts_and_open_stock_outs(session) == (1, 4)
