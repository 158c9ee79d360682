"""The Shopee sandbox refuses what Shopee refuses, in Shopee's envelope, and drives a living shop."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from flask import Flask, request

from backend.platforms.shopee.auth import consent_link
from backend.platforms.shopee.signing import base_string, sign, verify_push
from backend.platforms.shopee.webhooks import parse_push
from backend.sandbox.server import RunningServer, serve
from backend.sandbox.shopee import ShopeeSandbox
from backend.sandbox.tiktok.world import DAY, HOUR

ORDERS = "/api/v2/order/get_order_list"


@pytest.fixture
def sandbox() -> ShopeeSandbox:
    return ShopeeSandbox(seed=3)


@pytest.fixture
def server(sandbox: ShopeeSandbox) -> Iterator[RunningServer]:
    running = sandbox.start()
    yield running
    running.stop()


def public(sandbox: ShopeeSandbox, server: RunningServer, path: str, body: dict[str, Any]) -> httpx.Response:
    now = sandbox.now()
    query = {"partner_id": sandbox.partner_id, "timestamp": str(now),
             "sign": sign(sandbox.partner_key, base_string(sandbox.partner_id, path, now))}  # fmt: skip
    return httpx.post(f"{server.url}{path}", params=query, json=body)


@pytest.fixture
def session(sandbox: ShopeeSandbox, server: RunningServer) -> dict[str, Any]:
    shop = sandbox.add_shop("Acme SG", "SG", orders=80)
    code = sandbox.authorize_shop(shop.shop_id)
    answer = public(sandbox, server, "/api/v2/auth/token/get",
                    {"code": code, "shop_id": shop.shop_id, "partner_id": int(sandbox.partner_id)}).json()  # fmt: skip
    return {"shop": shop, "token": answer["access_token"], "refresh": answer["refresh_token"], "code": code}


def call(
    sandbox: ShopeeSandbox,
    server: RunningServer,
    path: str,
    session: dict[str, Any],
    params: dict[str, Any] | None = None,
    *,
    timestamp: int | None = None,
    key: str | None = None,
) -> httpx.Response:
    """A shop-level GET signed as a client signs it."""
    stamp, shop_id, token = timestamp or sandbox.now(), str(session["shop"].shop_id), session["token"]
    signature = sign(key or sandbox.partner_key, base_string(sandbox.partner_id, path, stamp, token, shop_id))
    query = {**(params or {}), "partner_id": sandbox.partner_id, "timestamp": stamp, "access_token": token,
             "shop_id": shop_id, "sign": signature}  # fmt: skip
    return httpx.get(f"{server.url}{path}", params=query)


def error(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["error"], body["message"]


def window(sandbox: ShopeeSandbox, days: float, **extra: Any) -> dict[str, Any]:
    end = sandbox.now()
    return {
        "time_range_field": "update_time",
        "time_from": int(end - days * DAY),
        "time_to": end,
        "page_size": 100,
        **extra,
    }


def test_a_good_call_answers_in_the_envelope(
    sandbox: ShopeeSandbox, server: RunningServer, session: dict[str, Any]
) -> None:
    body = call(sandbox, server, ORDERS, session, window(sandbox, 15)).json()
    assert body["error"] == "" and body["request_id"]
    assert body["response"]["order_list"] and set(body["response"]) == {"more", "next_cursor", "order_list"}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"key": "wrong-key"}, (403, "error_sign", "Wrong sign.")),
        ({"timestamp_shift": -301}, (400, "error_param", "Timestamp is expired.")),
        ({"timestamp_shift": 301}, (400, "error_param", "Timestamp is expired.")),
    ],
)
def test_signature_and_timestamp_are_checked(
    sandbox: ShopeeSandbox,
    server: RunningServer,
    session: dict[str, Any],
    change: dict[str, Any],
    expected: tuple[int, str, str],
) -> None:
    with sandbox.clock.stopped():  # a second ticking before Shopee reads the stamp would bring 301 s back to 300
        stamp = sandbox.now() + change.get("timestamp_shift", 0)
        response = call(sandbox, server, ORDERS, session, window(sandbox, 1), timestamp=stamp, key=change.get("key"))
    assert error(response) == expected


def test_a_token_opens_only_its_shop_and_not_after_it_expires(
    sandbox: ShopeeSandbox, server: RunningServer, session: dict[str, Any]
) -> None:
    other = sandbox.add_shop("Other", "SG")
    foreign = call(sandbox, server, "/api/v2/shop/get_shop_info", {**session, "shop": other})
    assert error(foreign) == (403, "error_auth", "Invalid access_token.")
    sandbox.expire_access_tokens()
    assert error(call(sandbox, server, "/api/v2/shop/get_shop_info", session))[1] == "error_auth"


def test_windows_pages_and_batches_are_limited(
    sandbox: ShopeeSandbox, server: RunningServer, session: dict[str, Any]
) -> None:
    assert error(call(sandbox, server, ORDERS, session, window(sandbox, 15.01)))[1] == "order.order_list_invalid_time"
    assert error(call(sandbox, server, ORDERS, session, window(sandbox, 1, page_size=101)))[1] == "error_param"
    many = ",".join(list(session["shop"].orders)[:51])
    detail = call(sandbox, server, "/api/v2/order/get_order_detail", session, {"order_sn_list": many})
    assert error(detail)[1] == "error_param"


def test_the_cursor_walks_every_order_once(
    sandbox: ShopeeSandbox, server: RunningServer, session: dict[str, Any]
) -> None:
    seen: list[str] = []
    cursor = ""
    while True:
        data = call(sandbox, server, ORDERS, session, window(sandbox, 15, page_size=7, cursor=cursor)).json()[
            "response"
        ]
        seen += [o["order_sn"] for o in data["order_list"]]
        if not data["more"]:
            break
        cursor = data["next_cursor"]
    expected = {
        sn for sn, o in session["shop"].orders.items() if o.update_time(sandbox.now()) >= sandbox.now() - 15 * DAY
    }
    assert len(seen) == len(set(seen)) and set(seen) == expected


def test_optional_fields_come_only_when_asked(
    sandbox: ShopeeSandbox, server: RunningServer, session: dict[str, Any]
) -> None:
    sn = next(iter(session["shop"].orders))
    bare = call(sandbox, server, "/api/v2/order/get_order_detail", session, {"order_sn_list": sn}).json()
    asked = call(sandbox, server, "/api/v2/order/get_order_detail", session,
                 {"order_sn_list": sn, "response_optional_fields": "item_list,total_amount"}).json()  # fmt: skip
    assert "item_list" not in bare["response"]["order_list"][0]
    assert {"item_list", "total_amount"} <= set(asked["response"]["order_list"][0])
    assert isinstance(asked["response"]["order_list"][0]["item_list"][0]["model_discounted_price"], float)


def test_codes_work_once_and_refresh_tokens_rotate(
    sandbox: ShopeeSandbox, server: RunningServer, session: dict[str, Any]
) -> None:
    shop_id = session["shop"].shop_id
    again = public(sandbox, server, "/api/v2/auth/token/get",
                   {"code": session["code"], "shop_id": shop_id, "partner_id": int(sandbox.partner_id)})  # fmt: skip
    assert error(again)[1:] == ("error_param", "Invalid code.")
    body = {"refresh_token": session["refresh"], "shop_id": shop_id, "partner_id": int(sandbox.partner_id)}
    fresh = public(sandbox, server, "/api/v2/auth/access_token/get", body).json()
    assert fresh["refresh_token"] != session["refresh"] and fresh["expire_in"] == 4 * HOUR
    assert error(public(sandbox, server, "/api/v2/auth/access_token/get", body))[1:] == (
        "error_auth",
        "Invalid refresh_token.",
    )


def test_the_consent_page_redirects_with_a_code_for_the_signed_in_seller(
    sandbox: ShopeeSandbox, server: RunningServer
) -> None:
    shop = sandbox.add_shop("Consent MY", "MY")
    link = consent_link(
        server.url, sandbox.partner_id, sandbox.partner_key, "https://od.example/cb?state=abc", sandbox.now()
    )
    assert httpx.get(link).json()["error"] == "error_auth"  # nobody signed in to the sandbox's Seller Centre
    sandbox.consenting = {"shop_id": str(shop.shop_id)}
    redirect = httpx.get(link)
    query = parse_qs(urlsplit(redirect.headers["location"]).query)
    assert redirect.status_code == 302 and query["state"] == ["abc"] and query["shop_id"] == [str(shop.shop_id)]
    stale = consent_link(
        server.url, sandbox.partner_id, sandbox.partner_key, "https://od.example/cb", sandbox.now() - 600
    )
    assert httpx.get(stale).json()["message"] == "Timestamp is expired."


def test_orders_move_on_and_signed_pushes_arrive(
    sandbox: ShopeeSandbox, server: RunningServer, session: dict[str, Any]
) -> None:
    received: list[Any] = []
    receiver = Flask("receiver")

    @receiver.post("/push")
    def push() -> tuple[str, int]:
        assert verify_push(
            sandbox.partner_key, request.base_url, request.get_data(), request.headers.get("Authorization")
        )
        received.append(parse_push(request.get_data()))
        return "", 204

    shop = session["shop"]
    before = {sn: o.status_at(sandbox.now()) for sn, o in shop.orders.items()}
    with serve(receiver) as hook_server:
        config = public(sandbox, server, "/api/v2/push/set_app_push_config",
                        {"callback_url": f"{hook_server.url}/push", "set_push_config_on": [3, 4]})  # fmt: skip
        assert config.json()["error"] == ""
        sandbox.advance(12 * HOUR)
        delivered = sandbox.deliver_pushes()

    moved = {sn for sn, o in shop.orders.items() if o.status_at(sandbox.now()) != before[sn]}
    assert moved and delivered == len(received)
    assert {e.order_id for e in received} == moved


def test_same_seed_same_world() -> None:
    def fingerprint() -> list[tuple[str, str, int]]:
        sandbox = ShopeeSandbox(seed=11)
        with sandbox.clock.stopped():  # a second ticking between seeding and reading would shift every age
            shop = sandbox.add_shop("Acme MY", "MY", orders=40)
            now = sandbox.now()
        return [(sn[6:], o.status_at(now), o.create_time - now) for sn, o in shop.orders.items()]

    first = fingerprint()
    time.sleep(0.01)
    assert first == fingerprint()
