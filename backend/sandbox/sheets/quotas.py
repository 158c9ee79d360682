"""Per-minute request quotas as the Sheets limits page documents them, on a clock tests can move.

Google counts read and write requests apart, each per project (300 a minute, shared by every user of
the project's OAuth client or service account) and per user per project (60 a minute): one user who
calls through two projects has 60 in each, and every user of one project draws on its 300.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

from backend.sandbox.google_identity import Clock
from backend.sandbox.sheets.errors import ApiError

WINDOW_SECONDS = 60.0


@dataclass(frozen=True)
class QuotaLimits:
    read_per_user: int = 60
    write_per_user: int = 60
    read_per_project: int = 300
    write_per_project: int = 300


class Quotas:
    """Sliding one-minute windows; a rejected request does not use quota."""

    def __init__(self, clock: Clock, limits: QuotaLimits | None = None) -> None:
        self.clock = clock
        self.limits = limits or QuotaLimits()
        self._windows: dict[tuple[str, str, str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()

    def charge(self, kind: str, user: str, project: str) -> None:
        """Count one `kind` ("read"/"write") request of `user` through `project`, or raise the 429 Google returns."""
        now = self.clock.now()
        per_user = getattr(self.limits, f"{kind}_per_user")
        per_project = getattr(self.limits, f"{kind}_per_project")
        with self._lock:
            checks = [
                (("user", kind, project, user), per_user, "per user"),
                (("project", kind, project, ""), per_project, ""),
            ]
            windows = []
            for key, limit, scope in checks:
                window = self._windows.setdefault(key, deque())
                while window and window[0] <= now - WINDOW_SECONDS:
                    window.popleft()
                if len(window) >= limit:
                    raise _exhausted(kind, scope, project)
                windows.append(window)
            for window in windows:
                window.append(now)


def _exhausted(kind: str, scope: str, project: str) -> ApiError:
    metric = "Read requests" if kind == "read" else "Write requests"
    limit_name = f"{metric} per minute{' ' + scope if scope else ''}"
    quota_limit = (
        limit_name.replace(" ", "").replace("requests", "Requests").replace("per", "Per").replace("minute", "Minute")
    )
    message = (
        f"Quota exceeded for quota metric '{metric}' and limit '{limit_name}' of service "
        f"'sheets.googleapis.com' for consumer 'project_number:{project}'."
    )
    return ApiError(
        429,
        message,
        details=[
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "RATE_LIMIT_EXCEEDED",
                "domain": "googleapis.com",
                "metadata": {
                    "service": "sheets.googleapis.com",
                    "quota_metric": f"sheets.googleapis.com/{kind}_requests",
                    "quota_limit": quota_limit,
                    "consumer": f"projects/{project}",
                },
            }
        ],
    )
