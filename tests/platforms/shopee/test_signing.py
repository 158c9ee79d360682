"""Shopee signatures: the guide's base strings, the three API levels, and pushes over the raw bytes.

Shopee's guides publish base strings and demo keys but no signature made with a published key, so the
expected values below were computed once from those published inputs (the base strings of the "API
calls" guide, the partner key of the "Authorization and Authentication" guide's PHP demo) and pinned.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from backend.platforms.shopee.auth import consent_link
from backend.platforms.shopee.signing import (
    Level,
    ShopeeSigner,
    base_string,
    level_of,
    push_signature,
    sign,
    verify_push,
)

DEMO_KEY = "57615053704d6470644f554a78656d50484143644964436a5568777544524579"  # the guide's PHP demo key
PUSH_BODY = (
    b'{"data":{"items":[],"ordersn":"2112132KAD867D","status":"READY_TO_SHIP","update_time":1639390316},'
    b'"shop_id":30011,"code":3,"timestamp":1639390316}'
)


@pytest.mark.parametrize(
    ("base", "args", "expected"),
    [
        # Shop API example of the "API calls" guide.
        ("2001887/api/v2/shop/get_shop_info165571443159777174636562737266615546704c6d14701711",
         ("2001887", "/api/v2/shop/get_shop_info", 1655714431, "59777174636562737266615546704c6d", "14701711"),
         "b914bea03c13799deb036bb9d10e689f5a6bade160c44af568646f1ef7d796c1"),
        # Merchant API example.
        ("2001887/api/v2/global_product/get_category165571443109777174636962737266615546704c6d1000000",
         ("2001887", "/api/v2/global_product/get_category", 1655714431, "09777174636962737266615546704c6d", "1000000"),
         "a50a2229b148e76048e21ad69a9d619885a21bd4aa7738bc524e1207df73a151"),
        # Public API example.
        ("2001887/api/v2/public/get_shops_by_partner1655714431",
         ("2001887", "/api/v2/public/get_shops_by_partner", 1655714431, "", ""),
         "60ab8c4a535009ab33b8a0029ee18a667ef6eaeb16481ed3d573a5059122d4df"),
    ],
)  # fmt: skip
def test_the_guides_base_strings_and_their_pinned_signatures(
    base: str, args: tuple[str, str, int, str, str], expected: str
) -> None:
    assert base_string(*args) == base
    assert sign(DEMO_KEY, base) == hmac.new(DEMO_KEY.encode(), base.encode(), hashlib.sha256).hexdigest()
    assert sign(DEMO_KEY, base) == expected


def test_every_api_is_signed_at_its_level() -> None:
    assert level_of("/api/v2/auth/token/get") is Level.PUBLIC
    assert level_of("/api/v2/shop/auth_partner") is Level.PUBLIC
    assert level_of("/api/v2/push/set_app_push_config") is Level.PUBLIC
    assert level_of("/api/v2/merchant/get_merchant_info") is Level.MERCHANT
    assert level_of("/api/v2/shop/get_shop_info") is Level.SHOP
    assert level_of("/api/v2/order/get_order_list") is Level.SHOP


@pytest.mark.parametrize(
    ("path", "scope", "signed"),
    [
        ("/api/v2/order/get_order_list", "shop_id", "2001887/api/v2/order/get_order_list1700000000TOKEN14701711"),
        (
            "/api/v2/merchant/get_merchant_info",
            "merchant_id",
            "2001887/api/v2/merchant/get_merchant_info1700000000TOKEN99",
        ),
        ("/api/v2/auth/token/get", None, "2001887/api/v2/auth/token/get1700000000"),
    ],
)
def test_the_signer_adds_the_common_parameters_of_each_level(path: str, scope: str | None, signed: str) -> None:
    request = httpx.Request("GET", f"https://x{path}", params={"cursor": "20", "sign": "stale", "timestamp": "1"})
    signer = ShopeeSigner(
        "2001887", DEMO_KEY, lambda: 1700000000.7, lambda: "TOKEN", shop_id="14701711", merchant_id="99"
    )
    params = dict(next(signer.auth_flow(request)).url.params)
    assert params["timestamp"] == "1700000000" and params["cursor"] == "20"
    assert params["sign"] == sign(DEMO_KEY, signed)
    if scope is None:
        assert "access_token" not in params and "shop_id" not in params
    else:
        assert params["access_token"] == "TOKEN" and scope in params


def test_the_consent_link_is_public_signed_and_carries_the_redirect() -> None:
    link = consent_link(
        "https://partner.shopeemobile.com", "2001887", DEMO_KEY, "https://od.example/cb?state=s1", 1700000000
    )
    query = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
    assert urlsplit(link).path == "/api/v2/shop/auth_partner"
    assert query["redirect"] == "https://od.example/cb?state=s1"
    assert query["sign"] == sign(DEMO_KEY, "2001887/api/v2/shop/auth_partner1700000000")


def test_a_push_is_verified_over_the_url_and_the_exact_bytes() -> None:
    url = "https://example.com/shopee/push"
    vector = "c4e7ed2ec9b308cb6c1d8a086ae83123539ffd410f479e03a188798079805c59"
    assert push_signature(DEMO_KEY, url, PUSH_BODY) == vector
    assert verify_push(DEMO_KEY, url, PUSH_BODY, vector.upper())
    reserialized = json.dumps(json.loads(PUSH_BODY)).encode()
    assert not verify_push(DEMO_KEY, url, reserialized, vector)
    assert not verify_push(DEMO_KEY, url + "/", PUSH_BODY, vector)
    assert not verify_push(DEMO_KEY, url, PUSH_BODY.replace(b"READY_TO_SHIP", b"COMPLETED"), vector)
    assert not verify_push(DEMO_KEY, url, PUSH_BODY, None)
