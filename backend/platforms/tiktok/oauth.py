"""Seller consent and tokens: consent URL with a signed expiring state, code exchange, refresh.

Token endpoints live on their own host and are unsigned GETs (reference §3). Refresh rotates the
refresh token, so `RotatingTokens` hands every new pair to the caller's `on_rotate` before using it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from backend.platforms.base import TokenSet
from backend.platforms.tiktok.errors import ReauthorizationNeeded, TikTokError
from backend.platforms.tiktok.mapping import map_token_set
from backend.platforms.tiktok.transport import ClientStats, RetryPolicy, send, unwrap, with_retries

DEFAULT_AUTH_BASE = "https://auth.tiktok-shops.com"
AUTH_CODE_LIFETIME_SECONDS = 30 * 60


class ConsentStateError(TikTokError):
    """The `state` on a consent redirect is forged, malformed or too old."""


class ConsentState:
    """Signs the team id into `state` so the redirect maps back to who started it, and expires it."""

    def __init__(self, secret: str, max_age_seconds: int = AUTH_CODE_LIFETIME_SECONDS) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="orderdeck.tiktok.consent")
        self._max_age = max_age_seconds

    def issue(self, team_id: int | str) -> str:
        return self._serializer.dumps({"team": str(team_id)})

    def team_id(self, state: str) -> str:
        try:
            payload = self._serializer.loads(state, max_age=self._max_age)
        except SignatureExpired as exc:
            raise ConsentStateError("the TikTok consent link expired; start connecting the shop again") from exc
        except BadSignature as exc:
            raise ConsentStateError("the TikTok consent state is not one we issued") from exc
        return str(payload["team"])


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


class RotatingTokens:
    """A TokenSource over a TokenSet: refreshes on demand and reports each rotation to `on_rotate`.

    `on_rotate` should persist the pair atomically (the old refresh token is dead once TikTok rotates).
    A lock keeps two threads from spending the same refresh token.
    """

    def __init__(
        self, auth: TikTokAuthClient, tokens: TokenSet, on_rotate: Callable[[TokenSet], None] = lambda _: None
    ) -> None:
        self._auth = auth
        self.tokens = tokens
        self._on_rotate = on_rotate
        self._lock = threading.Lock()

    def access_token(self) -> str:
        return self.tokens.access_token

    def refresh(self, stale_access_token: str) -> str:
        """Refresh unless another thread already replaced `stale_access_token`."""
        with self._lock:
            if self.tokens.access_token != stale_access_token:
                return self.tokens.access_token
            try:
                fresh = self._auth.refresh(self.tokens.refresh_token)
            except ReauthorizationNeeded as exc:
                seller = self.tokens.seller_name or self.tokens.open_id or "this seller"
                raise ReauthorizationNeeded(
                    f"TikTok refused the refresh token for {seller} ({exc.message}); "
                    "the seller must reconnect the shop",
                    code=exc.code,
                    request_id=exc.request_id,
                ) from exc
            self._on_rotate(fresh)
            self.tokens = fresh
            return fresh.access_token
