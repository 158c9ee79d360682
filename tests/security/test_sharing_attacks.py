"""Attacks on the sharing guard and the bind proof, over HTTP against the Google sandboxes.

Each attack ends the same way: every cell of the file, read as the person who should not see it, holds
no sales, cost or personal value of the team (the set is built from the database).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backend.models import SheetBinding, Spreadsheet, utcnow
from backend.sandbox.sheets import GoogleSandboxes
from backend.services import push_schedule, sheet_refresh
from backend.services.ingest import mark_bindings_dirty
from tests.api.conftest import WRITER, Call
from tests.api.test_addon_sheets import write_challenge
from tests.security.conftest import Side, build_side, every_cell, forbidden_values, leaks

STRANGER = "stranger@gmail.example"


@dataclass
class Finance:
    """Team A's finance file, bound through the sidebar and filled by a first push."""

    side: Side
    file_id: str
    binding_id: int
    forbidden: set[str]


def push(app: Flask, binding_id: int) -> None:
    """What the next data change sets off in production: a push task, run by the task executor."""
    queue = app.extensions["orderdeck.tasks"]
    queue.enqueue(f"/tasks/push-binding/{binding_id}")
    queue.drain()


def bind_with_proof(call: Call, google: GoogleSandboxes, who: str, file_id: str, profile: str) -> Any:
    challenge = call("POST", "/addon/bind/challenge", who, json={"spreadsheet_id": file_id}).get_json()
    write_challenge(google, who, file_id, challenge)
    body = {"spreadsheet_id": file_id, "challenge": challenge["value"], "tab": "Ledger", "profile": profile}
    return call("POST", "/addon/bindings", who, json=body)


@pytest.fixture
def finance(call: Call, addon_app: Flask, google: GoogleSandboxes, session: Session) -> Finance:
    side = build_side(session, "Acme", "acme.example", 3)
    session.commit()
    ss = google.sheets.create_spreadsheet(side.email("admin"), "Acme finance", sheets=["Sheet1"])
    google.sheets.share(ss.id, "writer", email=WRITER)
    google.sheets.share(ss.id, "reader", email=side.email("finance"))
    bound = bind_with_proof(call, google, side.email("admin"), ss.id, "profit_ledger")
    assert bound.status_code == 200, bound.get_json()
    addon_app.extensions["orderdeck.tasks"].drain()
    forbidden = forbidden_values(session, side.team.id)
    written = every_cell(google, ss.id, side.email("finance"))
    assert leaks(written, forbidden["cost"]) and leaks(written, forbidden["sales"])  # the control: it was written
    assert not leaks(written, forbidden["personal"])
    return Finance(side, ss.id, bound.get_json()["id"], forbidden["sales"] | forbidden["cost"] | forbidden["personal"])


def change_data(session: Session, side: Side) -> None:
    session.expire_all()
    mark_bindings_dirty(session, side.team.id, side.shop.id)
    session.commit()


def a_minute_passes(app: Flask, f: Finance) -> None:
    """Sharing is read from Drive at most once a minute per file: let the last read be a minute old."""
    with app.extensions["orderdeck.db"].session() as session:
        last = utcnow() - timedelta(seconds=sheet_refresh.SHARING_TTL + 1)
        session.execute(update(Spreadsheet).where(Spreadsheet.google_id == f.file_id).values(sharing_checked_at=last))


def demote_finance(call: Call, google: GoogleSandboxes, f: Finance) -> str:
    body = {"email": f.side.email("finance"), "role": "warehouse"}
    assert call("POST", "/addon/members", f.side.email("admin"), json=body).status_code == 200
    return f.side.email("finance")  # still a reader of the file, now in a role that may not see money


def share_with_link(call: Call, google: GoogleSandboxes, f: Finance) -> str:
    google.sheets.share(f.file_id, "reader", kind="anyone")
    return STRANGER


def share_with_group(call: Call, google: GoogleSandboxes, f: Finance) -> str:
    google.sheets.add_group("all-staff@acme.example", [STRANGER, f.side.email("warehouse")])
    google.sheets.share(f.file_id, "reader", email="all-staff@acme.example", kind="group")
    return STRANGER


def share_with_domain(call: Call, google: GoogleSandboxes, f: Finance) -> str:
    google.sheets.share(f.file_id, "reader", kind="domain", domain="acme.example")
    return f.side.email("viewer")


ATTACKS: dict[str, tuple[Callable[[Call, GoogleSandboxes, Finance], str], str]] = {
    "re-shared to anyone with the link": (share_with_link, "anyone with the link can open it"),
    "shared with a group": (share_with_group, "the group all-staff@acme.example can open it"),
    "shared with the whole domain": (share_with_domain, "everyone at acme.example can open it"),
    "a reader's role changed from finance to warehouse": (demote_finance, "the warehouse role may not see sales"),
}


@pytest.mark.parametrize("attack", ATTACKS)
def test_after_sharing_turns_unsafe_the_next_push_leaves_no_sales_cost_or_personal_cell(
    attack: str, finance: Finance, call: Call, addon_app: Flask, google: GoogleSandboxes, session: Session
) -> None:
    make_unsafe, why = ATTACKS[attack]
    reader = make_unsafe(call, google, finance)
    change_data(session, finance.side)
    a_minute_passes(addon_app, finance)
    push(addon_app, finance.binding_id)

    assert not leaks(every_cell(google, finance.file_id, reader), finance.forbidden)
    status = call("GET", "/addon/status", finance.side.email("admin"), query={"spreadsheet_id": finance.file_id})
    spreadsheet = status.get_json()["spreadsheet"]
    assert why in spreadsheet["sharing_problem"]
    (binding,) = spreadsheet["bindings"]
    assert "nothing was written" in binding["last_push_error"] and why in binding["last_push_error"]
    assert binding["dirty"]  # written again as soon as the sharing is fixed


def test_once_the_link_is_turned_off_the_tab_is_written_again(
    finance: Finance, call: Call, addon_app: Flask, google: GoogleSandboxes, session: Session
) -> None:
    link = google.sheets.share(finance.file_id, "reader", kind="anyone")
    change_data(session, finance.side)
    a_minute_passes(addon_app, finance)
    push(addon_app, finance.binding_id)
    assert not leaks(every_cell(google, finance.file_id, STRANGER), finance.forbidden)
    google.sheets.unshare(finance.file_id, link.id)
    a_minute_passes(addon_app, finance)
    push(addon_app, finance.binding_id)
    assert leaks(every_cell(google, finance.file_id, finance.side.email("finance")), finance.forbidden)
    session.expire_all()
    binding = session.get_one(SheetBinding, finance.binding_id)
    assert not binding.dirty and binding.last_push_error is None


def test_a_bind_of_a_file_the_caller_cannot_edit_writes_nothing_into_it(
    call: Call, addon_app: Flask, google: GoogleSandboxes, session: Session
) -> None:
    side = build_side(session, "Acme", "acme.example", 3)
    session.commit()
    victim = google.sheets.create_spreadsheet("owner@victim.example", "Victim", sheets=["Sheet1"])
    google.sheets.share(victim.id, "writer", email=WRITER)  # the backend's identity can open it
    google.sheets.share(victim.id, "reader", email=side.email("admin"))  # the caller only reads it
    google.sheets.share(victim.id, "reader", kind="anyone")
    admin = side.email("admin")
    challenge = call("POST", "/addon/bind/challenge", admin, json={"spreadsheet_id": victim.id}).get_json()
    with pytest.raises(Exception, match="403"):
        write_challenge(google, admin, victim.id, challenge)
    for profile in ("profit_ledger", "customer_service", "sla_watch"):
        body = {"spreadsheet_id": victim.id, "challenge": challenge["value"], "tab": "Mine", "profile": profile}
        refused = call("POST", "/addon/bindings", admin, json=body)
        assert refused.status_code == 403, refused.get_json()
        assert "did not prove" in refused.get_json()["error"]["message"]
    addon_app.extensions["orderdeck.tasks"].drain()
    assert session.scalar(select(Spreadsheet).where(Spreadsheet.google_id == victim.id)) is None
    forbidden = forbidden_values(session, side.team.id)
    seen = every_cell(google, victim.id, "owner@victim.example")
    assert not leaks(seen, forbidden["sales"] | forbidden["cost"] | forbidden["personal"])
    assert [s.title for s in google.sheets.spreadsheets[victim.id].sheets] == ["Sheet1"]


def test_a_re_share_is_caught_by_the_periodic_check_even_when_no_order_changes(
    finance: Finance, call: Call, addon_app: Flask, google: GoogleSandboxes, session: Session
) -> None:
    google.sheets.share(finance.file_id, "reader", kind="anyone")
    assert leaks(every_cell(google, finance.file_id, STRANGER), finance.forbidden)  # until the backend looks
    db = addon_app.extensions["orderdeck.db"]
    with db.session() as moved:  # the last check was longer ago than the periodic re-check
        last = utcnow() - sheet_refresh.SHARING_RECHECK - timedelta(seconds=1)
        spreadsheet = update(Spreadsheet).where(Spreadsheet.google_id == finance.file_id)
        moved.execute(spreadsheet.values(sharing_checked_at=last))
    with addon_app.app_context():
        due = push_schedule.due(db)
    assert finance.binding_id in due
    push(addon_app, finance.binding_id)
    assert not leaks(every_cell(google, finance.file_id, STRANGER), finance.forbidden)
