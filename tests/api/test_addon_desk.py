"""The sidebar's Discord channels (admins) and exceptions desk (every role that acts), over HTTP with real
identity tokens; test messages go to the local Discord sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.domain import analytics
from backend.models import AuditEntry, ExceptionCase, NotificationChannel, Team, utcnow
from backend.sandbox.discord import DiscordFake, start_discord, webhook_url
from backend.sandbox.server import RunningServer
from backend.services import workflow
from backend.services.analytics import load_samples
from tests import factories
from tests.api.conftest import Call

ADMIN = "owner@seller.example"
SUPPORT = "cs@seller.example"
PACKER = "pack@seller.example"
AGENCY = "client@agency.example"


@pytest.fixture(scope="module")
def discord() -> Iterator[tuple[DiscordFake, RunningServer]]:
    fake, server = start_discord()
    yield fake, server
    server.stop()


@pytest.fixture
def team(session: Session) -> int:
    acme = factories.team(session, "Acme", admin=ADMIN)
    factories.member(session, acme, SUPPORT, "support")
    factories.member(session, acme, PACKER, "warehouse")
    factories.member(session, acme, AGENCY, "viewer")
    shop = factories.shop(session, acme, name="Acme UK", region="GB", currency="GBP", time_zone="Europe/London")
    factories.order(session, shop, external_id="576900000000000001")
    factories.order(session, shop, external_id="576900000000000002", buyer_message="请尽快发货，谢谢")
    session.commit()
    return acme.id


def test_an_admin_adds_tests_lists_and_removes_a_discord_channel(
    call: Call, team: int, discord: tuple[DiscordFake, RunningServer], session: Session
) -> None:
    fake, server = discord
    hook = fake.create_webhook()
    url = webhook_url(server, hook)
    added = call("POST", "/addon/channels", ADMIN, json={"url": url, "kinds": ["sla", "exception_new"], "name": "ops"})
    assert added.status_code == 200, added.get_json()
    channel = added.get_json()
    assert channel["kinds"] == ["exception_new", "sla"] and channel["enabled"]
    assert hook.token not in channel["webhook"] and hook.id in channel["webhook"]  # the token is never shown

    tested = call("POST", "/addon/channels/test", ADMIN, json={"id": channel["id"]}).get_json()
    assert tested["sent"] is True
    [message] = fake.messages(hook.id)
    assert message["embeds"][0]["title"] == "OrderDeck is connected to ops"
    assert "exception_new, sla" in message["embeds"][0]["description"]
    assert ADMIN not in str(message)  # a member's name, never their address, in a Discord channel

    listed = call("GET", "/addon/channels", ADMIN).get_json()
    assert [c["name"] for c in listed["channels"]] == ["ops"] and "digest" in listed["kinds"]
    assert hook.token not in str(listed)

    removed = call("POST", "/addon/channels/remove", ADMIN, json={"id": channel["id"]})
    assert removed.status_code == 200
    assert call("GET", "/addon/channels", ADMIN).get_json()["channels"] == []
    assert call("POST", "/addon/channels/test", ADMIN, json={"id": channel["id"]}).status_code == 404
    actions = [a for (a,) in session.execute(select(AuditEntry.action).order_by(AuditEntry.id))]
    assert actions[-3:] == ["channel.add", "channel.test", "channel.remove"]


def test_a_refused_webhook_is_reported_and_turned_off_and_bad_urls_are_refused(
    call: Call, team: int, discord: tuple[DiscordFake, RunningServer], session: Session
) -> None:
    fake, server = discord
    hook = fake.create_webhook()
    channel = call("POST", "/addon/channels", ADMIN, json={"url": webhook_url(server, hook)}).get_json()
    del fake.webhooks[hook.id]  # deleted in Discord meanwhile
    tested = call("POST", "/addon/channels/test", ADMIN, json={"id": channel["id"]}).get_json()
    assert tested["sent"] is False and "Unknown Webhook" in tested["error"]
    assert tested["enabled"] is False and "Discord refused the webhook" in tested["problem"]

    for url, why in [
        ("https://evil.example/api/webhooks/1/x", "starts with https://discord.com/api/webhooks/"),
        ("https://discord.com/api/whatever", "not a Discord webhook URL"),
    ]:
        refused = call("POST", "/addon/channels", ADMIN, json={"url": url})
        assert refused.status_code == 400 and why in refused.get_json()["error"]["message"]
    unknown = call("POST", "/addon/channels", ADMIN, json={"url": webhook_url(server, hook), "kinds": ["gossip"]})
    assert unknown.status_code == 400 and "unknown notification kinds" in unknown.get_json()["error"]["message"]
    assert call("POST", "/addon/channels", SUPPORT, json={"url": webhook_url(server, hook)}).status_code == 403
    assert len(session.scalars(select(NotificationChannel)).all()) == 1


def test_a_production_backend_refuses_a_loopback_webhook(
    call: Call, team: int, addon_app: Flask, discord: tuple[DiscordFake, RunningServer]
) -> None:
    fake, server = discord
    config = addon_app.extensions["orderdeck.config"]
    addon_app.extensions["orderdeck.config"] = config.with_overrides(PUBLIC_BASE_URL="https://orderdeck.example")
    refused = call("POST", "/addon/channels", ADMIN, json={"url": webhook_url(server, fake.create_webhook())})
    assert refused.status_code == 400


def _case(board: dict[str, object], template: str) -> dict[str, object]:
    cases = board["cases"]
    assert isinstance(cases, list)
    return next(c for c in cases if c["template"] == template)


def test_support_fills_resolves_and_copies_the_buyer_message_and_the_leaderboard_counts_it(
    call: Call, team: int, session: Session
) -> None:
    raised = call("POST", "/addon/exceptions", PACKER, json={"template": "return_request",
                                                            "order_id": "576900000000000002"})  # fmt: skip
    assert raised.status_code == 400  # required fields: the sidebar form sends them
    raised = call("POST", "/addon/exceptions", SUPPORT, json={
        "template": "return_request", "order_id": "576900000000000002",
        "fields": {"seller_sku": "LIP-01", "quantity": "1", "return_by": "2026-12-20"}})  # fmt: skip
    assert raised.status_code == 200, raised.get_json()
    case = raised.get_json()
    assert case["missing"] == [] and case["handler_role"] == "support" and case["order_id"] == "576900000000000002"

    board = call("GET", "/addon/exceptions", SUPPORT).get_json()
    assert _case(board, "return_request")["id"] == case["id"]
    form = next(t for t in board["templates"] if t["key"] == "return_request")
    assert [(f["name"], f["type"]) for f in form["fields"]][:2] == [("seller_sku", "text"), ("quantity", "integer")]
    assert "solved" in board["outcomes"]
    assert call("GET", "/addon/exceptions", PACKER).get_json()["cases"] == []  # not warehouse's to handle
    assert call("GET", "/addon/exceptions", AGENCY).status_code == 403

    bad = call("POST", "/addon/exceptions/fields", SUPPORT, json={"id": case["id"], "fields": {"refund_amount": "x"}})
    assert bad.status_code == 400 and "refund_amount" in str(bad.get_json())
    filled = call("POST", "/addon/exceptions/fields", SUPPORT,
                  json={"id": case["id"], "fields": {"refund_amount": "12.50"}})  # fmt: skip
    assert filled.get_json()["fields"]["refund_amount"] == "12.50"

    message = call("GET", "/addon/exceptions/message", SUPPORT, query={"id": case["id"]}).get_json()
    assert message["language"] == "zh-Hans"  # the buyer wrote in Chinese
    assert "退款 GBP 12.50" in message["message"] and "576900000000000002" in message["message"]
    english = call("GET", "/addon/exceptions/message", SUPPORT, query={"id": case["id"], "language": "en"})
    assert "refund GBP 12.50" in english.get_json()["message"]
    assert call("GET", "/addon/exceptions/message", PACKER, query={"id": case["id"]}).status_code == 403

    assert (
        call("POST", "/addon/exceptions/resolve", PACKER, json={"id": case["id"], "outcome": "solved"}).status_code
        == 403
    )
    wrong = call("POST", "/addon/exceptions/resolve", SUPPORT, json={"id": case["id"], "outcome": "shrug"})
    assert wrong.status_code == 400 and "outcomes are" in wrong.get_json()["error"]["message"]
    done = call("POST", "/addon/exceptions/resolve", SUPPORT,
                json={"id": case["id"], "outcome": "refunded", "note": "label sent"})  # fmt: skip
    assert done.get_json()["status"] == "resolved" and done.get_json()["outcome"] == "refunded"
    again = call("POST", "/addon/exceptions/resolve", SUPPORT, json={"id": case["id"], "outcome": "refunded"})
    assert again.status_code == 409
    assert call("GET", "/addon/exceptions", SUPPORT).get_json()["cases"] == []

    auto = workflow.raise_exception(
        session, session.get_one(Team, team), "stock_out", actor=workflow.SYSTEM, dedupe_key="stock:LIP-01",
        fields={"seller_sku": "LIP-01", "quantity_short": 1},
    )  # fmt: skip
    workflow.resolve_automatic(session, auto, "stock arrived")
    session.commit()
    assert session.get_one(ExceptionCase, auto.id).outcome == "automatic"
    now = utcnow()
    samples = load_samples(session, team, now - timedelta(days=1), now + timedelta(minutes=1))
    week = (now - timedelta(days=1), now + timedelta(minutes=1))
    ranked = [s.member for stage in ("exception", "stock_out") for s in analytics.leaderboard(samples, stage, *week, 1)]
    assert ranked == [SUPPORT]  # the system's own closing does not rank
