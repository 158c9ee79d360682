"""The TikTok Shop sandbox refuses what TikTok refuses, in TikTok's envelope, and drives a living shop."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from flask import Flask, request

from backend.platforms.tiktok.signing import sign
from backend.platforms.tiktok.webhooks import verify_and_parse
from backend.sandbox.server import RunningServer, serve
from backend.sandbox.tiktok.world import HOUR
from backend.sandbox.tiktok_shop import TikTokShopSandbox

SEARCH = "/order/202309/orders/search"


@pytest.fixture
def sandbox() -> TikTokShopSandbox:
    return TikTokShopSandbox(seed=3)


@pytest.fixture
def server(sandbox: TikTokShopSandbox) -> Iterator[RunningServer]:
    running = sandbox.start()
    yield running
    running.stop()


@pytest.fixture
def session(sandbox: TikTokShopSandbox, server: RunningServer) -> dict[str, Any]:
    """A shop, an access token from a real code exchange, and the shop's cipher."""
    shop = sandbox.add_shop("Acme UK", "GB", orders=60)
    code = sandbox.issue_auth_code([shop.shop_id])
    query = {"app_key": sandbox.app_key, "app_secret": sandbox.app_secret, "auth_code": code,
             "grant_type": "authorized_code"}  # fmt: skip
    tokens = httpx.get(f"{server.url}/api/v2/token/get", params=query).json()["data"]
    return {"shop": shop, "token": tokens["access_token"], "refresh": tokens["refresh_token"], "code": code}


def call(
    sandbox: TikTokShopSandbox,
    server: RunningServer,
    method: str,
    path: str,
    *,
    token: str | None,
    params: dict[str, str] | None = None,
    body: bytes = b"",
    sent_body: bytes | None = None,
    timestamp: int | None = None,
) -> httpx.Response:
    """Sign like a client would; `sent_body` lets a test send different bytes from those signed."""
    query = {**(params or {}), "app_key": sandbox.app_key, "timestamp": str(timestamp or sandbox.now())}
    query["sign"] = sign(sandbox.app_secret, path, query, body)
    headers = {"content-type": "application/json"} | ({"x-tts-access-token": token} if token else {})
    content = body if sent_body is None else sent_body
    return httpx.request(method, server.url + path, params=query, content=content, headers=headers)


def envelope(response: httpx.Response) -> tuple[int, int, str]:
    body = response.json()
    assert set(body) == {"code", "message", "request_id", "data"} and body["request_id"]
    return response.status_code, body["code"], body["message"]


def test_a_body_reserialized_after_signing_is_rejected(sandbox: TikTokShopSandbox, server: RunningServer,
                                                       session: dict[str, Any]) -> None:  # fmt: skip
    signed = b'{"order_status":"AWAITING_SHIPMENT"}'
    resent = json.dumps(json.loads(signed)).encode()  # Python's default ", " / ": " separators
    params = {"page_size": "10", "shop_cipher": session["shop"].cipher}

    good = call(sandbox, server, "POST", SEARCH, token=session["token"], params=params, body=signed)
    bad = call(sandbox, server, "POST", SEARCH, token=session["token"], params=params, body=signed, sent_body=resent)

    assert envelope(good)[:2] == (200, 0)
    assert envelope(bad)[:2] == (401, 106001)


def test_the_access_token_belongs_in_the_header_not_the_query(
    sandbox: TikTokShopSandbox, server: RunningServer, session: dict[str, Any]
) -> None:
    params = {"access_token": session["token"]}
    response = call(sandbox, server, "GET", "/authorization/202309/shops", token=None, params=params)
    status, code, message = envelope(response)
    assert (status, code) == (401, 36009004) and "x-tts-access-token" in message


@pytest.mark.parametrize(("skew", "accepted"), [(-290, True), (-310, False), (25, True), (40, False)])
def test_timestamp_window(sandbox: TikTokShopSandbox, server: RunningServer, session: dict[str, Any],
                          skew: int, accepted: bool) -> None:  # fmt: skip
    response = call(sandbox, server, "GET", "/authorization/202309/shops", token=session["token"],
                    timestamp=sandbox.now() + skew)  # fmt: skip
    assert envelope(response)[1] == (0 if accepted else 36009004)


@pytest.mark.parametrize(
    ("method", "path", "params", "expected"),
    [
        ("GET", "/authorization/202309/shops", {"shop_cipher": "x"}, (400, 36009004)),  # unexpected cipher
        ("GET", "/logistics/202309/warehouses", {}, (400, 106013)),  # cipher required
        ("POST", SEARCH, {"page_size": "101"}, (400, 36009004)),
        ("GET", "/order/202309/orders", {"ids": ",".join(str(i) for i in range(51))}, (400, 36009004)),
        ("GET", "/order/202309/nowhere", {}, (404, 36009009)),
        ("DELETE", SEARCH, {}, (405, 36009010)),
    ],
)
def test_refusals_use_tiktoks_codes(sandbox: TikTokShopSandbox, server: RunningServer, session: dict[str, Any],
                                    method: str, path: str, params: dict[str, str],
                                    expected: tuple[int, int]) -> None:  # fmt: skip
    if path != "/authorization/202309/shops" and "shop_cipher" not in params and "warehouses" not in path:
        params = {**params, "shop_cipher": session["shop"].cipher}
    body = b"{}" if method == "POST" else b""
    assert (
        envelope(call(sandbox, server, method, path, token=session["token"], params=params, body=body))[:2] == expected
    )


def test_auth_codes_are_single_use_and_refresh_tokens_rotate(
    sandbox: TikTokShopSandbox, server: RunningServer, session: dict[str, Any]
) -> None:
    def token(path: str, **params: str) -> httpx.Response:
        base = {"app_key": sandbox.app_key, "app_secret": sandbox.app_secret}
        return httpx.get(f"{server.url}/api/v2/token/{path}", params=base | params)

    assert token("get", auth_code=session["code"], grant_type="authorized_code").json()["code"] == 36004004
    rotated = token("refresh", refresh_token=session["refresh"], grant_type="refresh_token").json()
    assert rotated["code"] == 0 and rotated["data"]["refresh_token"] != session["refresh"]
    assert token("refresh", refresh_token=session["refresh"], grant_type="refresh_token").json()["code"] == 36004005


def test_page_tokens_need_url_encoding_and_pages_cover_every_order_once(
    sandbox: TikTokShopSandbox, server: RunningServer, session: dict[str, Any]
) -> None:
    seen: list[str] = []
    page_token = ""
    while True:
        params = {"page_size": "7", "shop_cipher": session["shop"].cipher} | (
            {"page_token": page_token} if page_token else {}
        )
        data = call(sandbox, server, "POST", SEARCH, token=session["token"], params=params, body=b"{}").json()["data"]
        seen += [o["id"] for o in data["orders"]]
        page_token = data["next_page_token"]
        if not page_token:
            break
        assert "+" in page_token and "/" in page_token
    assert sorted(seen) == sorted(session["shop"].orders)


def test_faults_counters_and_log(sandbox: TikTokShopSandbox, server: RunningServer, session: dict[str, Any]) -> None:
    sandbox.faults.every = 3
    sandbox.reset_counters()
    codes = [call(sandbox, server, "GET", "/authorization/202309/shops", token=session["token"]).status_code
             for _ in range(6)]  # fmt: skip
    assert codes == [200, 200, 429, 200, 200, 503]
    assert sandbox.counters.total == 6 and sandbox.counters.faults_injected == 2
    assert [entry.status for entry in sandbox.log] == codes


def test_orders_move_on_and_signed_webhooks_arrive_with_duplicates(
    sandbox: TikTokShopSandbox, server: RunningServer, session: dict[str, Any]
) -> None:
    received: list[Any] = []
    receiver = Flask("receiver")

    @receiver.post("/hook")
    def hook() -> tuple[str, int]:
        received.append(verify_and_parse(sandbox.app_key, sandbox.app_secret, request.get_data(),
                                         request.headers.get("Authorization")))  # fmt: skip
        return "", 200

    shop = session["shop"]
    before = {oid: o.update_time(sandbox.now()) for oid, o in shop.orders.items()}
    with serve(receiver) as hook_server:
        body = json.dumps({"address": f"{hook_server.url}/hook", "event_type": "ORDER_STATUS_CHANGE"}).encode()
        put = call(sandbox, server, "PUT", "/event/202309/webhooks", token=session["token"],
                   params={"shop_cipher": shop.cipher}, body=body)  # fmt: skip
        assert envelope(put)[1] == 0
        sandbox.advance(2 * HOUR)
        delivered = sandbox.deliver_webhooks()

    moved = {oid for oid, o in shop.orders.items() if o.update_time(sandbox.now()) != before[oid]}
    assert moved and delivered == len(received)
    assert {e.order_id for e in received} == moved
    ids = [e.notification_id for e in received]
    assert len(ids) > len(set(ids))  # deliberate duplicates: receivers must dedupe
    assert any(e.data["order_status"] == "AWAITING_SHIPMENT" for e in received)  # ON_HOLD hour elapsed


def test_same_seed_same_world() -> None:
    def fingerprint() -> list[tuple[str, str, int]]:
        sandbox = TikTokShopSandbox(seed=11)
        shop = sandbox.add_shop("Acme MY", "MY", orders=40)
        now = sandbox.now()
        return [(o.order_id, o.status_at(now), o.create_time - now) for o in shop.orders.values()]

    first = fingerprint()
    time.sleep(0.01)
    assert first == fingerprint()
