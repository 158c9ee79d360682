"""Request log entries and injected faults, shared by the sandbox state and its WSGI app."""

from __future__ import annotations

import time
from dataclasses import dataclass

from backend.sandbox.sheets.errors import ApiError

RECOMMENDED_PAYLOAD = 2 * 1024 * 1024


@dataclass
class LoggedRequest:
    method: str
    path: str
    operation: str
    caller: str | None
    body_size: int
    status: int
    at: float


@dataclass
class Fault:
    """The next `count` matching requests answer `status`; `after_commit` applies the change first,
    so a client sees a failure for a write that happened (the retry-after-timeout case)."""

    status: int
    count: int
    path_contains: str = ""
    after_commit: bool = False
    delay: float = 0.0  # seconds to stall first (client timeouts); with status 200 the call then succeeds

    def wait(self) -> None:
        if self.delay:
            time.sleep(self.delay)


def fault_error(status: int) -> ApiError:
    messages = {
        429: "Resource has been exhausted (e.g. check quota).",
        500: "Internal error encountered.",
        503: "The service is currently unavailable.",
    }
    return ApiError(status, messages.get(status, "Backend Error"))
