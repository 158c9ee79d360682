"""The warehouse's morning through real pushes: pick list, pack list, stock tab and shortfalls in the sheets."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.models import ExceptionCase, Team
from backend.sandbox.sheets import GoogleSandboxes
from backend.services import bindings
from backend.services.sheet_refresh import Pusher, push_dirty
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
