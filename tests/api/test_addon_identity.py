"""No /addon endpoint answers without a valid Google identity token; the token decides the team and role."""

from __future__ import annotations

import time
from typing import Any

import google.auth.transport.requests
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from sqlalchemy.orm import Session

from backend.api.addon import ENDPOINTS, Endpoint
from backend.api.auth import MISS_FETCHES_PER_MINUTE, Certificates, verify_identity_token
from backend.errors import Unauthenticated
from backend.sandbox.google_identity import sign_jwt
from backend.sandbox.sheets import GoogleSandboxes
from tests import factories
from tests.api.conftest import AUDIENCE, Call

ADMIN = "owner@seller.example"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e.method} {e.path}")
def test_every_endpoint_refuses_a_call_without_a_token(call: Call, endpoint: Endpoint) -> None:
    response = call(endpoint.method, endpoint.path, json={})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthenticated"


def bad_tokens(google: GoogleSandboxes) -> dict[str, str]:
    mint = google.identity.mint_id_token
    return {
        "forged": mint(AUDIENCE, ADMIN, unknown_key=True),
        "expired": mint(AUDIENCE, ADMIN, issued_at=time.time() - 7200),
        "wrong audience": mint("someone-else.apps.googleusercontent.com", ADMIN),
        "wrong issuer": mint(AUDIENCE, ADMIN, issuer="https://evil.example"),
        "unverified email": mint(AUDIENCE, ADMIN, email_verified=False),
        "not a jwt": "not-a-token",
    }


def test_forged_expired_foreign_or_unverified_tokens_are_refused(
    call: Call, session: Session, google: GoogleSandboxes
) -> None:
    factories.team(session, "Acme", admin=ADMIN)
    session.commit()
    assert call("GET", "/addon/status", ADMIN).status_code == 200
    for name, token in bad_tokens(google).items():
        response = call("GET", "/addon/status", token=token)
        assert response.status_code == 401, name
        assert response.get_json()["error"]["message"], name


def test_a_stranger_with_a_valid_token_is_told_to_ask_an_admin(call: Call) -> None:
    me = call("GET", "/addon/me", "new.person@gmail.test")
    assert me.status_code == 200
    found = me.get_json()
    assert found.pop("role_labels")["viewer"] == "Agency client"  # the sidebar names roles as people do
    assert found == {
        "email": "new.person@gmail.test", "teams": [], "team": None, "role": None, "actions": [], "invitations": [],
    }  # fmt: skip
    response = call("GET", "/addon/status", "new.person@gmail.test")
    assert response.status_code == 403
    assert "ask your team's admin" in response.get_json()["error"]["message"]


def test_a_member_of_two_teams_names_one_and_only_their_own(call: Call, session: Session) -> None:
    acme = factories.team(session, "Acme", admin=ADMIN)
    other = factories.team(session, "Other", admin="boss@other.example")
    factories.member(session, other, ADMIN, "viewer")
    third = factories.team(session, "Third", admin="x@third.example")
    session.commit()

    unnamed = call("GET", "/addon/status", ADMIN)
    assert unnamed.status_code == 400
    assert "belongs to 2 teams: choose one" in unnamed.get_json()["error"]["message"]
    assert "Acme" not in unnamed.get_data(as_text=True) and "Other" not in unnamed.get_data(as_text=True)
    assert {t["name"] for t in call("GET", "/addon/me", ADMIN).get_json()["teams"]} == {"Acme", "Other"}
    as_viewer = call("GET", "/addon/status", ADMIN, team=other.id).get_json()
    assert (as_viewer["team"]["name"], as_viewer["role"]) == ("Other", "viewer")
    assert "bind" not in as_viewer["actions"]
    assert call("GET", "/addon/status", ADMIN, team=acme.id).get_json()["role"] == "admin"
    assert call("GET", "/addon/status", ADMIN, team=third.id).status_code == 403


def test_without_a_configured_audience_nothing_is_accepted(call: Call, addon_app: Flask, session: Session) -> None:
    factories.team(session, "Acme", admin=ADMIN)
    session.commit()
    config = addon_app.extensions["orderdeck.config"]
    addon_app.extensions["orderdeck.config"] = config.with_overrides(ADDON_AUDIENCE="")
    response = call("GET", "/addon/status", ADMIN)
    assert response.status_code == 401
    assert "ADDON_AUDIENCE" in response.get_json()["error"]["message"]


class CountingRequest(google.auth.transport.requests.Request):
    """google-auth's real HTTP request, counting the certificate fetches that reach the issuer."""

    fetches = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.fetches += 1
        return super().__call__(*args, **kwargs)  # type: ignore[no-untyped-call]


def test_a_new_signing_key_is_picked_up_at_once_and_forged_key_ids_cannot_force_fetches(
    addon_app: Flask, google: GoogleSandboxes
) -> None:
    config = addon_app.extensions["orderdeck.config"]
    now = [1000.0]
    http = CountingRequest()
    certificates = Certificates(http, clock=lambda: now[0])
    assert verify_identity_token(google.identity.mint_id_token(AUDIENCE, ADMIN), config, certificates).email == ADMIN
    assert http.fetches == 1

    google.identity.rotate_signing_key()  # Google starts signing with a key the kept set lacks: fetched at once
    assert verify_identity_token(google.identity.mint_id_token(AUDIENCE, ADMIN), config, certificates).email == ADMIN
    assert http.fetches == 2
    for _ in range(5):  # and then it is known: no more fetches until the set goes stale
        verify_identity_token(google.identity.mint_id_token(AUDIENCE, ADMIN), config, certificates)
    assert http.fetches == 2

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = sign_jwt(key, "no-such-key", {"aud": AUDIENCE})
    for _ in range(20):  # one forged key id, many times: one fetch, then remembered as missing
        with pytest.raises(Unauthenticated, match="no-such-key"):
            verify_identity_token(forged, config, certificates)
    assert http.fetches == 3
    for n in range(30):  # a new forged key id each time: fetches for unknown ids (the rotation's too) are capped
        with pytest.raises(Unauthenticated):
            verify_identity_token(sign_jwt(key, f"forged-{n}", {"aud": AUDIENCE}), config, certificates)
    assert http.fetches == 1 + MISS_FETCHES_PER_MINUTE

    google.identity.rotate_signing_key()  # a real rotation during such an attack waits out the minute
    now[0] += 61
    assert verify_identity_token(google.identity.mint_id_token(AUDIENCE, ADMIN), config, certificates).email == ADMIN
    assert http.fetches == 2 + MISS_FETCHES_PER_MINUTE


def test_openapi_describes_every_addon_route_with_its_schemas(call: Call) -> None:
    doc = call("GET", "/openapi.json").get_json()
    for endpoint in ENDPOINTS:
        assert endpoint.method.lower() in doc["paths"][endpoint.path]
    bind = doc["paths"]["/addon/bindings"]["post"]
    assert bind["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/BindRequest"}
    assert set(doc["components"]["schemas"]["BindRequest"]["required"]) == {
        "spreadsheet_id",
        "challenge",
        "tab",
        "profile",
    }
    assert "admin" in bind["description"]
    edits = doc["components"]["schemas"]["EditRequest"]["properties"]["rows"]
    assert edits["items"] == {"$ref": "#/components/schemas/EditRow"}
