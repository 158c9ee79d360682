"""An incremental push writes exactly the cells a full rebuild writes, whatever changed (hypothesis).

Each example builds a shop whose orders share a few buyers (so review flags depend on other orders),
pushes a tab, then applies random rounds of changes: each round is noted the way the services note
it and pushed incrementally. A second spreadsheet then gets the same profile in one full push. The
two tabs must hold the same rows, in the same order, cell for cell.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal
from typing import Any

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backend.models import Order, OrderLine, RateWindow, SheetBinding, SheetsUsage, Shop, Team
from backend.sandbox.sheets import GoogleSandboxes
from backend.services import bindings
from backend.services.ingest import mark_bindings_dirty
from backend.services.sheet_refresh import Pusher
from tests import factories
from tests.sheets.test_push import ADMIN, new_file, tab_rows

TAB = "Orders"
KINDS = ("hold", "ship", "unship", "deadline", "new", "message", "tracking", "add line", "drop line", "move address")
change = st.tuples(st.sampled_from(KINDS), st.integers(0, 10_000))
rounds = st.lists(st.lists(change, min_size=1, max_size=5), min_size=1, max_size=3)
teams, lines = itertools.count(1), itertools.count(1)


def new_order(session: Session, shop: Shop, n: int) -> Order:
    """Orders of three buyers at two addresses, due and created at scattered times."""
    return factories.order(
        session,
        shop,
        skus=((f"SKU-{n % 4}", 1 + n % 3, Decimal("7.50")),),
        package=None,
        buyer_user_id=f"buyer-{n % 3}",
        recipient_address=f"{n % 2} Sukhumvit Rd",
        rts_sla_at=factories.NOW + timedelta(hours=n * 37 % 97),
        platform_create_time=factories.NOW - timedelta(hours=n * 11 % 43),
    )


def apply(session: Session, shop: Shop, kind: str, n: int) -> int:
    """One change to one order (or a new order); returns the order's id."""
    orders = list(session.scalars(select(Order).where(Order.shop_id == shop.id).order_by(Order.id)))
    order = orders[n % len(orders)]
    if kind == "new":
        return new_order(session, shop, n).id
    if kind == "hold":
        order.is_on_hold = not order.is_on_hold
    elif kind == "ship":
        order.status = "IN_TRANSIT"
    elif kind == "unship":
        order.status = "AWAITING_SHIPMENT"
    elif kind == "deadline":
        order.rts_sla_at = factories.NOW + timedelta(hours=n % 97)
    elif kind == "message":
        order.buyer_message = "" if order.buyer_message else f"please call {n}"
    elif kind == "tracking":
        order.tracking_number = None if order.tracking_number else f"TH{n}"
    elif kind == "add line":
        line = order.lines[0]
        order.lines.append(
            OrderLine(
                external_id=f"L{next(lines)}", sku_id=f"X{n % 5}", seller_sku=f"SKU-X{n % 5}", currency=line.currency
            )
        )
    elif kind == "drop line" and len(order.lines) > 1:
        order.lines.remove(order.lines[-1])
    elif kind == "move address":
        order.recipient_address = f"{n % 2} Silom Rd"
    return order.id


def grid(google: GoogleSandboxes, file_id: str) -> list[list[Any]]:
    return tab_rows(google, file_id, TAB, "FORMULA")


def bound(session: Session, google: GoogleSandboxes, team: Team, profile: str) -> tuple[str, int]:
    """A new spreadsheet (shared with the writer only) whose tab shows `profile`: its id and our row's."""
    file_id = new_file(google)
    binding = bindings.bind(session, team, file_id, TAB, profile)
    session.commit()
    return file_id, binding.spreadsheet_id


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(profile=st.sampled_from(["sla_watch", "customer_service"]), changes=rounds)
def test_an_incremental_push_writes_the_same_cells_as_a_full_rebuild(
    sheets_app: Flask,
    session: Session,
    google: GoogleSandboxes,
    pusher: Pusher,
    profile: str,
    changes: list[list[tuple[str, int]]],
) -> None:
    session.execute(delete(RateWindow))  # each example is a fresh minute: for our limits, budget and Google's
    session.execute(delete(SheetsUsage))
    google.sheets.quotas.reset()
    team = factories.team(session, f"Incremental {next(teams)}", admin=ADMIN)
    shop = factories.shop(session, team)
    for n in range(8):
        new_order(session, shop, n)
    mine, spreadsheet_id = bound(session, google, team, profile)
    pusher.push_spreadsheet(spreadsheet_id)

    for batch in changes:
        touched = {apply(session, shop, kind, n) for kind, n in batch}
        mark_bindings_dirty(session, team.id, shop.id, touched)
        session.commit()
        result = pusher.push_spreadsheet(spreadsheet_id)
        assert result.tabs[0].projected.endswith("changed orders"), result.tabs[0]

    rebuilt, other_id = bound(session, google, team, profile)
    full = pusher.push_spreadsheet(other_id)
    assert full.tabs[0].projected == "every order"
    assert full.dirtied == []  # the full review found every stored flag as the incremental ones left it
    assert len(grid(google, rebuilt)) > 1  # the tab shows some orders
    assert grid(google, mine) == grid(google, rebuilt)
    session.expire_all()
    assert not session.scalars(select(SheetBinding.last_push_error).where(SheetBinding.dirty)).all()
