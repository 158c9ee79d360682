"""Team A's admin walks every /addon route with team B's ids: never B's data, never a change to B."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.api.addon import ENDPOINTS
from backend.models import (
    ColumnProfile,
    ExceptionCase,
    Invitation,
    Member,
    NotificationChannel,
    Order,
    SheetBinding,
    Spreadsheet,
    Team,
)
from backend.sandbox.sheets import GoogleSandboxes
from backend.services.bindings import builtin_profiles
from tests.api.conftest import WRITER, Call
from tests.api.test_addon_sheets import write_challenge
from tests.security.conftest import Side


def attacks(a: Side, b: Side) -> dict[tuple[str, str], list[tuple[dict[str, Any], set[int]]]]:
    """Per route: request bodies (or queries) carrying B's ids, and the statuses that are acceptable."""
    b_order = b.orders[0].external_id
    b_row = {"row": 2, "key": b_order, "cells": {"7": "B's note, overwritten by A"}}
    return {
        ("GET", "/addon/me"): [({}, {200})],
        ("GET", "/addon/status"): [({"spreadsheet_id": b.spreadsheet}, {200})],  # status of A, file unknown
        ("POST", "/addon/sync"): [({"shop_id": b.shop.id}, {404})],
        ("POST", "/addon/shops/consent"): [({"region": "TH"}, {200})],
        ("POST", "/addon/bind/challenge"): [({"spreadsheet_id": b.spreadsheet}, {200})],  # a challenge only A can use
        ("POST", "/addon/bindings"): [
            (
                {"spreadsheet_id": b.spreadsheet, "challenge": "x" * 32, "tab": b.tab, "profile": "customer_service"},
                {403},
            ),
        ],
        ("POST", "/addon/bindings/remove"): [({"spreadsheet_id": b.spreadsheet, "tab": b.tab}, {404})],
        ("POST", "/addon/spreadsheets"): [
            ({"title": "Steal", "audience": "finance", "profile": "profit_ledger", "shops": [str(b.shop.id)]}, {404}),
            ({"title": "Steal", "audience": "finance", "profile": b.profile}, {404}),
        ],
        ("POST", "/addon/trigger"): [
            ({"spreadsheet_id": b.spreadsheet}, {400, 404}),
            ({"spreadsheet_id": b.spreadsheet, "install": True}, {400, 404}),  # no say over B's edits
        ],
        ("POST", "/addon/edits"): [
            ({"spreadsheet_id": b.spreadsheet, "tab": b.tab, "rows": [b_row]}, {404}),
            ({"spreadsheet_id": a.spreadsheet, "tab": a.tab, "rows": [b_row]}, {200}),  # A's tab, B's order
        ],
        ("GET", "/addon/members"): [({}, {200})],
        ("POST", "/addon/members/remove"): [({"email": b.email("finance")}, {404})],
        ("POST", "/addon/members"): [({"email": b.email("admin"), "role": "viewer"}, {404})],  # invite, not add
        ("GET", "/addon/invitations"): [({}, {200})],
        ("POST", "/addon/invitations"): [({"email": b.email("admin"), "role": "viewer"}, {200})],  # pending only
        ("POST", "/addon/invitations/revoke"): [({"email": f"newhire@{b.email('admin').split('@')[1]}"}, {404})],
        ("POST", "/addon/invitations/accept"): [({"invitation": b.invitation}, {404})],  # B's, to someone else
        ("POST", "/addon/leave"): [({}, {409})],  # A's last admin stays; B is not A's to leave
        ("POST", "/addon/google/confirm"): [({"account": b.email("admin")}, {404})],
        ("POST", "/addon/google/discard"): [({"account": b.email("admin")}, {404})],
        ("GET", "/addon/columns"): [({"audience": "finance"}, {200})],
        ("GET", "/addon/profiles"): [({}, {200})],
        ("POST", "/addon/profiles"): [
            ({"key": b.profile, "audience_role": "viewer", "grain": "order", "columns": ["order_id"]}, {200}),
        ],
        ("POST", "/addon/google/connect"): [({}, {200, 400})],  # 400: no OAuth client configured here
        ("POST", "/addon/team/retention"): [({"retention_days": 1}, {200})],  # A's own team's setting
        ("GET", "/addon/pending-actions"): [({}, {200})],  # A's board: none of B's shops, cases or refunds
        ("POST", "/addon/refunds/answer"): [({"case": b.orders[0].external_id, "answer": "approve"}, {404})],
        ("GET", "/addon/channels"): [({}, {200})],  # A's channels: none of B's webhooks
        ("POST", "/addon/channels"): [({"url": "https://discord.com/api/webhooks/1/A-own", "kinds": []}, {200})],
        ("POST", "/addon/channels/remove"): [({"id": b.channel}, {404})],
        ("POST", "/addon/channels/test"): [({"id": b.channel}, {404})],  # never posts to B's channel
        ("GET", "/addon/exceptions"): [({}, {200})],  # A's open cases only
        ("POST", "/addon/exceptions"): [({"template": "shipping_delay", "order_id": b_order, "fields": {}}, {404})],
        ("POST", "/addon/exceptions/fields"): [({"id": b.case.id, "fields": {"note": "A was here"}}, {404})],
        ("POST", "/addon/exceptions/resolve"): [({"id": b.case.id, "outcome": "solved", "note": ""}, {404})],
        ("GET", "/addon/exceptions/message"): [({"id": b.case.id, "language": "en"}, {404})],
        ("GET", "/addon/strings"): [({"spreadsheet_id": b.spreadsheet}, {200})],  # A's team language, file unknown
        ("POST", "/addon/spreadsheet/language"): [({"spreadsheet_id": b.spreadsheet, "language": "zh-Hans"}, {404})],
    }


def send(call: Call, method: str, path: str, who: str, body: dict[str, Any], team: int | None = None) -> Any:
    if method == "GET":
        return call(method, path, who, query=body, team=team)
    return call(method, path, who, json=body, team=team)


def b_state(session: Session, b: Side) -> Any:
    """What B owns, to compare before and after the attack."""
    session.expire_all()
    return (
        sorted((m.email, m.role) for m in session.scalars(select(Member).where(Member.team_id == b.team.id))),
        [
            (s.google_id, s.team_id)
            for s in session.scalars(select(Spreadsheet).where(Spreadsheet.team_id == b.team.id))
        ],
        sorted(
            (x.tab_title, x.profile_key)
            for x in session.scalars(select(SheetBinding))
            if x.spreadsheet.team_id == b.team.id
        ),
        [
            (p.key, p.definition)
            for p in session.scalars(select(ColumnProfile).where(ColumnProfile.team_id == b.team.id))
        ],
        [
            (o.external_id, o.status, o.seller_note)
            for o in session.scalars(select(Order).where(Order.shop_id == b.shop.id))
        ],
        [
            (i.email, i.role, i.token_hash)
            for i in session.scalars(select(Invitation).where(Invitation.team_id == b.team.id))
        ],
        [s.edits_trigger_by for s in session.scalars(select(Spreadsheet).where(Spreadsheet.team_id == b.team.id))],
        session.get_one(Team, b.team.id).retention_days,
        [
            (c.status, c.outcome, json.dumps(c.fields, sort_keys=True, default=str))
            for c in session.scalars(select(ExceptionCase).where(ExceptionCase.team_id == b.team.id))
        ],
        sorted(
            c.id for c in session.scalars(select(NotificationChannel).where(NotificationChannel.team_id == b.team.id))
        ),
        [s.language for s in session.scalars(select(Spreadsheet).where(Spreadsheet.team_id == b.team.id))],
    )


def test_the_attack_table_covers_every_addon_route(sides: tuple[Side, Side]) -> None:
    assert {(e.method, e.path) for e in ENDPOINTS} == set(attacks(*sides))


def test_another_teams_ids_get_not_found_and_none_of_its_data(
    call: Call, sides: tuple[Side, Side], session: Session
) -> None:
    a, b = sides
    before = b_state(session, b)
    for (method, path), cases in attacks(a, b).items():
        for body, allowed in cases:
            response = send(call, method, path, a.email("admin"), body)
            where = f"{method} {path} {body}"
            assert response.status_code in allowed, (where, response.get_json())
            sent = json.dumps(body)
            leaked = {s for s in b.secrets if s in response.get_data(as_text=True) and s not in sent}
            assert not leaked, (where, leaked)
            if response.status_code >= 400:
                assert set(response.get_json()["error"]) >= {"code", "message", "action"}, where
    assert b_state(session, b) == before
    status = call("GET", "/addon/status", a.email("admin"), query={"spreadsheet_id": b.spreadsheet}).get_json()
    assert status["spreadsheet"] is None and status["team"]["id"] == a.team.id


def test_naming_another_team_in_the_header_is_refused_on_every_route(call: Call, sides: tuple[Side, Side]) -> None:
    a, b = sides
    for endpoint in ENDPOINTS:
        response = send(call, endpoint.method, endpoint.path, a.email("admin"), {}, team=b.team.id)
        if endpoint.action is None:  # no team involved (/addon/me answers only the caller's own teams)
            assert response.status_code in (200, 400), (endpoint.path, response.get_json())
            assert not {s for s in b.secrets if s in response.get_data(as_text=True)}, endpoint.path
            continue
        assert response.status_code == 403, (endpoint.path, response.get_json())
        assert "not a member of the team this request names" in response.get_json()["error"]["message"]
        assert not {s for s in b.secrets if s in response.get_data(as_text=True)}


def test_an_edit_row_naming_another_teams_order_changes_nothing(
    call: Call, sides: tuple[Side, Side], session: Session
) -> None:
    a, b = sides
    target = b.orders[0]
    note = 1 + builtin_profiles()["customer_service"].index_of("note")
    row = {"row": 2, "key": target.external_id, "cells": {str(note): "overwritten by A"}}
    response = call("POST", "/addon/edits", a.email("admin"), json={"spreadsheet_id": a.spreadsheet, "tab": a.tab,
                                                                   "rows": [row]})  # fmt: skip
    assert response.status_code == 200
    (cell,) = response.get_json()["cells"]
    assert cell["status"] == "rejected" and "no order" in cell["note"]
    session.expire_all()
    assert session.get_one(Order, target.id).seller_note is None


def test_a_proven_bind_of_a_file_with_another_teams_shop_binds_nothing(
    call: Call, sides: tuple[Side, Side], google: GoogleSandboxes, session: Session
) -> None:
    a, b = sides
    own = google.sheets.create_spreadsheet(a.email("admin"), "Acme finance", sheets=["Sheet1"])
    google.sheets.share(own.id, "writer", email=WRITER)
    challenge = call("POST", "/addon/bind/challenge", a.email("admin"), json={"spreadsheet_id": own.id}).get_json()
    write_challenge(google, a.email("admin"), own.id, challenge)
    body = {"spreadsheet_id": own.id, "challenge": challenge["value"], "tab": "Ledger", "profile": "profit_ledger"}
    for shops in ([str(b.shop.id)], [b.shop.external_id]):
        response = call("POST", "/addon/bindings", a.email("admin"), json={**body, "shops": shops})
        assert response.status_code == 404, response.get_json()
    for profile in (b.profile,):
        response = call("POST", "/addon/bindings", a.email("admin"), json={**body, "profile": profile})
        assert response.status_code == 404, response.get_json()
    assert session.scalars(select(Spreadsheet).where(Spreadsheet.google_id == own.id)).all() == []


@pytest.mark.parametrize("role", ["finance", "warehouse", "viewer"])
def test_members_of_another_team_cannot_read_this_teams_status(call: Call, sides: tuple[Side, Side], role: str) -> None:
    a, b = sides
    response = call("GET", "/addon/status", b.email(role), query={"spreadsheet_id": a.spreadsheet})
    assert response.status_code == 200
    assert response.get_json()["spreadsheet"] is None
    assert not {s for s in a.secrets if s in response.get_data(as_text=True)}
