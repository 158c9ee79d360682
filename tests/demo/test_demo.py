"""`flask demo`'s world, started in-process: what a newcomer sees, that it moves, and that it stops cleanly."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select

from backend.catalog import role_policy
from backend.demo import world as demo
from backend.demo.traffic import Traffic
from backend.domain.access import Sensitivity
from backend.models import Member, Order, Shop
from backend.sandbox.tiktok_shop import HOUR
from backend.services.bindings import catalogue

WANG = "wang@demo-3pl.example"  # warehouse
FELIX = "felix@demo-trading.example"  # finance
SOFIA = "sofia@demo-trading.example"  # support
PRIYA = "priya@demo-trading.example"  # procurement
ORDER_HEADER = "Order"
ON_HOLD = "ON HOLD"  # the warehouse sheet's words for TikTok's ON_HOLD: do not pick yet


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[demo.World]:
    running = demo.start(tmp_path_factory.mktemp("demo"), page_port=0, traffic_every=None)
    yield running
    running.stop()


def tab(world: demo.World, sheet: str, as_user: str = demo.ADMIN.email) -> list[list[object]]:
    spec = next(s for s in demo.SHEETS if s.key == sheet)
    return world.google.sheets.values(world.spreadsheets[sheet], f"'{spec.tabs[0][0]}'!A1:Z", as_user=as_user)


def warehouse_orders(world: demo.World) -> dict[str, str]:
    """Order id → status, as Wang sees the warehouse tab."""
    rows = tab(world, "warehouse", WANG)
    order, status = rows[0].index(ORDER_HEADER), rows[0].index("Status")
    return {str(r[order]): str(r[status]) for r in rows[1:] if len(r) > status}


def test_a_team_with_every_role_three_shops_on_two_channels_and_five_audience_sheets(world: demo.World) -> None:
    with world.db.session() as session:
        roles = set(session.scalars(select(Member.role)))
        currencies = {name: currency for name, currency in session.execute(select(Shop.name, Shop.currency))}
        platforms = dict(session.execute(select(Shop.name, Shop.platform)).all())
        orders = session.scalar(select(func.count()).select_from(Order))
    assert roles == set(role_policy().roles)
    assert currencies == {"Demo US": "USD", "Demo UK": "GBP", "Demo MY": "MYR"}
    assert platforms == {"Demo US": "tiktok", "Demo UK": "tiktok", "Demo MY": "shopee"}
    assert orders is not None and orders >= 300
    assert set(world.spreadsheets) == {"warehouse", "finance", "customer_service", "agency", "procurement"}
    for spec in demo.SHEETS:
        readers = {p.email_address for p in world.google.sheets.files[world.spreadsheets[spec.key]].permissions}
        audience = {p.email for p in demo.PEOPLE if p.role == spec.audience}
        assert readers == audience | {demo.ADMIN.email, demo.WRITER}, spec.key  # the owner, the writer, the audience
        rows = tab(world, spec.key)
        assert len(rows) > 20, f"{spec.key} has {len(rows)} rows"


def test_the_warehouse_grid_shows_no_sales_or_cost_column(world: demo.World) -> None:
    headers = {c.header: c.sensitivity for c in catalogue().values()}
    shown = tab(world, "warehouse", WANG)[0]
    assert {headers[str(h)] for h in shown} <= {Sensitivity.OPERATIONAL, Sensitivity.PERSONAL}
    grid = httpx.get(f"{world.url}/grid/warehouse", params={"as": WANG}).text
    assert "SLA watch" in grid and "USD" not in grid and "GBP" not in grid
    finance = httpx.get(f"{world.url}/grid/finance", params={"as": FELIX}).text
    assert "Net profit" in finance and "USD" in finance and "GBP" in finance


def test_finance_sees_profit_by_month_and_by_shop_with_a_total_per_currency(world: demo.World) -> None:
    finance = world.spreadsheets["finance"]
    for title in ("By month", "By shop"):
        rows = world.google.sheets.values(finance, f"'{title}'!A1:Z", as_user=FELIX)
        keys = [str(r[0]) for r in rows[1:]]
        assert keys[-4:] == ["TOTAL GBP", "TOTAL MYR", "TOTAL USD", "TOTAL ALL USD"], (
            title,
            keys,
        )  # USD: the reporting currency
    by_shop = world.google.sheets.values(finance, "'By shop'!A2:A", as_user=FELIX)
    assert {str(r[0]) for r in by_shop} == {
        "Demo UK (GB) GBP", "Demo US (US) USD", "Demo MY (MY) MYR", "TOTAL GBP", "TOTAL MYR", "TOTAL USD",
        "TOTAL ALL USD",
    }  # fmt: skip


def test_costs_bought_in_cny_convert_at_the_euro_rates_and_no_fee_is_negative(world: demo.World) -> None:
    finance = world.spreadsheets["finance"]
    header, *rows = world.google.sheets.values(
        finance, "'Profit ledger'!A1:Z", as_user=FELIX, render_option="UNFORMATTED_VALUE"
    )
    ledger = [dict(zip(header, row, strict=False)) for row in rows]
    sold = [r for r in ledger if r["Estimated / settled"] in ("estimated", "settled")]  # unpaid ones cost nothing
    assert sold and all("CNY→" in r["Rates used"] and "(via EUR)" in r["Rates used"] for r in sold)
    fees = [h for h in header if str(h).endswith("fees")]
    assert all(float(r[h] or 0) >= 0 for r in ledger for h in fees if h in r)
    rates = world.google.sheets.values(finance, "'Rates'!A2:A", as_user=FELIX)
    assert {"EUR→CNY", "EUR→GBP", "EUR→MYR", "EUR→USD"} <= {str(r[0]) for r in rates}


def rows_of(world: demo.World, sheet: str, tab: str, as_user: str) -> list[dict[str, object]]:
    header, *rows = world.google.sheets.values(
        world.spreadsheets[sheet], f"'{tab}'!A1:Z", as_user=as_user, render_option="UNFORMATTED_VALUE"
    )
    return [dict(zip(header, row, strict=False)) for row in rows]


def test_procurement_sees_landed_costs_and_stock_on_its_way_and_the_ledger_costs_sales_from_them(
    world: demo.World,
) -> None:
    lines = {str(r["Purchase line"]): r for r in rows_of(world, "procurement", "Purchases", PRIYA)}
    assert set(lines) == {"1688:4012345678901/1", "1688:4012345678901/2", "taobao:T3300001/1", "1688:4012345678955/1"}
    arrived = [r for r in lines.values() if r["Consolidation"] == "DEMO-SEA-01"]
    # Freight, duty and the forwarder's fee of the arrived consolidation land on top of each unit's price.
    assert all(
        r["Status"] == "arrived" and float(str(r["Landed unit cost"])) > float(str(r["Unit price"])) for r in arrived
    )
    shipments = {str(r["Consolidation"]): r for r in rows_of(world, "procurement", "Consolidations", PRIYA)}
    assert shipments["DEMO-SEA-01"]["Duties and clearance"] == 640 and shipments["DEMO-AIR-02"]["Status"] == "shipped"
    stock = {str(r["Seller SKU"]): r for r in rows_of(world, "procurement", "Stock", PRIYA)}
    assert stock["GB-P01-S"]["Arriving"] == 50 and str(stock["GB-P01-S"]["Next arrival"]).startswith("50 on ")
    sources = [str(r["Cost source"]) for r in rows_of(world, "finance", "Profit ledger", FELIX)]
    assert any("× 1688:4012345678901/1" in s for s in sources)  # units sold after it arrived took its landed cost


def test_support_sees_the_buyers_requests_and_finance_the_pending_action_board_of_each_shop(world: demo.World) -> None:
    support = world.spreadsheets["customer_service"]
    header, *cases = world.google.sheets.values(support, "'After-sales'!A1:Z", as_user=SOFIA)
    assert len(cases) >= 10 and {"Refund only", "Return and refund"} & {r[header.index("Type")] for r in cases}
    assert all(r[header.index("Buyer's reason")] for r in cases)
    rates = world.google.sheets.values(support, "'Return rates'!A2:C", as_user=SOFIA)
    assert any(r[2] == "reason" for r in rates if len(r) > 2)
    board = world.google.sheets.values(world.spreadsheets["finance"], "'Pending actions'!A2:D", as_user=FELIX)
    counted = {(str(r[1]), str(r[2])) for r in board if len(r) > 3}
    assert {("Demo US", "Return/refund requested"), ("Demo UK", "Ship within 24 h")} <= counted


def test_the_page_shows_the_grid_as_the_chosen_member_and_the_sidebar_calls_the_backend(world: demo.World) -> None:
    page = httpx.get(world.url + "/")
    assert page.status_code == 200 and WANG in page.text and "Agency client" in page.text
    refused = httpx.get(f"{world.url}/grid/finance", params={"as": WANG}).text
    assert "cannot open this spreadsheet" in refused and "Net profit" not in refused

    sidebar = httpx.get(f"{world.url}/sidebar", params={"as": WANG, "sheet": "warehouse"}).text
    assert "<?" not in sidebar and 'id="sync-now"' in sidebar and "google = { script:" in sidebar
    status = httpx.post(f"{world.url}/run/getStatus", json={"as": WANG, "sheet": "warehouse", "args": []}).json()
    assert status["result"]["role"] == "warehouse"
    assert [b["profile"] for b in status["result"]["spreadsheet"]["bindings"]] == [
        "sla_watch",
        "pack_list",
        "shipments",
        "carrier_scorecard",
    ]
    denied = httpx.post(f"{world.url}/run/listMembers", json={"as": WANG, "sheet": "warehouse", "args": []})
    assert denied.status_code == 200 and "warehouse role may not" in denied.json()["error"]


def test_traffic_moves_orders_and_the_warehouse_grid_follows_within_a_push(world: demo.World) -> None:
    assert world.traffic is None  # this world is stepped by hand
    traffic = Traffic(world, seed=5)
    on_hold = {oid for oid, status in warehouse_orders(world).items() if status.startswith(ON_HOLD)}
    assert on_hold, "the seeded world has orders on hold"
    placed = traffic.step(advance=2 * HOUR, new_orders=3)
    deadline = time.monotonic() + 180  # three shops' events and pushes, on a machine that may be busy
    while True:
        world.run_tasks("/tasks/push-due")
        seen = warehouse_orders(world)
        if set(placed) <= set(seen) and not any(seen.get(oid, "").startswith(ON_HOLD) for oid in on_hold):
            break
        assert time.monotonic() < deadline, f"grid still shows {placed} missing or {on_hold} on hold"
        time.sleep(0.5)
