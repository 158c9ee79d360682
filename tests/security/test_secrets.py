"""Tokens, refresh tokens, auth codes and webhook URLs: sealed in the database, never logged, never answered."""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend import runtime
from backend.models import Base, GoogleConnection, NotificationChannel, Shop, Team, utcnow
from backend.sandbox.discord import DiscordFake, start_discord, webhook_url
from backend.sandbox.sheets import GoogleSandboxes
from backend.services import bindings, notify, sync, teams, workflow
from backend.services.sheet_refresh import push_dirty, pusher
from backend.services.shops import Platform
from tests.api.conftest import Call, caller_for, point_at_google
from tests.api.test_google_oauth import ADMIN as GOOGLE_USER
from tests.api.test_google_oauth import consent
from tests.conftest import Live

FOUNDER = "founder@acme.test"
CLIENT_ID = "orderdeck-web.apps.googleusercontent.com"
CLIENT_SECRET = "web-client-secret-never-logged"  # a test value the log must never show
TASKS_SECRET = "tasks-secret-never-logged"


@pytest.fixture
def discord() -> Iterator[tuple[DiscordFake, str]]:
    fake, server = start_discord(DiscordFake())
    yield fake, webhook_url(server, fake.create_webhook())
    server.stop()


@pytest.fixture
def desk(live: Live, google: GoogleSandboxes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Call:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the sandbox is loopback http
    google.identity.register_client(CLIENT_ID, CLIENT_SECRET, [live.url + "/oauth/google/callback"])
    google.identity.add_user(GOOGLE_USER)
    google.identity.add_user(FOUNDER)
    point_at_google(
        live.app, google, tmp_path, GOOGLE_OAUTH_CLIENT_ID=CLIENT_ID, GOOGLE_OAUTH_CLIENT_SECRET=CLIENT_SECRET,
        TASKS_SECRET=TASKS_SECRET,
    )  # fmt: skip
    with live.db.session() as session:
        teams.add_member(session, session.get_one(Team, live.team_id), GOOGLE_USER, "admin")
    return caller_for(live.app.test_client(), google)


def run_every_flow(live: Live, call: Call, google: GoogleSandboxes, hook: str, answers: list[str]) -> None:
    """Connect a shop (consent redirect), sync with a token refresh, a webhook, a Discord notification,
    a Google connection (web flow) and a push as that Google user."""
    shop = live.sandbox.add_shop("Acme MY", "MY", orders=5)
    consent_link = call("POST", "/addon/shops/consent", FOUNDER, json={"region": "MY"})
    answers.append(consent_link.get_data(as_text=True))
    state = urllib.parse.parse_qs(urllib.parse.urlsplit(consent_link.get_json()["url"]).query)["state"][0]
    code = live.sandbox.issue_auth_code([shop.shop_id])
    page = httpx.get(f"{live.url}/oauth/tiktok/callback", params={"code": code, "state": state}, timeout=30)
    assert page.status_code == 200, page.text
    answers.append(page.text)

    live.sandbox.expire_access_tokens()
    with live.db.session() as session:
        shop_id = session.scalars(select(Shop.id)).one()
    with live.app.app_context():
        sync.sync_shop(live.db, Platform(runtime.config(), runtime.secret_box()), shop_id)
    live.sandbox.add_orders(shop.shop_id, 2)
    live.sandbox.advance(3600)
    assert live.sandbox.deliver_webhooks() > 0
    live.drain()

    with live.db.session() as session:
        team = session.get_one(Team, live.team_id)
        notify.add_channel(session, live.app.extensions["orderdeck.secrets"], team, name="ops", url=hook,
                           actor=FOUNDER, allow_loopback=True)  # fmt: skip
        workflow.raise_exception(session, team, "shipping_delay", actor=FOUNDER,
                                 fields={"cause": "customs", "new_ship_date": "2030-01-02"})  # fmt: skip
    with httpx.Client() as http:
        sent = notify.deliver_due(live.db.sessions, http, live.app.extensions["orderdeck.secrets"],
                                  now=utcnow() + timedelta(minutes=1))  # fmt: skip
    assert sent.sent

    link = call("POST", "/addon/google/connect", FOUNDER, json={}).get_json()["url"]
    start = httpx.get(link, timeout=30)
    assert start.status_code == 302, start.text
    done = httpx.get(consent(start.headers["Location"]), timeout=30)
    assert done.status_code == 200, done.text
    answers.append(done.text)
    confirmed = call("POST", "/addon/google/confirm", FOUNDER, json={"account": GOOGLE_USER})  # another address
    assert confirmed.status_code == 200, confirmed.get_json()
    answers.append(confirmed.get_data(as_text=True))

    sheet = google.sheets.create_spreadsheet(GOOGLE_USER, "CS", sheets=["Sheet1"])
    with live.app.app_context(), live.db.session() as session:
        bindings.bind(session, session.get_one(Team, live.team_id), sheet.id, "Orders", "customer_service",
                      actor=FOUNDER)  # fmt: skip
    with live.app.app_context():
        results = push_dirty(pusher())
    assert all(not isinstance(r, Exception) for r in results), results
    tasks = httpx.get(f"{live.url}/tasks/push-due", headers={"X-OrderDeck-Task-Secret": TASKS_SECRET}, timeout=30)
    answers.append(tasks.text)
    for endpoint in ("/addon/status", "/addon/members", "/addon/profiles", "/addon/me"):
        answers.append(call("GET", endpoint, FOUNDER).get_data(as_text=True))


def plaintext_secrets(live: Live, google: GoogleSandboxes, hook: str) -> set[str]:
    """Every secret value the flows handled, in plain text, from the sandboxes and the sealed columns."""
    box = live.app.extensions["orderdeck.secrets"]
    settings = live.app.extensions["orderdeck.config"]
    found = {settings.TIKTOK_APP_SECRET, settings.ORDERDECK_ENCRYPTION_KEY, CLIENT_SECRET, TASKS_SECRET, hook}
    found |= set(live.sandbox.access_tokens) | set(live.sandbox.refresh_tokens) | set(live.sandbox.codes)
    found.add(hook.rsplit("/", 1)[1])  # the webhook token alone
    with live.db.session() as session:
        for shop in session.scalars(select(Shop)):
            found |= {box.open(v) for v in (shop.access_token_sealed, shop.refresh_token_sealed) if v}
        found |= {box.open(c.refresh_token_sealed) for c in session.scalars(select(GoogleConnection))}
        found |= {box.open(c.webhook_url_sealed) for c in session.scalars(select(NotificationChannel))}
    return {s for s in found if s and len(s) >= 12}


def database_text(session: Session) -> str:
    parts: list[str] = []
    for table in Base.metadata.sorted_tables:
        for row in session.execute(select(table)):
            parts.extend(str(v) for v in row)
    return "\n".join(parts)


def test_secrets_are_sealed_never_logged_and_never_answered(
    live: Live,
    desk: Call,
    google: GoogleSandboxes,
    discord: tuple[DiscordFake, str],
    caplog: pytest.LogCaptureFixture,
    session: Session,
) -> None:
    caplog.set_level(logging.DEBUG)
    answers: list[str] = []
    run_every_flow(live, desk, google, discord[1], answers)
    secrets = plaintext_secrets(live, google, discord[1])
    assert len(secrets) >= 8, secrets  # tokens of the shop (issued and refreshed), Google, Discord, keys

    records = [(r.name, f"{r.getMessage()} {r.exc_text or ''}") for r in caplog.records]
    assert any("task /tasks/sync-shop" in text for _, text in records)  # the flows did log
    assert not {(name, s[:12]) for name, text in records for s in secrets if s in text}, "secrets in the log"
    assert not {s for s in secrets if any(s in a for a in answers)}, "secrets in an API answer"
    with live.db.session() as db_session:
        stored = database_text(db_session)
    assert not {s for s in secrets if s in stored}, "secrets stored in plain text"
