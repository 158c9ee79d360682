"""Calling Google within its limits: capped exponential backoff with jitter, and every Sheets request
(read or write) paid from the budget its team shares with the others (backend/sheets/budget.py).
Drive requests (the sharing guard, sharing a new file) draw on Drive's own quota, not this budget.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import httplib2  # type: ignore[import-untyped]
from googleapiclient.errors import HttpError

from backend.errors import Forbidden, NotFound, OrderDeckError, ReauthorizationNeeded, UpstreamError
from backend.sheets.budget import SheetsBudget

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
    """Executes googleapiclient requests as `identity` (its `http`, see GoogleClients) with backoff; Sheets
    requests also spend the shared budget."""

    identity: str
    budget: SheetsBudget
    http: Any
    backoff: Backoff = field(default_factory=Backoff)
    reads: int = 0
    writes: int = 0

    def read(self, request: Any, what: str) -> dict[str, Any]:
        return self._run(request, what, write=False, retry=True)

    def write(self, request: Any, what: str, *, retry: bool) -> dict[str, Any]:
        """`retry=False` for non-idempotent writes: a failure raises RetryableWriteFailed to re-plan instead."""
        return self._run(request, what, write=True, retry=retry)

    def _run(self, request: Any, what: str, *, write: bool, retry: bool) -> dict[str, Any]:
        sheets = str(getattr(request, "methodId", "")).startswith("sheets.")
        for attempt in range(self.backoff.attempts):
            if sheets:
                self.budget.take("write" if write else "read")
            if write:
                self.writes += 1
            else:
                self.reads += 1
            try:
                return cast("dict[str, Any]", request.execute(http=self.http, num_retries=0))
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
