"""Calling Google within its limits: capped exponential backoff with jitter, and a write budget per identity
shared through the database by every push in every process.

Google allows 60 write requests per minute per user, counted over any sliding minute. The budget
hands out at most `per_window` writes per `window` (8 per 10 s by default): any sliding minute
overlaps at most seven windows, so 56 writes — under 60 whatever the timing across processes.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

import httplib2  # type: ignore[import-untyped]
from googleapiclient.errors import HttpError
from sqlalchemy import CursorResult, delete, insert, update
from sqlalchemy.exc import IntegrityError

from backend.db import Database
from backend.errors import Forbidden, NotFound, OrderDeckError, RateLimited, ReauthorizationNeeded, UpstreamError
from backend.models import RateWindow, utcnow

RETRYABLE = frozenset({429, 500, 502, 503, 504})


class GoogleRejected(OrderDeckError):
    """Google refused the request as invalid: sending it again would fail again."""

    code = "google_rejected"
    status = 502


class RetryableWriteFailed(UpstreamError):
    """A write failed in a way that may or may not have been applied: re-read the sheet and plan again."""


@dataclass
class Backoff:
    """min(base * 2^n + jitter, cap) seconds before retry n, for `attempts` tries in all."""

    attempts: int = 6
    base: float = 1.0
    cap: float = 32.0
    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[], float] = random.random

    def delay(self, attempt: int) -> float:
        return float(min(self.base * 2**attempt + self.jitter(), self.cap))


@dataclass
class WriteBudget:
    """Writes per identity per window, counted in RateWindow rows so all processes share one budget."""

    db: Database
    identity: str
    per_window: int = 8
    window: timedelta = timedelta(seconds=10)
    max_wait: float = 120.0
    clock: Callable[[], datetime] = utcnow
    sleep: Callable[[float], None] = time.sleep
    waited: float = field(default=0.0, init=False)

    def _window_start(self, now: datetime) -> datetime:
        step = self.window.total_seconds()
        return datetime.fromtimestamp(now.timestamp() // step * step, now.tzinfo)

    def _reserve(self, start: datetime) -> bool:
        key = f"sheets-write:{self.identity}"
        with self.db.session() as session:
            result = session.execute(
                update(RateWindow)
                .where(RateWindow.key == key, RateWindow.window_start == start, RateWindow.used < self.per_window)
                .values(used=RateWindow.used + 1)
            )
            if cast("CursorResult[Any]", result).rowcount:
                return True
        try:
            with self.db.session() as session:
                session.execute(
                    delete(RateWindow).where(
                        RateWindow.key == key, RateWindow.window_start < start - timedelta(hours=1)
                    )
                )
                session.execute(insert(RateWindow).values(key=key, window_start=start, used=1))
        except IntegrityError:
            return False  # the window exists and is full (or another process just took the last unit)
        return True

    def take(self) -> None:
        """Reserve one write, waiting for the next window when this one is spent."""
        while True:
            now = self.clock()
            start = self._window_start(now)
            if self._reserve(start):
                return
            pause = (start + self.window - now).total_seconds() + 0.05
            if self.waited + pause > self.max_wait:
                raise RateLimited(
                    f"the Sheets write budget of {self.identity} is spent; the push will run again shortly"
                )
            self.waited += pause
            self.sleep(pause)


def describe(exc: HttpError) -> str:
    return f"{exc.status_code} {exc.reason}" if exc.reason else str(exc.status_code)


def _mapped(exc: HttpError, what: str, identity: str) -> OrderDeckError:
    status = exc.status_code
    if status == 401:
        return ReauthorizationNeeded(f"Google refused the credentials of {identity}: connect the account again")
    if status == 403:
        return Forbidden(
            f"{identity} may not {what}: share the spreadsheet with {identity} as an editor ({describe(exc)})"
        )
    if status == 404:
        return NotFound(f"{what}: not found, or not shared with {identity} ({describe(exc)})")
    if status in RETRYABLE:
        return UpstreamError(f"Google is busy ({describe(exc)}) while trying to {what}; the push will run again")
    return GoogleRejected(f"Google refused to {what}: {describe(exc)}")


@dataclass
class Caller:
    """Executes googleapiclient requests with backoff; writes also spend the shared budget."""

    identity: str
    budget: WriteBudget
    backoff: Backoff = field(default_factory=Backoff)
    reads: int = 0
    writes: int = 0

    def read(self, request: Any, what: str) -> dict[str, Any]:
        return self._run(request, what, write=False, retry=True)

    def write(self, request: Any, what: str, *, retry: bool) -> dict[str, Any]:
        """`retry=False` for non-idempotent writes: a failure raises RetryableWriteFailed to re-plan instead."""
        return self._run(request, what, write=True, retry=retry)

    def _run(self, request: Any, what: str, *, write: bool, retry: bool) -> dict[str, Any]:
        for attempt in range(self.backoff.attempts):
            if write:
                self.budget.take()
                self.writes += 1
            else:
                self.reads += 1
            try:
                return cast("dict[str, Any]", request.execute(num_retries=0))
            except HttpError as exc:
                failure: OrderDeckError = _mapped(exc, what, self.identity)
                transient = exc.status_code in RETRYABLE
            except (OSError, httplib2.HttpLib2Error) as exc:
                failure, transient = UpstreamError(f"could not reach Google to {what}: {exc}"), True
            if not transient or attempt == self.backoff.attempts - 1:
                raise failure
            if write and not retry:
                raise RetryableWriteFailed(failure.message)
            self.backoff.sleep(self.backoff.delay(attempt))
        raise AssertionError("unreachable")  # pragma: no cover
