"""The role table: what each role may do from the sidebar, what it may see, and "Sync now" once a minute."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from backend.api.addon import ENDPOINTS, Endpoint
from backend.models import Team
from backend.services.addon import ACTIONS
from tests import factories
from tests.api.conftest import Call

ADMIN = "owner@seller.example"
AGENCY = "client@agency.example"
BUYER = "buyer@procure.example"
ADMIN_ONLY = [e for e in ENDPOINTS if e.action is not None and ACTIONS[e.action] == frozenset({"admin"})]


@pytest.fixture
def team(session: Session) -> int:
    acme = factories.team(session, "Acme", admin=ADMIN)
    factories.member(session, acme, AGENCY, "viewer")
    factories.member(session, acme, BUYER, "procurement")
    session.commit()
    return acme.id


@pytest.mark.parametrize("endpoint", ADMIN_ONLY, ids=lambda e: f"{e.method} {e.path}")
def test_a_viewer_cannot_take_any_admin_action(call: Call, team: int, endpoint: Endpoint) -> None:
    response = call(endpoint.method, endpoint.path, AGENCY, json={})
    assert response.status_code == 403
    assert "viewer role may not" in response.get_json()["error"]["message"]


def test_viewer_and_procurement_never_see_cost_or_personal_columns(call: Call, team: int) -> None:
    for who, hidden in ((AGENCY, {"cost", "personal"}), (BUYER, {"cost", "personal", "sales"})):
        shown = call("GET", "/addon/columns", who, query={"audience": "finance"}).get_json()
        assert shown and not {c["sensitivity"] for c in shown} & hidden
        profiles = {p["key"] for p in call("GET", "/addon/profiles", who).get_json()}
        assert "profit_ledger" not in profiles and "sku_costs" not in profiles
    # The procurement tabs (purchase class) are offered to procurement and admins, never to a viewer.
    assert {"purchase_orders", "consolidations", "stock"} <= {
        p["key"] for p in call("GET", "/addon/profiles", BUYER).get_json()
    }
    assert "purchase_orders" not in {p["key"] for p in call("GET", "/addon/profiles", AGENCY).get_json()}
    admin = {p["key"] for p in call("GET", "/addon/profiles", ADMIN).get_json()}
    assert {"profit_ledger", "sla_watch", "agency_view", "purchase_orders", "consolidations"} <= admin
    assert call("POST", "/addon/edits", AGENCY, json={}).status_code == 403


def test_members_and_roles_are_managed_by_admins_and_a_team_keeps_one(call: Call, team: int) -> None:
    stranger = call("POST", "/addon/members", ADMIN, json={"email": "Packer@3PL.example", "role": "warehouse"})
    assert stranger.status_code == 404  # someone new is invited, and joins by accepting (tests/security)
    assert "invite them" in stranger.get_json()["error"]["message"]
    promoted = call("POST", "/addon/members", ADMIN, json={"email": AGENCY, "role": "support"})
    assert {"email": AGENCY, "role": "support"} in promoted.get_json()
    assert call("POST", "/addon/members", ADMIN, json={"email": AGENCY, "role": "king"}).status_code == 400
    demote = call("POST", "/addon/members", ADMIN, json={"email": ADMIN, "role": "viewer"})
    assert demote.status_code == 409
    assert call("POST", "/addon/members/remove", ADMIN, json={"email": ADMIN}).status_code == 409
    left = call("POST", "/addon/members/remove", ADMIN, json={"email": AGENCY}).get_json()
    assert AGENCY not in {m["email"] for m in left}
    assert call("GET", "/addon/status", AGENCY).status_code == 403


def test_sync_now_runs_once_a_minute_per_team_and_says_when_to_retry(
    call: Call, team: int, session: Session, addon_app: Flask
) -> None:
    acme = session.get_one(Team, team)
    shop = factories.shop(session, acme)
    rival = factories.team(session, "Rival", admin="boss@rival.example")
    rival_shop = factories.shop(session, rival)
    session.commit()
    assert call("POST", "/addon/sync", ADMIN, json={"shop_id": rival_shop.id}).status_code == 404
    first = call("POST", "/addon/sync", AGENCY, json={})
    assert first.status_code == 200
    assert first.get_json()["queued"] == [shop.id]
    again = call("POST", "/addon/sync", ADMIN, json={})
    assert again.status_code == 429
    assert 0 < int(again.headers["Retry-After"]) <= 60
    assert "try again in" in again.get_json()["error"]["message"]
    assert call("GET", "/addon/status", ADMIN).get_json()["sync_now_in"] > 0
    assert call("POST", "/addon/sync", "boss@rival.example", json={}).status_code == 200  # another team's minute
    addon_app.extensions["orderdeck.tasks"].drain()
