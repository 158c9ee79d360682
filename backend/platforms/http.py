"""What every platform client shares: one connection pool, the retry policy, the server clock.

Retries are bounded (capped exponential backoff with jitter); a non-idempotent write is retried only
when the platform provably did not process it (connect failure, or a throttle it answered unprocessed).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from backend.errors import (
    AccessTokenExpired,
    ClockSkewError,
    PlatformError,
    PlatformRateLimited,
    PlatformUnavailable,
    PlatformUnreachable,
)

if TYPE_CHECKING:
    from backend.platforms.tokens import TokenSource

T = TypeVar("T")
# The Date header has one-second resolution; smaller disagreements are noise, not skew.
SKEW_NOISE_SECONDS = 2.0


class PooledTransport(httpx.BaseTransport):
    """One connection pool per process under every short-lived client; closing a client leaves it open.

    Building an httpx client builds a TLS context (about 30 ms of CPU), and each webhook round, sync and
    settlement walk builds a client (of whichever platform): sharing the transport removes that and
    reuses kept-alive connections.
    """

    def __init__(self) -> None:
        self._pool = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._pool.handle_request(request)

    def close(self) -> None:
        """Clients call this when they close; the pool outlives them."""


@cache
def pooled_transport() -> PooledTransport:
    """The process's pool, made on first use (after a server has forked its workers)."""
    return PooledTransport()


@dataclass
class RetryPolicy:
    """Backoff `min(base * 2**n + U(0, jitter), cap)` for at most `max_retries` retries.

    TikTok Shop's rate-limit page and Shopee's API call guide both ask for backoff on throttling.
    """

    max_retries: int = 5
    base_seconds: float = 1.0
    cap_seconds: float = 60.0
    jitter_seconds: float = 0.5
    sleep: Callable[[float], None] = time.sleep
    random: Callable[[], float] = random.random

    def delay(self, attempt: int) -> float:
        return min(self.base_seconds * 2.0**attempt + self.random() * self.jitter_seconds, self.cap_seconds)


@dataclass
class ClientStats:
    """Counters a benchmark or a sync report can read; `requests` counts every HTTP send."""

    requests: int = 0
    retries: int = 0
    refreshes: int = 0
    skew_corrections: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, name: str) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + 1)

    @property
    def first_attempts(self) -> int:
        """Requests that were not a repeat of an earlier one (retry, post-refresh, post-skew)."""
        return self.requests - self.retries - self.refreshes - self.skew_corrections


class ServerClock:
    """Our estimate of the platform's clock: local time plus the skew last read from a `Date` header."""

    def __init__(self, local: Callable[[], float] = time.time) -> None:
        self._local = local
        self.skew = 0.0

    def now(self) -> float:
        return self._local() + self.skew

    def observe(self, response: httpx.Response) -> bool:
        """Fold in the response's Date; True when that changed our skew estimate."""
        date = response.headers.get("date")
        if not date:
            return False
        try:
            observed = parsedate_to_datetime(date).timestamp() - self._local()
        except (TypeError, ValueError):
            return False
        if abs(observed - self.skew) <= SKEW_NOISE_SECONDS:
            return False
        self.skew = observed
        return True


def send(http: httpx.Client, request: httpx.Request, stats: ClientStats) -> httpx.Response:
    """Send once, turning transport failures into PlatformUnreachable that says whether the server saw it."""
    stats.add("requests")
    try:
        return http.send(request)
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        raise PlatformUnreachable(f"could not connect to {request.url.host}: {exc}", reached_server=False) from exc
    except httpx.TransportError as exc:
        raise PlatformUnreachable(f"{request.method} {request.url.path} failed: {exc}", reached_server=True) from exc


def may_retry(exc: PlatformError, *, idempotent: bool) -> bool:
    """Writes are retried only when the platform cannot have acted on them."""
    if idempotent or isinstance(exc, PlatformRateLimited):
        return True
    return isinstance(exc, PlatformUnreachable) and not exc.reached_server


def with_retries(call: Callable[[], T], *, idempotent: bool, policy: RetryPolicy, stats: ClientStats) -> T:
    """Run `call`, retrying transient failures with backoff; re-raise once the budget is spent."""
    attempt = 0
    while True:
        try:
            return call()
        except PlatformUnavailable as exc:
            if attempt >= policy.max_retries or not may_retry(exc, idempotent=idempotent):
                raise
            policy.sleep(policy.delay(attempt))
            attempt += 1
            stats.add("retries")


def exchange(
    http: httpx.Client,
    request: httpx.Request,
    stats: ClientStats,
    clock: ServerClock,
    unwrap: Callable[[httpx.Response], dict[str, Any]],
) -> dict[str, Any]:
    """Send once and unwrap the platform's envelope, noting whether its `Date` corrected our clock."""
    response = send(http, request, stats)
    corrected = clock.observe(response)
    try:
        return unwrap(response)
    except ClockSkewError as exc:
        exc.corrected = corrected
        raise


def recovering(
    attempt: Callable[[], T],
    tokens: TokenSource | None,
    *,
    idempotent: bool,
    policy: RetryPolicy,
    stats: ClientStats,
    explain_skew: Callable[[ClockSkewError], ClockSkewError],
) -> T:
    """Run `attempt` with retries, refreshing a stale token once and correcting a skewed clock once.

    A refused timestamp means the platform did not act, so even a write is sent again after correcting.
    """
    recovered: set[str] = set()
    while True:
        stale_token = tokens.access_token() if tokens else ""
        try:
            return with_retries(attempt, idempotent=idempotent, policy=policy, stats=stats)
        except AccessTokenExpired:
            if "token" in recovered or tokens is None:
                raise
            recovered.add("token")
            tokens.refresh(stale_token)
            stats.add("refreshes")
        except ClockSkewError as exc:
            if "clock" in recovered or not exc.corrected:
                raise explain_skew(exc) from exc
            recovered.add("clock")
            stats.add("skew_corrections")


def explained_skew(exc: ClockSkewError, clock: ServerClock, platform: str, window: str) -> ClockSkewError:
    """The platform's timestamp refusal, saying how far off our clock is (from its `Date` header)."""
    observed = clock.skew
    if observed:
        detail = f"our clock is {-observed:+.0f} s off {platform}'s (Date header), allowed window {window}"
    else:
        detail = f"{platform} sent no Date header to correct from; allowed window {window}; check NTP"
    return ClockSkewError(
        f"{platform} rejected our timestamp ({exc.message.rstrip('.')}): {detail}",
        skew_seconds=observed or None,
        platform_code=exc.platform_code,
        request_id=exc.request_id,
        http_status=exc.http_status,
    )
