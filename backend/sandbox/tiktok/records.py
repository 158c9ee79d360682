"""Plain records the sandbox keeps: fault plan, counters and request log, grants, webhook deliveries."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field

HOLD_SECONDS = 120.0


@dataclass
class Faults:
    """Every `every`-th API call (then `burst - 1` more) fails with the next of `statuses`."""

    every: int = 0
    burst: int = 1
    statuses: tuple[int, ...] = (429, 503)
    latency_seconds: float = 0.0
    # Calls wait until a test sets it (at most HOLD_SECONDS): a caller is mid-call for as long as the test
    # needs, an event and not a guess at how long a loaded machine takes to get there.
    hold: threading.Event | None = None

    def wait(self) -> None:
        """What every API call waits before it is served."""
        if self.latency_seconds:
            time.sleep(self.latency_seconds)
        if self.hold is not None:
            self.hold.wait(HOLD_SECONDS)

    def status_for(self, call_number: int) -> int | None:
        if not self.every or (call_number - 1) % self.every < self.every - self.burst:
            return None
        return self.statuses[((call_number - 1) // self.every) % len(self.statuses)]


@dataclass
class LoggedRequest:
    method: str
    path: str
    query: dict[str, str]
    status: int
    code: int | str  # the platform's error code (TikTok's number, Shopee's name); 0 or "" on success


@dataclass
class Counters:
    total: int = 0
    faults_injected: int = 0
    replayed_writes: int = 0  # writes answered from an earlier call with the same idempotency_key
    by_path: Counter[str] = field(default_factory=Counter)
    by_code: Counter[int | str] = field(default_factory=Counter)


# The API packages a seller grants by default (TikTok Shop Partner Center, "Access scope").
SCOPES = (
    "seller.authorization.info",
    "seller.order.info",
    "seller.finance.info",
    "seller.fulfillment.basic",
    "seller.logistics",
    "seller.product.basic",
    "seller.return_refund.basic",
)


@dataclass
class Authorization:
    """One seller's consent: which shops its tokens may act for, and with which API packages."""

    open_id: str
    seller_name: str
    region: str
    shop_ids: list[str]
    revoked: bool = False
    scopes: tuple[str, ...] = SCOPES


@dataclass
class Grant:
    """An auth code, access token or refresh token: who it belongs to and until when."""

    authorization: Authorization
    expires_at: int
    spent: bool = False


@dataclass
class Delivery:
    address: str
    body: bytes
    attempts: int = 0
