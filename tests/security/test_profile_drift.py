"""A profile cannot drift out of its audience: redefinitions are checked against every tab bound to them,
and a tab that no longer suits its file is refused by name while the file's other tabs are written.

Over HTTP: the sidebar's routes against the Google sandboxes, the agency client reading every cell.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.models import ColumnProfile, Order, SheetBinding, Spreadsheet
from backend.sandbox.sheets import GoogleSandboxes
from backend.services.bindings import catalogue
from tests.api.conftest import WRITER, Call
from tests.api.test_addon_sheets import write_challenge
from tests.security.conftest import Side, build_side, every_cell, forbidden_values, leaks
from tests.sheets.test_push import sheets_as


def bind(call: Call, google: GoogleSandboxes, who: str, file_id: str, tab: str, profile: str) -> Any:
    challenge = call("POST", "/addon/bind/challenge", who, json={"spreadsheet_id": file_id}).get_json()
    write_challenge(google, who, file_id, challenge)
    body = {"spreadsheet_id": file_id, "challenge": challenge["value"], "tab": tab, "profile": profile}
    return call("POST", "/addon/bindings", who, json=body)


@pytest.fixture
def agency(call: Call, addon_app: Flask, google: GoogleSandboxes, session: Session) -> tuple[Side, str]:
    """Team Acme, and its agency client's file (shared with the viewer and the writer only), whose
    "Sales" tab shows agency_view."""
    side = build_side(session, "Acme", "acme.example", 3)
    session.commit()
    sheet = google.sheets.create_spreadsheet(side.email("admin"), "Acme for the agency", sheets=["Sheet1"])
    google.sheets.share(sheet.id, "writer", email=WRITER)
    google.sheets.share(sheet.id, "reader", email=side.email("viewer"))
    assert bind(call, google, side.email("admin"), sheet.id, "Sales", "agency_view").status_code == 200
    return side, sheet.id


def profile(columns: list[str], audience: str = "viewer") -> dict[str, Any]:
    return {"key": "client_orders", "audience_role": audience, "grain": "order", "columns": columns}


def test_redefining_a_bound_profile_is_refused_naming_every_tab_its_audience_may_not_read(
    call: Call, addon_app: Flask, google: GoogleSandboxes, session: Session, agency: tuple[Side, str]
) -> None:
    side, file_id = agency
    admin = side.email("admin")
    assert call("POST", "/addon/profiles", admin, json=profile(["order_id", "total_amount"])).status_code == 200
    assert bind(call, google, admin, file_id, "Orders", "client_orders").status_code == 200
    addon_app.extensions["orderdeck.tasks"].drain()  # the first push (it learns the file's title)

    for drift in (
        profile(["order_id", "total_amount", "net_profit"], audience="finance"),  # a wider audience, cost data
        profile(["order_id", "buyer_message"], audience="support"),  # what a buyer writes is personal data
        profile(["order_id", "note"], audience="warehouse"),  # so are notes on orders
    ):
        refused = call("POST", "/addon/profiles", admin, json=drift)
        assert refused.status_code == 400, refused.get_json()
        message = refused.get_json()["error"]["message"]
        assert "tab “Orders” of Acme for the agency (Agency client) may not show" in message, message
        assert catalogue()[drift["columns"][-1]].header in message  # the column as the sheet heads it
    own = call("POST", "/addon/profiles", admin, json=profile(["order_id", "buyer_message"]))
    assert (
        own.status_code == 400
        and "cannot show buyers' personal details (Buyer message)" in own.get_json()["error"]["message"]
    )
    allowed = call("POST", "/addon/profiles", admin, json=profile(["order_id", "subtotal", "total_amount"]))
    assert allowed.status_code == 200  # a change within what the audience may see goes through

    addon_app.extensions["orderdeck.tasks"].drain()
    forbidden = forbidden_values(session, side.team.id)
    seen = every_cell(google, file_id, side.email("viewer"))
    assert leaks(seen, forbidden["sales"]), "the control: the file was written"
    assert not leaks(seen, forbidden["cost"] | forbidden["personal"] | buyer_messages(session))


def buyer_messages(session: Session) -> set[str]:
    return {m for m in session.scalars(select(Order.buyer_message)) if m}


def test_a_tab_bound_before_buyer_messages_became_personal_is_refused_by_name_and_the_rest_is_written(
    call: Call, addon_app: Flask, google: GoogleSandboxes, session: Session, agency: tuple[Side, str]
) -> None:
    side, file_id = agency
    admin = side.email("admin")
    addon_app.extensions["orderdeck.tasks"].drain()
    # As a database from before this rule holds it: a viewer profile with the buyer message, bound and
    # written (the earlier push put the messages into the tab).
    legacy = ["order_id", "status", "buyer_message"]
    session.add(ColumnProfile(team_id=side.team.id, key="client_notes", created_by=admin, audience_role="viewer",
                              definition=profile(legacy) | {"key": "client_notes"}))  # fmt: skip
    spreadsheet = session.scalars(select(Spreadsheet).where(Spreadsheet.google_id == file_id)).one()
    spreadsheet.bindings.append(SheetBinding(tab_title="Notes", profile_key="client_notes", created_by=admin))
    session.commit()
    rows = [["Order ID", "Status", "Buyer message"]] + [[o.external_id, o.status, o.buyer_message] for o in side.orders]
    writer = sheets_as(google, admin)
    writer.spreadsheets().batchUpdate(spreadsheetId=file_id, body={"requests": [{"addSheet": {"properties": {
        "title": "Notes"}}}]}).execute()  # fmt: skip
    writer.spreadsheets().values().update(
        spreadsheetId=file_id, range="Notes!A1", valueInputOption="RAW", body={"values": rows}
    ).execute()
    assert leaks(every_cell(google, file_id, side.email("viewer")), buyer_messages(session))

    pushed = addon_app.test_cli_runner().invoke(args=["sheet", "push", "--spreadsheet", file_id])

    assert pushed.exit_code == 1, pushed.output
    assert "'Notes': nothing was written to tab 'Notes': its profile “client_notes”, in this spreadsheet for " \
           "Agency client, cannot show buyers' personal details (Buyer message)" in pushed.output  # fmt: skip
    assert f"{file_id} 'Sales': +0" in pushed.output  # the legitimate tab was written, not withheld
    forbidden = forbidden_values(session, side.team.id)
    seen = every_cell(google, file_id, side.email("viewer"))
    assert leaks(seen, forbidden["sales"]), "the agency still sees its sales tab"
    assert not leaks(seen, buyer_messages(session) | forbidden["personal"]), "what was written earlier is cleared"
    assert {o.external_id for o in side.orders} <= seen  # the Notes tab's own operational cells stay
    status = call("GET", "/addon/status", admin, query={"spreadsheet_id": file_id}).get_json()
    notes = next(b for b in status["spreadsheet"]["bindings"] if b["tab"] == "Notes")
    assert "bind the tab to a profile made for Agency client" in notes["last_push_error"]
    assert status["spreadsheet"]["sharing_problem"] is None  # the file's sharing is fine: nothing blanked it
    sales = next(b for b in status["spreadsheet"]["bindings"] if b["tab"] == "Sales")
    assert sales["last_push_error"] is None
