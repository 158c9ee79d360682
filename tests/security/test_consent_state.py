"""A seller-consent state is opaque and works once, for the platform it was issued for; a platform that
is down during the consent redirect gets its error page, never a 500 (issue 14 class 1, issue 15)."""

from __future__ import annotations

import base64
import hashlib
import socket
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy import func, select, update

from backend import runtime
from backend.models import AuditEntry, ConsentState, Shop, utcnow
from backend.services import shops as shops_service
from tests.conftest import Live

ADMIN = "founder@acme.test"


def link(live: Live, platform: str, region: str = "MY") -> str:
    with live.app.app_context():
        return shops_service.consent_link(
            live.db, runtime.platform(), team_id=live.team_id, started_by=ADMIN, name=platform, region=region
        )


def state_of(url: str) -> str:
    query = parse_qs(urlsplit(url).query)
    if "redirect" in query:  # Shopee: our state rides in the redirect it will call back
        query = parse_qs(urlsplit(query["redirect"][0]).query)
    return query["state"][0]


def shop_count(live: Live) -> int:
    with live.db.session() as session:
        return int(session.scalar(select(func.count(Shop.id))) or 0)


def test_a_state_names_nothing_and_only_its_hash_is_kept(two_channels: Live) -> None:
    live = two_channels
    first, second = state_of(link(live, "tiktok")), state_of(link(live, "tiktok"))

    assert first != second and len(first) >= 43
    for text in (first, second):  # the old state was the team id signed in base64; this one is random bytes
        decoded = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        assert b"team" not in decoded.lower() and b"acme" not in decoded.lower() and len(decoded) == 32
    with live.db.session() as session:
        rows = session.scalars(select(ConsentState)).all()
        assert {r.state_hash for r in rows} == {hashlib.sha256(s.encode()).hexdigest() for s in (first, second)}
        assert all(first not in str(vars(r)) for r in rows)


def test_a_state_works_once_and_a_replayed_redirect_connects_nothing(two_channels: Live) -> None:
    live = two_channels
    shop = live.sandbox.add_shop("Acme MY", "MY")
    state = state_of(link(live, "tiktok"))

    first = httpx.get(
        f"{live.url}/oauth/tiktok/callback",
        params={"code": live.sandbox.issue_auth_code([shop.shop_id]), "state": state},
    )
    assert first.status_code == 200 and "Acme MY" in first.text
    other = live.sandbox.add_shop("Stolen US", "US")
    again = httpx.get(
        f"{live.url}/oauth/tiktok/callback",
        params={"code": live.sandbox.issue_auth_code([other.shop_id]), "state": state},
    )
    assert again.status_code == 403 and "already used" in again.text and "text/html" in again.headers["content-type"]
    assert shop_count(live) == 1
    with live.db.session() as session:  # the admin who started it is who connected it
        actor = session.scalar(select(AuditEntry.actor).where(AuditEntry.action == "shop.connect"))
    assert actor == ADMIN


def test_a_state_is_spent_only_by_its_own_platform_and_not_after_it_expires(two_channels: Live) -> None:
    live = two_channels
    assert live.shopee is not None
    tiktok_state = state_of(link(live, "tiktok"))
    shopee_shop = live.shopee.add_shop("Acme SG", "SG")
    code = live.shopee.authorize_shop(shopee_shop.shop_id)
    crossed = httpx.get(
        f"{live.url}/oauth/shopee/callback",
        params={"code": code, "shop_id": shopee_shop.shop_id, "state": tiktok_state},
    )
    assert crossed.status_code == 403 and shop_count(live) == 0

    shopee_state = state_of(link(live, "shopee", "SG"))
    with live.db.session() as session:
        session.execute(update(ConsentState).values(expires_at=utcnow() - timedelta(seconds=1)))
    late = httpx.get(
        f"{live.url}/oauth/shopee/callback",
        params={"code": code, "shop_id": shopee_shop.shop_id, "state": shopee_state},
    )
    assert late.status_code == 403 and "expired" in late.text and shop_count(live) == 0
    unknown = httpx.get(f"{live.url}/oauth/nowhere/callback", params={"code": "x", "state": tiktok_state})
    assert unknown.status_code == 404 and "not connected" in unknown.text


def test_the_consent_callback_shows_its_page_when_tiktok_is_down(two_channels: Live) -> None:
    live = two_channels
    shop = live.sandbox.add_shop("Acme MY", "MY")
    live.sandbox.faults.every, live.sandbox.faults.statuses = 1, (503,)  # every API call; the token host answers

    page = httpx.get(
        f"{live.url}/oauth/tiktok/callback",
        params={"code": live.sandbox.issue_auth_code([shop.shop_id]), "state": state_of(link(live, "tiktok"))},
        timeout=30,
    )

    assert page.status_code == 503 and "text/html" in page.headers["content-type"]
    assert "Shop not connected" in page.text and "TikTok Shop did not answer" in page.text
    assert "start connecting the shop again" in page.text and shop_count(live) == 0


def test_the_consent_callback_shows_its_page_when_shopee_cannot_be_reached(two_channels: Live) -> None:
    live = two_channels
    assert live.shopee is not None
    shop = live.shopee.add_shop("Acme MY", "MY")
    code = live.shopee.authorize_shop(shop.shop_id)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{closed.getsockname()[1]}"
    config = live.app.extensions["orderdeck.config"]
    live.app.extensions["orderdeck.config"] = config.with_overrides(SHOPEE_API_BASE=dead)

    page = httpx.get(
        f"{live.url}/oauth/shopee/callback",
        params={"code": code, "shop_id": shop.shop_id, "state": state_of(link(live, "shopee"))},
        timeout=30,
    )

    assert page.status_code == 503 and "text/html" in page.headers["content-type"]
    assert "Shopee did not answer" in page.text and shop_count(live) == 0
