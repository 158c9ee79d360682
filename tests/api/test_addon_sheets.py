"""Binding from the sidebar proves the caller can edit the file; new files are shared with their audience only."""

from __future__ import annotations

from typing import Any

import pytest
from googleapiclient.errors import HttpError
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.models import AuditEntry, SheetBinding, Spreadsheet
from backend.sandbox.sheets import GoogleSandboxes
from tests import factories
from tests.api.conftest import WRITER, Call
from tests.sheets.test_push import sheets_as

ADMIN = "owner@seller.example"
PACKER = "packer@3pl.example"
AGENCY = "client@agency.example"
OUTSIDER_ADMIN = "boss@other.example"


def write_challenge(sandboxes: GoogleSandboxes, email: str, file_id: str, challenge: dict[str, str]) -> None:
    """What Bind.gs does as the person in the sidebar: DOCUMENT-visible metadata on the spreadsheet."""
    meta = {
        "metadataKey": challenge["key"],
        "metadataValue": challenge["value"],
        "visibility": "DOCUMENT",
        "location": {"spreadsheet": True},
    }
    sheets_as(sandboxes, email).spreadsheets().batchUpdate(
        spreadsheetId=file_id, body={"requests": [{"createDeveloperMetadata": {"developerMetadata": meta}}]}
    ).execute()


@pytest.fixture
def team(session: Session) -> Any:
    acme = factories.team(session, "Acme", admin=ADMIN)
    factories.member(session, acme, PACKER, "warehouse")
    factories.member(session, acme, AGENCY, "viewer")
    factories.shop(session, acme)
    other = factories.team(session, "Other", admin=OUTSIDER_ADMIN)
    factories.shop(session, other)
    session.commit()
    return acme


def new_file(google: GoogleSandboxes, owner: str = ADMIN, *shared: tuple[str, str]) -> str:
    ss = google.sheets.create_spreadsheet(owner, "Orders", sheets=["Sheet1"])
    google.sheets.share(ss.id, "writer", email=WRITER)
    for email, role in shared:
        google.sheets.share(ss.id, role, email=email)
    return ss.id


def bind(call: Call, email: str, file_id: str, challenge: str, **extra: Any) -> Any:
    body = {"spreadsheet_id": file_id, "challenge": challenge, "tab": "Ship next", "profile": "sla_watch", **extra}
    return call("POST", "/addon/bindings", email, json=body)


def test_a_tab_is_bound_only_after_the_challenge_is_read_back_from_the_file(
    call: Call, google: GoogleSandboxes, team: Any, session: Session
) -> None:
    file_id = new_file(google)
    challenge = call("POST", "/addon/bind/challenge", ADMIN, json={"spreadsheet_id": file_id}).get_json()

    refused = bind(call, ADMIN, file_id, challenge["value"])
    assert refused.status_code == 403
    assert "did not prove" in refused.get_json()["error"]["message"]

    write_challenge(google, ADMIN, file_id, challenge)
    bound = bind(call, ADMIN, file_id, challenge["value"])
    assert bound.status_code == 200, bound.get_json()
    assert (bound.get_json()["tab"], bound.get_json()["profile"], bound.get_json()["writer"]) == (
        "Ship next",
        "sla_watch",
        WRITER,
    )
    assert bind(call, ADMIN, file_id, challenge["value"]).status_code == 403  # used once
    status = call("GET", "/addon/status", PACKER, query={"spreadsheet_id": file_id}).get_json()
    assert status["spreadsheet"]["audience"] == "warehouse"
    assert [b["tab"] for b in status["spreadsheet"]["bindings"]] == ["Ship next"]
    spreadsheet = session.scalars(select(Spreadsheet)).one()
    assert spreadsheet.proven_by == ADMIN


def test_nobody_can_point_the_backend_at_a_file_they_cannot_edit(
    call: Call, google: GoogleSandboxes, team: Any, session: Session
) -> None:
    victims_file = new_file(google, OUTSIDER_ADMIN, (ADMIN, "reader"))  # the backend can open it; ADMIN only reads
    challenge = call("POST", "/addon/bind/challenge", ADMIN, json={"spreadsheet_id": victims_file}).get_json()
    with pytest.raises(HttpError) as denied:
        write_challenge(google, ADMIN, victims_file, challenge)
    assert denied.value.status_code == 403
    own_file = new_file(google)
    write_challenge(google, ADMIN, own_file, challenge)  # the value, written somewhere else
    assert bind(call, ADMIN, victims_file, challenge["value"]).status_code == 403
    assert session.scalars(select(SheetBinding)).all() == []


def test_a_challenge_is_the_requesters_own(call: Call, google: GoogleSandboxes, team: Any, session: Session) -> None:
    factories.member(session, team, "second@seller.example", "admin")
    session.commit()
    file_id = new_file(google)
    challenge = call("POST", "/addon/bind/challenge", ADMIN, json={"spreadsheet_id": file_id}).get_json()
    write_challenge(google, ADMIN, file_id, challenge)
    assert bind(call, "second@seller.example", file_id, challenge["value"]).status_code == 403
    assert bind(call, OUTSIDER_ADMIN, file_id, challenge["value"]).status_code == 403


def test_a_file_not_shared_with_the_backend_says_whom_to_share_it_with(
    call: Call, google: GoogleSandboxes, team: Any
) -> None:
    ss = google.sheets.create_spreadsheet(ADMIN, "Private")
    challenge = call("POST", "/addon/bind/challenge", ADMIN, json={"spreadsheet_id": ss.id}).get_json()
    write_challenge(google, ADMIN, ss.id, challenge)
    response = bind(call, ADMIN, ss.id, challenge["value"])
    assert response.status_code in (403, 404)
    assert WRITER in response.get_json()["error"]["message"]


def test_a_new_spreadsheet_is_owned_by_the_backend_and_shared_with_exactly_its_audience(
    call: Call, google: GoogleSandboxes, team: Any, session: Session
) -> None:
    response = call(
        "POST",
        "/addon/spreadsheets",
        ADMIN,
        json={"title": "Warehouse", "audience": "warehouse", "tab": "Ship next", "profile": "sla_watch"},
    )
    assert response.status_code == 200, response.get_json()
    created = response.get_json()
    file = google.sheets.file(created["spreadsheet_id"])
    assert file.owner == WRITER
    readers = {p.email_address: p.role for p in file.permissions}
    assert readers == {WRITER: "owner", ADMIN: "writer", PACKER: "writer"}
    assert AGENCY not in readers
    assert created["binding"]["profile"] == "sla_watch"
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "spreadsheet.create")).one()
    assert audit.actor == ADMIN

    refused = call(
        "POST",
        "/addon/spreadsheets",
        ADMIN,
        json={"title": "Leak", "audience": "viewer", "profile": "profit_ledger"},
    )
    assert refused.status_code == 400
    assert "cost" in refused.get_json()["error"]["message"]
    assert "Leak" not in {f.name for f in google.sheets.files.values()}


def test_unbinding_stops_writing_a_tab_and_needs_an_admin_of_the_same_team(
    call: Call, google: GoogleSandboxes, team: Any
) -> None:
    file_id = new_file(google)
    challenge = call("POST", "/addon/bind/challenge", ADMIN, json={"spreadsheet_id": file_id}).get_json()
    write_challenge(google, ADMIN, file_id, challenge)
    assert bind(call, ADMIN, file_id, challenge["value"]).status_code == 200
    body = {"spreadsheet_id": file_id, "tab": "Ship next"}
    assert call("POST", "/addon/bindings/remove", PACKER, json=body).status_code == 403
    assert call("POST", "/addon/bindings/remove", OUTSIDER_ADMIN, json=body).status_code == 404
    assert call("POST", "/addon/bindings/remove", ADMIN, json=body).status_code == 200
    status = call("GET", "/addon/status", ADMIN, query={"spreadsheet_id": file_id}).get_json()
    assert status["spreadsheet"]["bindings"] == []
