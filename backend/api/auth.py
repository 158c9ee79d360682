"""Who is calling /addon: a Google identity token, verified here before anything else runs.

The add-on sends `ScriptApp.getIdentityToken()` as a Bearer token. Its signature is checked against
the certificates at GOOGLE_CERTS_URL (Google's by default; `verify_oauth2_token` would always fetch
Google's own, so `verify_token(..., certs_url=...)` is used with an explicit issuer check), then its
expiry, its audience (ADDON_AUDIENCE, never skipped) and a verified email.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import google.auth.exceptions
import google.auth.transport
import google.auth.transport.requests
from flask import request
from google.oauth2 import id_token

from backend.config import Config
from backend.errors import Unauthenticated, UpstreamError

GOOGLE_CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"
ISSUERS = frozenset({"accounts.google.com", "https://accounts.google.com"})
CERTS_TTL_SECONDS = 300.0
CLOCK_SKEW_SECONDS = 10


class CachingRequest(google.auth.transport.Request):
    """google-auth's HTTP request with successful GETs kept briefly: certificates change rarely, requests often."""

    def __init__(self, ttl: float = CERTS_TTL_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self._inner = google.auth.transport.requests.Request()
        self._ttl, self._clock = ttl, clock
        self._cache: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def __call__(
        self,
        url: str,
        method: str = "GET",
        body: Any = None,
        headers: Any = None,
        timeout: Any = None,
        **kwargs: Any,
    ) -> Any:
        if method != "GET" or body is not None:
            return self._inner(url, method=method, body=body, headers=headers, timeout=timeout, **kwargs)
        with self._lock:
            hit = self._cache.get(url)
        if hit is not None and self._clock() - hit[0] < self._ttl:
            return hit[1]
        response = self._inner(url, method=method, headers=headers, timeout=timeout or 10, **kwargs)
        if response.status == 200:
            with self._lock:
                self._cache[url] = (self._clock(), response)
        return response


_REQUEST = CachingRequest()


@dataclass(frozen=True)
class Identity:
    email: str
    subject: str


def verify_identity_token(token: str, config: Config, http: google.auth.transport.Request = _REQUEST) -> Identity:
    """The verified Google identity of `token`, or Unauthenticated saying what is wrong with it."""
    if not config.ADDON_AUDIENCE:
        raise Unauthenticated("the backend has no ADDON_AUDIENCE configured, so it cannot accept add-on calls")
    try:
        claims = id_token.verify_token(
            token,
            http,
            audience=config.ADDON_AUDIENCE,
            certs_url=config.GOOGLE_CERTS_URL or GOOGLE_CERTS_URL,
            clock_skew_in_seconds=CLOCK_SKEW_SECONDS,
        )
    except google.auth.exceptions.TransportError as exc:
        raise UpstreamError(f"could not fetch Google's signing certificates: {exc}") from None
    except (ValueError, google.auth.exceptions.GoogleAuthError) as exc:
        raise Unauthenticated(f"the identity token was refused: {exc}") from None
    if claims.get("iss") not in ISSUERS:
        raise Unauthenticated("the identity token was not issued by Google")
    email = str(claims.get("email") or "").strip().lower()
    if not email:
        raise Unauthenticated("the identity token carries no email: the add-on needs the userinfo.email scope")
    if claims.get("email_verified") is not True:
        raise Unauthenticated(f"Google has not verified the address {email}")
    return Identity(email=email, subject=str(claims.get("sub", "")))


def bearer_token() -> str:
    """The Bearer token of the current request, or Unauthenticated."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("an /addon call needs an identity token: Authorization: Bearer <token>")
    return token.strip()
