"""TikTok Shop request signing (202309 style), as an httpx.Auth so every retry is re-signed.

Algorithm (reference §2): query minus `sign`/`access_token`, ordinal-sorted `{k}{v}` with decoded
values, prefixed by the URL path, plus the raw body bytes unless multipart, wrapped in the secret,
lower-case hex HMAC-SHA256. The body is signed from `request.content`, i.e. the bytes httpx sends.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Generator, Mapping

import httpx

UNSIGNED_PARAMS = frozenset({"sign", "access_token"})
TOKEN_HEADER = "x-tts-access-token"  # noqa: S105 - a header name, not a secret


def is_multipart(content_type: str) -> bool:
    """Multipart bodies are not signed; compare the media type only (boundary parameters vary)."""
    return content_type.split(";", 1)[0].strip().lower() == "multipart/form-data"


def sign(
    app_secret: str,
    path: str,
    query: Mapping[str, str],
    body: bytes = b"",
    content_type: str = "application/json",
) -> str:
    """Return TikTok's `sign` for a request; `query` holds decoded values as sent."""
    items = sorted((k, v) for k, v in query.items() if k not in UNSIGNED_PARAMS)
    base = (path + "".join(f"{k}{v}" for k, v in items)).encode()
    if not is_multipart(content_type):
        base += body
    key = app_secret.encode()
    return hmac.new(key, key + base + key, hashlib.sha256).hexdigest()


class TikTokSigner(httpx.Auth):
    """Adds app_key, a 10-digit timestamp, the token header and `sign` to each outgoing request.

    `now` returns Unix seconds as TikTok's clock would read them (the client folds in the skew it
    has observed); `access_token` is asked on every attempt so a refreshed token is picked up.
    """

    requires_request_body = True

    def __init__(
        self, app_key: str, app_secret: str, access_token: Callable[[], str], now: Callable[[], float]
    ) -> None:
        self._app_key = app_key
        self._app_secret = app_secret
        self._access_token = access_token
        self._now = now

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        params = {k: v for k, v in request.url.params.items() if k not in UNSIGNED_PARAMS}
        params["app_key"] = self._app_key
        params["timestamp"] = str(int(self._now()))
        content_type = request.headers.get("content-type", "application/json")
        params["sign"] = sign(self._app_secret, request.url.path, params, request.content, content_type)
        request.url = request.url.copy_with(params=params)
        request.headers[TOKEN_HEADER] = self._access_token()
        yield request
