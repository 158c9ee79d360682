"""Pushing bound tabs into the Sheets sandbox through the real Google clients, over HTTP."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import google.oauth2.credentials
import pytest
from flask import Flask
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.domain.a1 import column_letters
from backend.models import Notification, Order, SheetBinding, Shop, Team
from backend.sandbox.sheets import GoogleSandboxes
from backend.services import bindings, notify
from backend.services.ingest import mark_bindings_dirty
from backend.services.sheet_refresh import Pusher, push_dirty, writer_identity
from tests import factories
from tests.sheets.conftest import WRITER

ADMIN = "owner@seller.example"
PACKER = "packer@3pl.example"
FINANCE = "books@seller.example"
AGENCY = "client@agency.example"
SCOPE = ["https://www.googleapis.com/auth/spreadsheets"]


def sheets_as(google: GoogleSandboxes, email: str) -> Any:
    token = google.identity.issue_access_token(email, SCOPE)
    return build(
        "sheets",
        "v4",
        credentials=_creds(token),
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": google.sheets.sheets_endpoint},
    )


def _creds(token: str) -> Any:
    return google.oauth2.credentials.Credentials(token)  # type: ignore[no-untyped-call]


def new_file(google: GoogleSandboxes, *readers: tuple[str, str]) -> str:
    """A spreadsheet the admin owns, shared with the backend's writer and `readers` (email, role)."""
    ss = google.sheets.create_spreadsheet(ADMIN, "Orders", time_zone="Asia/Bangkok")
    google.sheets.share(ss.id, "writer", email=WRITER)
    for email, role in readers:
        google.sheets.share(ss.id, role, email=email)
    return ss.id


def seller(session: Session) -> Team:
    team = factories.team(session, "Acme", admin=ADMIN)
    factories.member(session, team, PACKER, "warehouse")
    factories.member(session, team, FINANCE, "finance")
    factories.member(session, team, AGENCY, "viewer")
    return team


def every_value(google: GoogleSandboxes, file_id: str) -> set[str]:
    """Every cell of every tab, as displayed and as stored (formulas as text)."""
    found: set[str] = set()
    for sheet in google.sheets.spreadsheets[file_id].sheets:
        for option in ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA"):
            for row in google.sheets.values(file_id, sheet.title, render_option=option):
                found |= {str(v) for v in row}
    return found


def tab_rows(google: GoogleSandboxes, file_id: str, tab: str, option: str = "FORMATTED_VALUE") -> list[list[Any]]:
    return google.sheets.values(file_id, f"'{tab}'", render_option=option)


def due_hourly_in_ship_next(session: Session, google: GoogleSandboxes) -> tuple[Team, Shop, list[Order], str]:
    """Five one-SKU orders (SKU-1 … SKU-5) due 1 … 5 hours from now, and a warehouse file whose "Ship next"
    tab is bound to sla_watch (nothing committed or pushed yet)."""
    team = seller(session)
    shop = factories.shop(session, team)
    orders = [
        factories.order(
            session, shop, skus=((f"SKU-{n}", 1, Decimal("10.00")),), rts_sla_at=factories.NOW + timedelta(hours=n)
        )
        for n in range(1, 6)
    ]
    file_id = new_file(google, (PACKER, "writer"))
    bindings.bind(session, team, file_id, "Ship next", "sla_watch")
    return team, shop, orders, file_id


def sort_by_sku_descending(google: GoogleSandboxes, file_id: str) -> int:
    """The admin sorts the "Ship next" tab by SKU, descending, by hand; returns the tab's sheet id."""
    sheet_id = next(s.sheet_id for s in google.sheets.spreadsheets[file_id].sheets if s.title == "Ship next")
    column = bindings.builtin_profiles()["sla_watch"].index_of("skus")
    sort = {
        "range": {"sheetId": sheet_id, "startRowIndex": 1},
        "sortSpecs": [{"dimensionIndex": column, "sortOrder": "DESCENDING"}],
    }
    sheets_as(google, ADMIN).spreadsheets().batchUpdate(
        spreadsheetId=file_id, body={"requests": [{"sortRange": sort}]}
    ).execute()
    return sheet_id


def one_order_shipping_next(session: Session, google: GoogleSandboxes) -> str:
    """A seller with one order and a warehouse file whose "Ship next" tab is bound to sla_watch (not pushed)."""
    team = seller(session)
    factories.order(session, factories.shop(session, team))
    file_id = new_file(google, (PACKER, "writer"))
    bindings.bind(session, team, file_id, "Ship next", "sla_watch")
    session.commit()
    return file_id


def test_each_audience_gets_only_its_classes_in_any_cell(
    sheets_app: Flask, session: Session, google: GoogleSandboxes, pusher: Pusher
) -> None:
    team = seller(session)
    shop = factories.shop(session, team)
    for n in range(3):
        factories.order(
            session,
            shop,
            skus=(("LIP-01", 2, Decimal("777.77")),),
            fees=(("revenue", Decimal("1555.54")), ("platform", Decimal("55.55"))),
            recipient_name=f"Private Person {n}",
            recipient_phone="+66 99 999 9999",
        )
    factories.sku_cost(session, team, "LIP-01", Decimal("333.33"))
    warehouse = new_file(google, (PACKER, "writer"))
    agency = new_file(google, (AGENCY, "reader"))
    finance = new_file(google, (FINANCE, "writer"))
    bindings.bind(session, team, warehouse, "Ship next", "sla_watch")
    bindings.bind(session, team, agency, "Orders", "agency_view")
    bindings.bind(session, team, finance, "Ledger", "profit_ledger")
    session.commit()

    results = push_dirty(pusher)
    assert all(not isinstance(r, Exception) for r in results), results

    sales = {"777.77", "1555.54", "1,555.54"}
    cost = {"55.55", "333.33", "666.66", "833.33"}  # fee, unit cost, COGS, net profit
    personal = {"Private Person 0", "+66 99 999 9999"}
    warehouse_cells = every_value(google, warehouse)
    assert "LIP-01" in warehouse_cells
    assert not (sales | cost) & warehouse_cells
    agency_cells = every_value(google, agency)
    assert "1555.54" in agency_cells
    assert not (cost | personal) & agency_cells
    finance_cells = every_value(google, finance)
    assert {"55.55", "666.66", "833.33"} <= finance_cells
    assert not personal & finance_cells


def test_a_link_shared_file_gets_no_sales_cost_or_personal_data_and_the_admin_is_told_why(
    sheets_app: Flask, session: Session, google: GoogleSandboxes, pusher: Pusher
) -> None:
    team = seller(session)
    factories.order(session, factories.shop(session, team), fees=(("revenue", Decimal("500.00")),))
    file_id = new_file(google, (FINANCE, "writer"), ("outsider@gmail.example", "reader"))
    google.sheets.share(file_id, "reader", kind="anyone")
    binding = bindings.bind(session, team, file_id, "Ledger", "profit_ledger")
    session.commit()

    (result,) = push_dirty(pusher)
    assert not isinstance(result, Exception)
    assert result.writes == 0 and result.tabs[0].skipped
    session.refresh(binding)
    assert binding.last_push_error is not None
    assert "anyone with the link can open it" in binding.last_push_error
    assert "outsider@gmail.example can open it but is not a member of team 'Acme'" in binding.last_push_error
    assert binding.dirty  # written as soon as the sharing is fixed
    assert [s.title for s in google.sheets.spreadsheets[file_id].sheets] == ["Sheet1"]

    runner = sheets_app.test_cli_runner()
    out = runner.invoke(args=["sheet", "push", "--spreadsheet", file_id])
    assert "anyone with the link" in out.output


def test_finance_money_columns_are_protected_and_unit_costs_typed_by_finance(
    sheets_app: Flask, session: Session, google: GoogleSandboxes, pusher: Pusher
) -> None:
    team = seller(session)
    factories.order(session, factories.shop(session, team), fees=(("revenue", Decimal("500.00")),))
    file_id = new_file(google, (FINANCE, "writer"))
    bindings.bind(session, team, file_id, "Ledger", "profit_ledger")
    bindings.bind(session, team, file_id, "Costs", "sku_costs")
    session.commit()
    out = sheets_app.test_cli_runner().invoke(
        args=["sheet", "bind", file_id, "--team", "Acme", "--tab", "Daily", "--profile", "daily_sales", "--as", FINANCE]
    )
    assert f"share the file with {WRITER} as an editor" in out.output, out.output
    (result,) = push_dirty(pusher)
    assert not isinstance(result, Exception)
    assert result.writes == 1  # three tabs, one request
    daily = google.sheets.values(file_id, "Daily", render_option="UNFORMATTED_VALUE")
    assert daily[0][:3] == ["Day / currency", "Day", "Currency"]
    assert len(daily) == 2 and daily[1][0].endswith(" THB") and daily[1][5] == 500

    seen_by_finance = sheets_as(google, FINANCE).spreadsheets().get(spreadsheetId=file_id).execute()
    (ledger_tab,) = [s for s in seen_by_finance["sheets"] if s["properties"]["title"] == "Ledger"]
    assert [p["requestingUserCanEdit"] for p in ledger_tab["protectedRanges"]] == [False]
    meta = sheets_as(google, ADMIN).spreadsheets().get(spreadsheetId=file_id).execute()
    tabs = {s["properties"]["title"]: s for s in meta["sheets"]}
    (sheet_protection,) = tabs["Ledger"]["protectedRanges"]
    assert sheet_protection["range"] == {"sheetId": tabs["Ledger"]["properties"]["sheetId"]}
    assert set(sheet_protection["editors"]["users"]) == {WRITER, ADMIN}
    profile = bindings.builtin_profiles()["profit_ledger"]
    net = column_letters(profile.index_of("net_profit"))
    finance_sheets = sheets_as(google, FINANCE)
    with pytest.raises(HttpError, match="protected"):
        finance_sheets.spreadsheets().values().update(
            spreadsheetId=file_id, range=f"Ledger!{net}2", valueInputOption="RAW", body={"values": [["1"]]}
        ).execute()
    costs = {p["description"]: p for p in tabs["Costs"]["protectedRanges"]}
    assert FINANCE in costs["OrderDeck: Unit cost is typed by finance"]["editors"]["users"]
    finance_sheets.spreadsheets().values().update(
        spreadsheetId=file_id, range="Costs!C2", valueInputOption="RAW", body={"values": [["41.5"]]}
    ).execute()


def test_a_buyer_message_that_looks_like_a_formula_is_stored_as_text(
    sheets_app: Flask, session: Session, google: GoogleSandboxes, pusher: Pusher
) -> None:
    team = seller(session)
    factories.member(session, team, "cs@seller.example", "support")
    factories.order(session, factories.shop(session, team), buyer_message='=IMPORTXML("http://x","//a")')
    file_id = new_file(google, ("cs@seller.example", "writer"))
    bindings.bind(session, team, file_id, "Service", "customer_service")
    session.commit()
    push_dirty(pusher)
    column = bindings.builtin_profiles()["customer_service"].index_of("buyer_message")
    grid = (
        sheets_as(google, ADMIN)
        .spreadsheets()
        .get(spreadsheetId=file_id, ranges=[f"Service!{column_letters(column)}2"], includeGridData=True)
        .execute()
    )
    cell = grid["sheets"][0]["data"][0]["rowData"][0]["values"][0]
    assert cell["userEnteredValue"] == {"stringValue": '=IMPORTXML("http://x","//a")'}
    assert cell["formattedValue"] == '=IMPORTXML("http://x","//a")'


def test_a_hand_sorted_sheet_is_updated_in_place_and_typed_tracking_survives(
    sheets_app: Flask, session: Session, google: GoogleSandboxes, pusher: Pusher
) -> None:
    _team, shop, orders, file_id = due_hourly_in_ship_next(session, google)
    session.commit()
    push_dirty(pusher)
    profile = bindings.builtin_profiles()["sla_watch"]
    tracking = column_letters(profile.index_of("tracking_number"))
    status = profile.index_of("pick_status")
    packer = sheets_as(google, PACKER)
    # The admin sorts by SKU descending (the packer's protected columns stop him sorting; he uses filter
    # views), then the packer types a tracking number into the first row.
    sort_by_sku_descending(google, file_id)
    hand_sorted = [r[0] for r in tab_rows(google, file_id, "Ship next")[1:]]
    first_key = hand_sorted[0]
    assert first_key == f"{orders[4].external_id}/SKU-5"
    packer.spreadsheets().values().update(
        spreadsheetId=file_id,
        range=f"'Ship next'!{tracking}2",
        valueInputOption="RAW",
        body={"values": [["TH-TYPED-1"]]},
    ).execute()

    orders[4].is_on_hold = True  # the order that is now on the first row, and one further down
    orders[0].status = "AWAITING_COLLECTION"
    mark_bindings_dirty(session, shop.team_id, shop.id)
    session.commit()
    (result,) = push_dirty(pusher)
    assert not isinstance(result, Exception)
    assert result.writes == 1
    rows = {r[0]: r for r in tab_rows(google, file_id, "Ship next")[1:]}
    assert rows[first_key][status] == "ON HOLD - do not pick"
    assert rows[first_key][profile.index_of("tracking_number")] == "TH-TYPED-1"
    assert rows[f"{orders[0].external_id}/SKU-1"][status] == "AWAITING_COLLECTION"
    # The hand sort is kept: only the order now awaiting collection, racing a later deadline, moves.
    collecting = f"{orders[0].external_id}/SKU-1"
    after = [r[0] for r in tab_rows(google, file_id, "Ship next")[1:]]
    assert [k for k in after if k != collecting] == [k for k in hand_sorted if k != collecting]

    orders[4].tracking_number = "TH-FROM-TIKTOK"  # now the database has a value: it wins
    mark_bindings_dirty(session, shop.team_id, shop.id)
    session.commit()
    push_dirty(pusher)
    rows = {r[0]: r for r in tab_rows(google, file_id, "Ship next")[1:]}
    assert rows[first_key][profile.index_of("tracking_number")] == "TH-FROM-TIKTOK"


def test_an_sla_alert_links_to_the_row_its_order_is_on_after_a_hand_sort(
    sheets_app: Flask, session: Session, google: GoogleSandboxes, pusher: Pusher
) -> None:
    team, shop, orders, file_id = due_hourly_in_ship_next(session, google)
    notify.add_channel(
        session,
        sheets_app.extensions["orderdeck.secrets"],
        team,
        name="ops",
        url="http://127.0.0.1:9/api/webhooks/1/token",
        kinds=("sla",),
        actor=ADMIN,
        allow_loopback=True,
    )
    session.commit()
    push_dirty(pusher)
    sheet_id = sort_by_sku_descending(google, file_id)
    orders[2].buyer_message = "please hurry"  # any change: the next push re-reads where each row now is
    mark_bindings_dirty(session, shop.team_id, shop.id)
    session.commit()
    push_dirty(pusher)

    assert notify.sla_alert_sweep(session, factories.NOW) == 5  # every deadline is within the 24 h tier
    session.commit()
    grid = tab_rows(google, file_id, "Ship next")
    for payload in session.scalars(select(Notification.payload)):
        embed = payload["embeds"][0]
        assert embed["url"].startswith(f"https://docs.google.com/spreadsheets/d/{file_id}/edit#gid={sheet_id}&range=A")
        row = int(embed["url"].rsplit("&range=A", 1)[1])
        assert grid[row - 1][0].split("/")[0] in str(embed), (row, embed)  # the linked row shows that order
    assert grid[1][0].startswith(orders[4].external_id)  # the hand sort moved the latest deadline to the top


def test_writes_grow_with_what_changed_and_shipped_orders_leave_the_tab(
    sheets_app: Flask, session: Session, google: GoogleSandboxes, pusher: Pusher
) -> None:
    team = seller(session)
    shop = factories.shop(session, team)
    orders = [factories.order(session, shop, skus=((f"S{n}", 1, Decimal("1.00")),)) for n in range(60)]
    file_id = new_file(google, (PACKER, "writer"))
    binding = bindings.bind(session, team, file_id, "Ship next", "sla_watch")
    session.commit()
    first = push_dirty(pusher)[0]
    assert not isinstance(first, Exception)
    assert first.writes == 1
    assert len(tab_rows(google, file_id, "Ship next")) == 61

    assert pusher.push_spreadsheet(binding.spreadsheet_id, [binding.id]).writes == 0
    for order in orders[:5]:
        order.status = "IN_TRANSIT"  # shipped: no longer on the warehouse's list
    for order in orders[10:30]:
        order.is_on_hold = True
    mark_bindings_dirty(session, shop.team_id, shop.id, [o.id for o in orders[:5] + orders[10:30]])
    session.commit()
    (result,) = push_dirty(pusher)
    assert not isinstance(result, Exception)
    assert (result.reads, result.writes, result.drive_reads) == (1, 1, 1)  # grid and keys in one read
    assert result.tabs[0].projected == "25 changed orders"
    assert (result.tabs[0].changed, result.tabs[0].removed) == (20, 5)
    assert len(tab_rows(google, file_id, "Ship next")) == 56


def test_a_write_that_fails_after_committing_is_replanned_not_duplicated(
    sheets_app: Flask, session: Session, google: GoogleSandboxes, pusher: Pusher
) -> None:
    file_id = one_order_shipping_next(session, google)
    google.sheets.inject_fault(503, path_contains=":batchUpdate", after_commit=True)
    (result,) = push_dirty(pusher)
    assert not isinstance(result, Exception)
    tab = next(s for s in google.sheets.spreadsheets[file_id].sheets if s.title == "Ship next")
    ids = [p["protectedRangeId"] for p in tab.protected_ranges]
    assert len(ids) == len(set(ids)) == 3  # the sheet, carrier, tracking number
    assert len(tab_rows(google, file_id, "Ship next")) == 3  # header and two SKU rows


def test_binding_checks_the_binder_and_the_audience(
    sheets_app: Flask, session: Session, google: GoogleSandboxes
) -> None:
    team = seller(session)
    file_id = new_file(google)
    with pytest.raises(bindings.ProfileRejected, match=r"\(Warehouse / 3PL\) cannot show .*: ask an admin to bind it"):
        bindings.bind(session, team, file_id, "Ledger", "profit_ledger", actor=PACKER)
    bindings.bind(session, team, file_id, "Ship next", "sla_watch")
    with pytest.raises(bindings.ProfileRejected, match="This spreadsheet for Warehouse / 3PL cannot show"):
        bindings.bind(session, team, file_id, "Ledger", "profit_ledger")
    assert writer_identity(team) == WRITER
    assert session.scalar(select(SheetBinding.profile_key)) == "sla_watch"
    assert session.scalar(select(Order.id)) is None


def test_sharing_is_read_once_a_minute_and_before_a_push_that_would_show_more(
    sheets_app: Flask, session: Session, google: GoogleSandboxes, pusher: Pusher
) -> None:
    every_minute = replace(pusher, sharing_ttl=60.0)  # the production cadence
    team = seller(session)
    shop = factories.shop(session, team)
    order = factories.order(session, shop, recipient_name="Private Person")
    file_id = new_file(google, (PACKER, "writer"))
    bindings.bind(session, team, file_id, "Ship next", "sla_watch")  # operational only
    session.commit()
    (first,) = push_dirty(every_minute)
    assert not isinstance(first, Exception) and first.drive_reads == 1

    order.is_on_hold = True
    mark_bindings_dirty(session, shop.team_id, shop.id, [order.id])
    session.commit()
    (second,) = push_dirty(every_minute)
    assert not isinstance(second, Exception)
    assert (second.reads, second.writes, second.drive_reads) == (1, 1, 0)  # the minute-old verdict holds

    google.sheets.share(file_id, "reader", kind="anyone")  # re-shared: so far it shows nothing beyond operational
    bindings.bind(session, team, file_id, "Service", "customer_service")  # would add personal data
    session.commit()
    (third,) = push_dirty(every_minute)
    assert not isinstance(third, Exception) and third.drive_reads == 1  # read again before showing more
    service = next(t for t in third.tabs if t.tab == "Service")
    assert service.skipped and "anyone with the link can open it" in service.skipped
    assert "Private Person" not in every_value(google, file_id)
