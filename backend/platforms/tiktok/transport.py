"""What the API client and the token client share: the envelope, the retry policy and the clock.

Retries are bounded (capped exponential backoff with jitter); a non-idempotent write is retried only
when TikTok provably did not process it (connect failure, or a 429 throttle).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from functools import cache
from typing import Any, TypeVar

import httpx

from backend.domain import bounded_json
from backend.domain.bounded_json import JsonLimits
from backend.platforms.tiktok.errors import NetworkError, RateLimited, RetryableError, error_class

T = TypeVar("T")
# TikTok's ids are 64-bit (20 digits), sometimes unquoted. Lenient: a page of orders is many records, and
# one bad number or string in one of them fails that record (its schema check), not the page.
RESPONSE_LIMITS = JsonLimits(
    max_bytes=64 * 1024 * 1024, max_depth=256, max_integer_digits=20, max_abs_number=1e18, lenient=True
)
# The Date header has one-second resolution; smaller disagreements are noise, not skew.
SKEW_NOISE_SECONDS = 2.0


class PooledTransport(httpx.BaseTransport):
    """One connection pool per process under every short-lived client; closing a client leaves it open.

    Building an httpx client builds a TLS context (about 30 ms of CPU), and each webhook round, sync and
    settlement walk builds a client: sharing the transport removes that and reuses kept-alive connections.
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
    """Backoff `min(base * 2**n + U(0, jitter), cap)` for at most `max_retries` retries (DOC-rate)."""

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
    """Our estimate of TikTok's clock: local time plus the skew last read from a `Date` header."""

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
    """Send once, turning transport failures into NetworkError that says whether the server saw it."""
    stats.add("requests")
    try:
        return http.send(request)
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        raise NetworkError(f"could not connect to {request.url.host}: {exc}", reached_server=False) from exc
    except httpx.TransportError as exc:
        raise NetworkError(f"{request.method} {request.url.path} failed: {exc}", reached_server=True) from exc


def unwrap(response: httpx.Response) -> dict[str, Any]:
    """Return `data` of a `{code, message, request_id, data}` envelope or raise the typed error."""
    try:
        envelope = bounded_json.loads(response.content, RESPONSE_LIMITS)
        problem = ""
    except bounded_json.JsonRefused as exc:
        envelope, problem = None, f" ({exc})"
    if not isinstance(envelope, dict) or not isinstance(envelope.get("code"), int):
        cls = error_class(-1, "", response.status_code)
        raise cls(f"HTTP {response.status_code} without a TikTok envelope{problem}", http_status=response.status_code)
    code: int = envelope["code"]
    if code == 0 and response.is_success:
        data = envelope.get("data")
        return data if isinstance(data, dict) else {}
    message = str(envelope.get("message", ""))
    cls = error_class(code, message, response.status_code)
    raise cls(
        message or "TikTok refused the request",
        code=code,
        request_id=str(envelope.get("request_id", "")),
        http_status=response.status_code,
    )


def may_retry(exc: RetryableError, *, idempotent: bool) -> bool:
    """Writes are retried only when TikTok cannot have acted on them."""
    if idempotent or isinstance(exc, RateLimited):
        return True
    return isinstance(exc, NetworkError) and not exc.reached_server


def with_retries(call: Callable[[], T], *, idempotent: bool, policy: RetryPolicy, stats: ClientStats) -> T:
    """Run `call`, retrying transient failures with backoff; re-raise once the budget is spent."""
    attempt = 0
    while True:
        try:
            return call()
        except RetryableError as exc:
            if attempt >= policy.max_retries or not may_retry(exc, idempotent=idempotent):
                raise
            policy.sleep(policy.delay(attempt))
            attempt += 1
            stats.add("retries")
