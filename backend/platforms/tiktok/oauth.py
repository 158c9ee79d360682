"""Seller consent and tokens: the consent URL, code exchange and refresh on TikTok's token host.

Token endpoints live on their own host and are unsigned GETs carrying app_key and app_secret
(TikTok Shop Partner Center, "Authorization overview"). Refresh rotates the refresh token, so the
caller persists every new pair before using it (backend.platforms.tokens.RotatingTokens).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from backend.platforms.base import TokenSet
from backend.platforms.http import ClientStats, RetryPolicy, send, with_retries
from backend.platforms.tiktok.mapping import map_token_set
from backend.platforms.tiktok.transport import unwrap

DEFAULT_AUTH_BASE = "https://auth.tiktok-shops.com"
AUTH_CODE_LIFETIME_SECONDS = 30 * 60


def consent_url(authorize_url: str, state: str) -> str:
    """The seller consent page (`TIKTOK_AUTHORIZE_URL`, e.g. …/open/authorize?service_id=…) plus `state`."""
    parts = urlsplit(authorize_url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "state"] + [("state", state)]
    return urlunsplit(parts._replace(query=urlencode(query)))


class TikTokAuthClient:
    """Calls the token host. Exchange and refresh are single-use, so only unprocessed calls are retried."""

    def __init__(
        self,
        app_key: str,
        app_secret: str,
        *,
        base_url: str = DEFAULT_AUTH_BASE,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
    ) -> None:
        self._app_key = app_key
        self._app_secret = app_secret
        self._http = httpx.Client(base_url=base_url, transport=transport, timeout=timeout)
        self._retry = retry or RetryPolicy()
        self.stats = ClientStats()

    def close(self) -> None:
        self._http.close()

    def _get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        query = {"app_key": self._app_key, "app_secret": self._app_secret, **params}
        request = self._http.build_request("GET", path, params=query)
        return with_retries(
            lambda: unwrap(send(self._http, request, self.stats)),
            idempotent=False,
            policy=self._retry,
            stats=self.stats,
        )

    def exchange_code(self, auth_code: str) -> TokenSet:
        """Auth code (single use, 30 min) → tokens. Note TikTok's literal `authorized_code`."""
        return map_token_set(self._get("/api/v2/token/get", {"auth_code": auth_code, "grant_type": "authorized_code"}))

    def refresh(self, refresh_token: str) -> TokenSet:
        """A new pair; the old refresh token must be considered spent once this returns."""
        data = self._get("/api/v2/token/refresh", {"refresh_token": refresh_token, "grant_type": "refresh_token"})
        return map_token_set(data)
