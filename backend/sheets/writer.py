"""Calling Google within its limits: capped exponential backoff with jitter, and a write budget per identity
shared through the database by every push in every process.

Google allows 60 write requests per minute per user, counted over any sliding minute. The budget
counts writes per second and hands one out while the last 60 seconds hold fewer than `per_minute`
(58: a margin for processes racing at a second's edge), so a burst may use the minute at once.
A caller with a `reserve` takes a write only while that many are left for others: pushes leave a
quarter of the minute to binds and edits, so a busy team's pushes never lock the sidebar out.
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
from sqlalchemy import CursorResult, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.db import Database
from backend.errors import Forbidden, NotFound, OrderDeckError, RateLimited, ReauthorizationNeeded, UpstreamError
from backend.models import RateWindow, utcnow

RETRYABLE = frozenset({429, 500, 502, 503, 504})
MINUTE, HOUR = timedelta(minutes=1), timedelta(hours=1)


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
    """Writes per identity over any sliding minute, counted per second in RateWindow rows all processes share."""

    db: Database
    identity: str
    per_minute: int = 58
    reserve: int = 0
    max_wait: float = 120.0
    clock: Callable[[], datetime] = utcnow
    sleep: Callable[[float], None] = time.sleep
    waited: float = field(default=0.0, init=False)

    @property
    def key(self) -> str:
        return f"sheets-write:{self.identity}"

    def _spent(self, session: Session, now: datetime) -> list[tuple[datetime, int]]:
        rows = session.execute(
            select(RateWindow.window_start, RateWindow.used)
            .where(RateWindow.key == self.key, RateWindow.window_start > now - MINUTE)
            .order_by(RateWindow.window_start)
        )
        return [(start, used) for start, used in rows]

    def _wait(self, spent: list[tuple[datetime, int]], now: datetime) -> float:
        """Seconds until enough of the minute's writes have left it for one more (0: one may go now)."""
        over = sum(used for _, used in spent) - (self.per_minute - self.reserve) + 1
        for start, used in spent:
            if over <= 0:
                break
            over -= used
            if over <= 0:
                return max((start + MINUTE - now).total_seconds(), 0.0) + 0.05
        return 0.0

    def next_slot(self) -> float:
        """Seconds until a write could be taken (0: now); takes nothing. For scheduling work that writes."""
        now = self.clock()
        with self.db.session() as session:
            return self._wait(self._spent(session, now), now)

    def _reserve(self, now: datetime) -> float:
        """Take one write now (0.0), or say how long until one may be taken."""
        second = datetime.fromtimestamp(int(now.timestamp()), now.tzinfo)
        with self.db.session() as session:
            wait = self._wait(self._spent(session, now), now)
            if wait:
                return wait
            bumped = session.execute(
                update(RateWindow)
                .where(RateWindow.key == self.key, RateWindow.window_start == second)
                .values(used=RateWindow.used + 1)
            )
            if cast("CursorResult[Any]", bumped).rowcount:
                return 0.0
        try:
            with self.db.session() as session:
                session.execute(
                    delete(RateWindow).where(RateWindow.key == self.key, RateWindow.window_start < now - HOUR)
                )
                session.execute(insert(RateWindow).values(key=self.key, window_start=second, used=1))
        except IntegrityError:
            return 0.05  # another process opened this second's row meanwhile: count again
        return 0.0

    def take(self) -> None:
        """Reserve one write, waiting until the minute has room for it."""
        while True:
            pause = self._reserve(self.clock())
            if not pause:
                return
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
