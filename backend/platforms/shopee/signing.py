"""Shopee Open Platform v2 request and push signatures, the request signer as an httpx.Auth.

Shopee's "API calls" guide (open.shopee.com/developer-guide/16) and "Authorization and
Authentication" guide (/developer-guide/20): the base string is partner_id + API path + timestamp,
then access_token + shop_id for shop APIs or access_token + merchant_id for merchant APIs; `sign` is
lower-case hex HMAC-SHA256 of it keyed with the partner key's own bytes. Query parameters and the
body are not signed. A push carries HMAC-SHA256(partner key, callback URL + "|" + raw body) in its
`Authorization` header ("Push Mechanism", /developer-guide/18).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Generator
from enum import StrEnum

import httpx

COMMON = frozenset({"partner_id", "timestamp", "sign", "access_token", "shop_id", "merchant_id"})


class Level(StrEnum):
    """Which common parameters an API takes, hence what its signature covers."""

    PUBLIC = "public"
    SHOP = "shop"
    MERCHANT = "merchant"


# Path prefix → level; every other /api/v2 path is a shop API (the guide's three API types).
LEVELS: tuple[tuple[str, Level], ...] = (
    ("/api/v2/auth/", Level.PUBLIC),
    ("/api/v2/public/", Level.PUBLIC),
    ("/api/v2/push/", Level.PUBLIC),
    ("/api/v2/shop/auth_partner", Level.PUBLIC),
    ("/api/v2/merchant/", Level.MERCHANT),
    ("/api/v2/global_product/", Level.MERCHANT),
)


def level_of(path: str) -> Level:
    return next((level for prefix, level in LEVELS if path.startswith(prefix)), Level.SHOP)


def base_string(partner_id: str, path: str, timestamp: int, access_token: str = "", scope_id: str = "") -> str:
    """The guide's base string: public APIs stop after the timestamp."""
    return f"{partner_id}{path}{timestamp}{access_token}{scope_id}"


def sign(partner_key: str, base: str) -> str:
    return hmac.new(partner_key.encode(), base.encode(), hashlib.sha256).hexdigest()


def push_signature(partner_key: str, callback_url: str, raw_body: bytes) -> str:
    """The `Authorization` Shopee sends with a push to `callback_url` (the sandbox signs with it too)."""
    return hmac.new(partner_key.encode(), callback_url.encode() + b"|" + raw_body, hashlib.sha256).hexdigest()


def verify_push(partner_key: str, callback_url: str, raw_body: bytes, authorization: str | None) -> bool:
    """Constant-time check over the exact bytes received (re-serialized JSON would not match)."""
    if not authorization:
        return False
    expected = push_signature(partner_key, callback_url, raw_body)
    return hmac.compare_digest(expected, authorization.strip().lower())


class ShopeeSigner(httpx.Auth):
    """Adds partner_id, a fresh timestamp, the token and shop (or merchant) id and `sign` to each attempt.

    `access_token` is asked on every attempt, so a refreshed token is picked up by the retry.
    """

    def __init__(
        self,
        partner_id: str,
        partner_key: str,
        now: Callable[[], float],
        access_token: Callable[[], str] | None = None,
        *,
        shop_id: str = "",
        merchant_id: str = "",
    ) -> None:
        self._partner_id, self._partner_key, self._now = partner_id, partner_key, now
        self._access_token, self._shop_id, self._merchant_id = access_token, shop_id, merchant_id

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        path = request.url.path
        params = {k: v for k, v in request.url.params.items() if k not in COMMON}
        timestamp = int(self._now())
        params |= {"partner_id": self._partner_id, "timestamp": str(timestamp)}
        level = level_of(path)
        token, scope = "", ""
        if level is not Level.PUBLIC:
            token = self._access_token() if self._access_token else ""
            scope = self._shop_id if level is Level.SHOP else self._merchant_id
            params |= {"access_token": token, "shop_id" if level is Level.SHOP else "merchant_id": scope}
        params["sign"] = sign(self._partner_key, base_string(self._partner_id, path, timestamp, token, scope))
        request.url = request.url.copy_with(params=params)
        yield request
