"""Who is calling /addon: a Google identity token, verified here before anything else runs.

The add-on sends `ScriptApp.getIdentityToken()` as a Bearer token. Its signature is checked against
the x509 certificates at GOOGLE_CERTS_URL (Google's by default; `verify_oauth2_token` would always fetch
Google's own, so google-auth's `jwt.decode` is given the certificates, with an explicit issuer check), then its
expiry, its audience (ADDON_AUDIENCE, never skipped) and a verified email.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import google.auth.exceptions
import google.auth.transport
import google.auth.transport.requests
from flask import request
from google.auth import jwt

from backend.config import Config
from backend.errors import Unauthenticated, UpstreamError

GOOGLE_CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"
ISSUERS = frozenset({"accounts.google.com", "https://accounts.google.com"})
CERTS_TTL_SECONDS = 300.0
MISS_FETCHES_PER_MINUTE = 10
CLOCK_SKEW_SECONDS = 10


class Certificates:
    """Google's signing certificates per URL, kept for a while and re-read when a token names an unknown key.

    A key id missing from the kept set means the keys moved on (Google rotates them; a restarted issuer
    publishes new ones), so the set is fetched again at once. A key id still missing after that is
    remembered until the set is next read, and such fetches are capped per minute, so forged key ids
    cannot turn requests into fetches.
    """

    def __init__(
        self,
        http: google.auth.transport.Request | None = None,
        ttl: float = CERTS_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http or google.auth.transport.requests.Request()
        self._ttl, self._clock = ttl, clock
        self._kept: dict[str, _Kept] = {}
        self._lock = threading.Lock()

    def for_key(self, url: str, kid: str) -> dict[str, str]:
        """The certificates at `url`, fetched again when stale or when they lack `kid`."""
        now = self._clock()
        with self._lock:
            kept = self._kept.get(url)
            if kept is not None and now - kept.fetched_at < self._ttl:
                if kid in kept.certs or kid in kept.missing:
                    return kept.certs
                kept.miss_fetches = [t for t in kept.miss_fetches if now - t < 60.0]
                if len(kept.miss_fetches) >= MISS_FETCHES_PER_MINUTE:
                    return kept.certs
                kept.miss_fetches.append(now)
        certs = self._fetch(url)
        with self._lock:
            fresh = _Kept(now, certs, miss_fetches=kept.miss_fetches if kept else [])
            if kid not in certs:
                fresh.missing.add(kid)
            self._kept[url] = fresh
        return certs

    def _fetch(self, url: str) -> dict[str, str]:
        response = self._http(url, method="GET", timeout=10)
        if response.status != 200:
            raise UpstreamError(f"could not fetch Google's signing certificates: HTTP {response.status} from {url}")
        try:
            certs = json.loads(response.data.decode("utf-8"))
        except ValueError:
            raise UpstreamError(f"Google's signing certificates at {url} are not JSON") from None
        if not isinstance(certs, dict) or not all(isinstance(v, str) for v in certs.values()):
            raise UpstreamError(f"{url} does not serve x509 certificates keyed by key id")
        return certs


@dataclass
class _Kept:
    fetched_at: float
    certs: dict[str, str]
    missing: set[str] = field(default_factory=set)  # key ids a fetch did not find: not fetched for again
    miss_fetches: list[float] = field(default_factory=list)  # when unknown key ids caused a fetch


_CERTIFICATES = Certificates()


@dataclass(frozen=True)
class Identity:
    email: str
    subject: str


def verify_identity_token(
    token: str, config: Config, certificates: Certificates = _CERTIFICATES, *, web: bool = False
) -> Identity:
    """The verified Google identity of `token`, or Unauthenticated saying what is wrong with it.

    The add-on's tokens are for ADDON_AUDIENCE; `web=True` checks a token Google Identity Services gave a
    page of this backend (the invitation page, the OAuth web flow) against GOOGLE_OAUTH_CLIENT_ID instead.
    """
    setting = "GOOGLE_OAUTH_CLIENT_ID" if web else "ADDON_AUDIENCE"
    audience = config.GOOGLE_OAUTH_CLIENT_ID if web else config.ADDON_AUDIENCE
    if not audience:
        raise Unauthenticated(f"the backend has no {setting} configured, so it cannot accept Google sign-ins here")
    try:
        kid = str(jwt.decode_header(token).get("kid") or "")  # type: ignore[no-untyped-call]
        certs = certificates.for_key(config.GOOGLE_CERTS_URL or GOOGLE_CERTS_URL, kid)
        claims = jwt.decode(  # type: ignore[no-untyped-call]
            token, certs=certs, audience=audience, clock_skew_in_seconds=CLOCK_SKEW_SECONDS
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
