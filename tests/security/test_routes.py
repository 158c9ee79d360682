"""Every HTTP route has a class, and every class its guard: a new route without one fails here."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.api.addon import ENDPOINTS
from backend.config import TEST_ENCRYPTION_KEY
from backend.models import GoogleConnection, Member, Shop, WebhookEvent
from backend.platforms.tiktok.webhooks import signature
from backend.sandbox.sheets import GoogleSandboxes
from backend.services import invitations
from backend.services.addon import Caller
from tests import factories
from tests.api.conftest import AUDIENCE, Call
from tests.api.test_addon_identity import bad_tokens as identity_bad_tokens

# The route table: each rule of app.url_map and who may call it.
PUBLIC, WEBHOOK, TASK, ADDON, OAUTH = "public", "webhook", "task", "addon", "oauth"
INVITE, LINK = "invite", "signed link"
ROUTES: dict[str, str] = {
    "/healthz": PUBLIC,
    "/openapi.json": PUBLIC,
    "/webhooks/<platform>": WEBHOOK,
    "/tasks/<path:name>": TASK,
    "/oauth/<platform>/callback": OAUTH,
    "/oauth/google/start": OAUTH,
    "/oauth/google/callback": OAUTH,
    "/labels/<token>": LINK,
    "/invite/<token>": INVITE,  # a browser page: the link's one-time token, then a Google sign-in as the invitee
    **{e.path: ADDON for e in ENDPOINTS},
}
TASK_PATHS = (
    "/tasks/sync-due",
    "/tasks/sync-shop/1",
    "/tasks/push-due",
    "/tasks/push-binding/1",
    "/tasks/notify-due",
    "/tasks/track-due",
    "/tasks/track-shop/1",
)
ADMIN = "owner@seller.example"
SECRET = "tasks-shared-secret"
WEB_CLIENT = "orderdeck-web.apps.googleusercontent.com"


def rules(app: Flask) -> set[str]:
    return {rule.rule for rule in app.url_map.iter_rules()}


def test_every_route_is_classified(app: Flask) -> None:
    unclassified = rules(app) - set(ROUTES)
    assert not unclassified, f"classify these routes in ROUTES and prove their guard: {sorted(unclassified)}"
    assert not set(ROUTES) - rules(app), "ROUTES names a route that no longer exists"


def bad_tokens(google: GoogleSandboxes) -> dict[str, str]:
    """The add-on tests' forged, expired, foreign and unverified tokens, and two more."""
    return {**identity_bad_tokens(google), "no email": google.identity.mint_id_token(AUDIENCE, ""), "empty": ""}


def test_addon_routes_answer_401_to_a_missing_or_bad_identity_token(
    call: Call, google: GoogleSandboxes, session: Session
) -> None:
    factories.team(session, "Acme", admin=ADMIN)
    session.commit()
    tokens = bad_tokens(google)
    for endpoint in ENDPOINTS:
        assert call(endpoint.method, endpoint.path, ADMIN, json={}).status_code != 401, endpoint.path  # the control
        for name, token in [("none", None), *tokens.items()]:
            response = call(endpoint.method, endpoint.path, json={}, token=token)
            assert response.status_code == 401, (endpoint.path, name)
            assert response.get_json()["error"]["code"] == "unauthenticated", (endpoint.path, name)


def test_an_id_token_in_another_scheme_or_the_query_is_not_accepted(
    call: Call, addon_app: Flask, google: GoogleSandboxes, session: Session
) -> None:
    factories.team(session, "Acme", admin=ADMIN)
    session.commit()
    token = google.identity.mint_id_token(AUDIENCE, ADMIN)
    client = addon_app.test_client()
    assert client.get("/addon/status", headers={"Authorization": f"Basic {token}"}).status_code == 401
    assert client.get("/addon/status", query_string={"access_token": token}).status_code == 401
    assert client.get("/addon/status", headers={"Authorization": f"Bearer {token}"}).status_code == 200


@pytest.fixture
def task_app(app: Flask) -> Flask:
    app.extensions["orderdeck.config"] = app.extensions["orderdeck.config"].with_overrides(TASKS_SECRET=SECRET)
    return app


@pytest.mark.parametrize("path", TASK_PATHS)
def test_task_routes_refuse_callers_without_cron_queue_or_the_secret(task_app: Flask, path: str) -> None:
    """Outside App Engine the cron/queue headers prove nothing (anyone can send them); tests/test_deploy.py
    covers the App Engine side, where the platform strips them from outside traffic."""
    client = task_app.test_client()
    refused: list[dict[str, str]] = [
        {},
        {"X-Appengine-Cron": "true"},
        {"X-AppEngine-QueueName": "orderdeck"},
        {"X-OrderDeck-Task-Secret": "wrong"},
        {"X-OrderDeck-Task-Secret": SECRET[:-1]},
        {"Authorization": f"Bearer {SECRET}"},
    ]
    for headers in refused:
        for method in ("GET", "POST"):
            response = client.open(path, method=method, headers=headers)
            assert response.status_code == 403, (method, headers)
            assert response.get_json()["error"]["code"] == "forbidden"
    allowed = client.get(path, headers={"X-OrderDeck-Task-Secret": SECRET})
    assert allowed.status_code in (200, 404), allowed.get_json()  # 404: no shop or binding 1 in this database


def test_without_a_configured_secret_no_header_opens_task_routes(app: Flask) -> None:
    client = app.test_client()
    for path in TASK_PATHS:
        assert client.get(path, headers={"X-OrderDeck-Task-Secret": ""}).status_code == 403


def event(shop: Shop) -> bytes:
    body = {"type": 1, "tts_notification_id": "n-1", "shop_id": shop.external_id, "timestamp": int(time.time()),
            "data": {"order_id": "576900000000001", "order_status": "AWAITING_SHIPMENT"}}  # fmt: skip
    return json.dumps(body).encode()


def test_webhooks_answer_401_without_a_valid_signature_and_store_nothing(app: Flask, session: Session) -> None:
    shop = factories.shop(session, factories.team(session, "Acme", admin=ADMIN))
    session.commit()
    settings = app.extensions["orderdeck.config"]
    raw = event(shop)
    good = signature(settings.TIKTOK_APP_KEY, settings.TIKTOK_APP_SECRET, raw)
    forged: dict[str, tuple[bytes, dict[str, str]]] = {
        "no header": (raw, {}),
        "empty": (raw, {"Authorization": ""}),
        "other secret": (raw, {"Authorization": signature(settings.TIKTOK_APP_KEY, "guessed", raw)}),
        "other body": (raw.replace(b"AWAITING", b"CANCELLED"), {"Authorization": good}),
        "reserialized": (json.dumps(json.loads(raw), indent=1).encode(), {"Authorization": good}),
        "truncated mac": (raw, {"Authorization": good[:-2]}),
    }
    client = app.test_client()
    for name, (body, headers) in forged.items():
        response = client.post("/webhooks/tiktok", data=body, headers={"Content-Type": "application/json", **headers})
        assert response.status_code == 401, name
        assert response.get_json()["error"]["code"] == "unauthenticated", name
    assert session.scalar(select(func.count()).select_from(WebhookEvent)) == 0
    signed = client.post("/webhooks/tiktok", data=raw, headers={"Authorization": good})
    assert signed.status_code == 200, signed.get_json()
    app.extensions["orderdeck.tasks"].drain()


def test_oauth_callbacks_connect_nothing_without_the_state_the_backend_signed(app: Flask, session: Session) -> None:
    factories.team(session, "Acme", admin=ADMIN)
    session.commit()
    client = app.test_client()
    forged: list[tuple[str, dict[str, Any]]] = [
        ("/oauth/tiktok/callback", {"code": "stolen-code"}),
        ("/oauth/tiktok/callback", {"code": "stolen-code", "state": "1"}),
        ("/oauth/tiktok/callback", {"code": "stolen-code", "state": TEST_ENCRYPTION_KEY}),
        ("/oauth/google/start", {"state": "guessed"}),
        ("/oauth/google/callback", {"code": "stolen-code", "state": "guessed"}),
    ]
    for path, query in forged:
        response = client.get(path, query_string=query)
        assert 400 <= response.status_code < 500, (path, query)
        assert "not connected" in response.get_data(as_text=True), (path, query)
    assert session.scalar(select(func.count()).select_from(Shop)) == 0
    assert session.scalar(select(func.count()).select_from(GoogleConnection)) == 0


def test_public_routes_reveal_nothing_about_teams(app: Flask, session: Session) -> None:
    factories.team(session, "Acme Secret Team", admin=ADMIN)
    session.commit()
    client = app.test_client()
    for path in (p for p, kind in ROUTES.items() if kind == PUBLIC):
        body = client.get(path).get_data(as_text=True)
        assert "Acme Secret Team" not in body and ADMIN not in body, path


def test_the_invitation_page_joins_nobody_without_the_link_and_the_invited_persons_google_sign_in(
    app: Flask, google: GoogleSandboxes, session: Session
) -> None:
    """The guard of INVITE routes; tests/security/test_membership.py attacks the flow itself."""
    app.extensions["orderdeck.config"] = app.extensions["orderdeck.config"].with_overrides(
        **google.settings(), GOOGLE_OAUTH_CLIENT_ID=WEB_CLIENT
    )
    team = factories.team(session, "Acme Secret Team", admin=ADMIN)
    caller = Caller(email=ADMIN, team_id=team.id, team_name=team.name, role="admin")
    link = invitations.invite(session, caller, app.extensions["orderdeck.config"], "new@hire.example", "viewer")["url"]
    session.commit()
    token = link.rsplit("/", 1)[1]
    client = app.test_client()
    good = google.identity.mint_id_token(WEB_CLIENT, "new@hire.example")
    refused: list[tuple[str, str, dict[str, str], int]] = [
        ("GET", "/invite/guessed-token", {}, 404),
        ("POST", "/invite/guessed-token", {"credential": good}, 404),
        ("POST", "/invite/" + token[:-1], {"credential": good}, 404),
        ("POST", f"/invite/{token}", {}, 401),
        ("POST", f"/invite/{token}", {"credential": google.identity.mint_id_token(AUDIENCE, "new@hire.example")}, 401),
        ("POST", f"/invite/{token}", {"credential": google.identity.mint_id_token(WEB_CLIENT, "x@hire.example")}, 403),
        *(("POST", f"/invite/{token}", {"credential": bad}, 401) for bad in identity_bad_tokens(google).values()),
    ]
    for method, path, form, status in refused:
        response = client.open(path, method=method, data=form)
        assert response.status_code == status, (method, path, form, response.get_data(as_text=True))
        assert response.content_type.startswith("text/html"), path
        assert "Acme Secret Team" not in response.get_data(as_text=True), path
    assert session.scalar(select(func.count()).select_from(Member).where(Member.team_id == team.id)) == 1
    assert client.post(f"/invite/{token}", data={"credential": good}).status_code == 200  # the control


def test_a_label_link_answers_only_its_own_signature(client: FlaskClient) -> None:
    """A signed link is its own credential: a guessed or altered token is a 404 page, never a document."""
    for token in ("p1-" + "0" * 32, "w1-" + "0" * 32, "p1", "x1-abc", "p" + "9" * 40 + "-abc"):
        response = client.get(f"/labels/{token}")
        assert response.status_code == 404, token
        assert response.mimetype == "text/html" and "no such label link" in response.get_data(as_text=True)
