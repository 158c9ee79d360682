"""One error tree for the whole backend, each error with the action a caller should take.

Every API error leaves the backend in one JSON envelope:
``{"error": {"code": "...", "message": "...", "action": "..."}}``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar


class Action(StrEnum):
    """What the caller should do about an error."""

    RETRY = "retry"  # transient: the same call may succeed later
    FAIL = "fail"  # the request itself is wrong; change it
    REAUTHORIZE = "reauthorize"  # a person must connect the account again


class OrderDeckError(Exception):
    """Base of every error the backend raises on purpose."""

    code: ClassVar[str] = "error"
    status: ClassVar[int] = 500
    action: ClassVar[Action] = Action.FAIL

    def __init__(self, message: str, **detail: Any) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail

    def envelope(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message, "action": str(self.action)}
        if self.detail:
            body["detail"] = self.detail
        return {"error": body}


class InvalidInput(OrderDeckError):
    code = "invalid_input"
    status = 400


class Unauthenticated(OrderDeckError):
    code = "unauthenticated"
    status = 401


class Forbidden(OrderDeckError):
    code = "forbidden"
    status = 403


class NotFound(OrderDeckError):
    code = "not_found"
    status = 404


class Conflict(OrderDeckError):
    code = "conflict"
    status = 409


class RateLimited(OrderDeckError):
    code = "rate_limited"
    status = 429
    action = Action.RETRY


class UpstreamError(OrderDeckError):
    """A service we call (TikTok, Google, Discord) failed; `action` says whether to retry."""

    code = "upstream_error"
    status = 502
    action = Action.RETRY


class DatabaseUnavailable(UpstreamError):
    """The database dropped or refused the connection, or stayed locked: the unit of work was rolled back."""

    code = "database_unavailable"
    status = 503


class SchemaNotReady(OrderDeckError):
    """The database lacks tables or columns this code needs: `init-db` has not run since it was deployed."""

    code = "schema_not_ready"
    status = 503


class ReauthorizationNeeded(OrderDeckError):
    code = "reauthorization_needed"
    status = 409
    action = Action.REAUTHORIZE


class NotBuiltYet(OrderDeckError):
    """A contract from DESIGN.md whose issue has not landed yet."""

    code = "not_built_yet"
    status = 501
