"""Shop authorization: the consent link, code → tokens, and refresh (public-signed POSTs).

Shopee "Authorization and Authentication" guide (open.shopee.com/developer-guide/20): the link is
/api/v2/shop/auth_partner with a public signature valid 5 minutes; the redirect brings a code (single
use, 10 minutes) with `shop_id`, or with `main_account_id` when a main account (cross-border sellers)
authorized several shops at once. /api/v2/auth/token/get answers one pair (4 h access, 30 d refresh)
and, for a main account, `shop_id_list` and `merchant_id_list`; the pair is shared until the first
refresh, which /api/v2/auth/access_token/get does per shop: each refresh token works once, and the
answer is that shop's own new pair.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from backend.errors import PlatformPayloadError
from backend.platforms.base import TokenSet
from backend.platforms.http import ClientStats, RetryPolicy, ServerClock, exchange, explained_skew, recovering
from backend.platforms.shopee.errors import unwrap
from backend.platforms.shopee.signing import ShopeeSigner, base_string, sign

DEFAULT_API_BASE = "https://partner.shopeemobile.com"
AUTH_PARTNER_PATH = "/api/v2/shop/auth_partner"
REFRESH_TOKEN_LIFETIME = timedelta(days=30)


def consent_link(base_url: str, partner_id: str, partner_key: str, redirect: str, now: float) -> str:
    """Where the seller authorizes the app; its signature (and so the link) is valid for 5 minutes."""
    timestamp = int(now)
    signature = sign(partner_key, base_string(partner_id, AUTH_PARTNER_PATH, timestamp))
    query = urlencode({"partner_id": partner_id, "timestamp": timestamp, "sign": signature, "redirect": redirect})
    return f"{base_url.rstrip('/')}{AUTH_PARTNER_PATH}?{query}"


@dataclass(frozen=True)
class TokenGrant:
    """A token answer: the pair, and for a main account the shops and merchants it covers."""

    tokens: TokenSet
    shop_ids: tuple[str, ...]
    merchant_ids: tuple[str, ...]


def _token_set(data: dict[str, Any], now: float, grant_id: str) -> TokenSet:
    access, refresh, expire_in = data.get("access_token"), data.get("refresh_token"), data.get("expire_in")
    if not access or not refresh or not isinstance(expire_in, int) or isinstance(expire_in, bool):
        raise PlatformPayloadError("Shopee's token answer lacks access_token, refresh_token or expire_in")
    issued = datetime.fromtimestamp(now, UTC)
    return TokenSet(
        access_token=str(access),
        access_expires_at=issued + timedelta(seconds=expire_in),
        refresh_token=str(refresh),
        refresh_expires_at=issued + REFRESH_TOKEN_LIFETIME,
        grant_id=grant_id,
    )


class ShopeeAuthClient:
    """Token calls. Both spend what they are given, so only calls Shopee provably did not see are retried."""

    def __init__(
        self,
        partner_id: str,
        partner_key: str,
        *,
        base_url: str = DEFAULT_API_BASE,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] = time.time,
        timeout: float = 30.0,
    ) -> None:
        self._partner_id = partner_id
        self.clock = ServerClock(clock)
        self._http = httpx.Client(
            base_url=base_url,
            transport=transport,
            timeout=timeout,
            auth=ShopeeSigner(partner_id, partner_key, self.clock.now),
        )
        self._retry = retry or RetryPolicy()
        self.stats = ClientStats()

    def close(self) -> None:
        self._http.close()

    def _post(self, path: str, body: dict[str, object]) -> dict[str, Any]:
        request = self._http.build_request("POST", path, json={**body, "partner_id": int(self._partner_id)})
        return recovering(
            lambda: exchange(self._http, request, self.stats, self.clock, unwrap),
            None,
            idempotent=False,
            policy=self._retry,
            stats=self.stats,
            explain_skew=lambda exc: explained_skew(exc, self.clock, "Shopee", "5 minutes"),
        )

    def exchange_code(self, code: str, *, shop_id: str = "", main_account_id: str = "") -> TokenGrant:
        """Auth code (single use, 10 min) → the first pair; exactly one of shop_id / main_account_id."""
        who = {"shop_id": int(shop_id)} if shop_id else {"main_account_id": int(main_account_id)}
        data = self._post("/api/v2/auth/token/get", {"code": code, **who})
        grant_id = f"main:{main_account_id}" if main_account_id else f"shop:{shop_id}"
        shops = tuple(str(s) for s in data.get("shop_id_list") or ()) or ((shop_id,) if shop_id else ())
        merchants = tuple(str(m) for m in data.get("merchant_id_list") or ())
        return TokenGrant(_token_set(data, self.clock.now(), grant_id), shops, merchants)

    def refresh(self, refresh_token: str, shop_id: str) -> TokenSet:
        """That shop's new pair; the refresh token given is spent once this returns."""
        data = self._post("/api/v2/auth/access_token/get", {"refresh_token": refresh_token, "shop_id": int(shop_id)})
        return _token_set(data, self.clock.now(), f"shop:{shop_id}")


@dataclass
class ShopRefresher:
    """One shop's refresh (a backend.platforms.tokens.Refresher): Shopee refreshes per shop id."""

    auth: ShopeeAuthClient
    shop_id: str

    def refresh(self, refresh_token: str) -> TokenSet:
        return self.auth.refresh(refresh_token, self.shop_id)
