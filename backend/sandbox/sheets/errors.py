"""Google's JSON error envelope, raised anywhere in the Sheets/Drive sandbox and rendered once in the app."""

from __future__ import annotations

from typing import Any

STATUS_REASON = {
    400: ("INVALID_ARGUMENT", "badRequest"),
    401: ("UNAUTHENTICATED", "unauthorized"),
    403: ("PERMISSION_DENIED", "forbidden"),
    404: ("NOT_FOUND", "notFound"),
    409: ("ALREADY_EXISTS", "duplicate"),
    429: ("RESOURCE_EXHAUSTED", "rateLimitExceeded"),
    500: ("INTERNAL", "backendError"),
    503: ("UNAVAILABLE", "backendError"),
}


class ApiError(Exception):
    """An error response: `code` is the HTTP status, `status` Google's canonical code name."""

    def __init__(
        self,
        code: int,
        message: str,
        *,
        status: str | None = None,
        reason: str | None = None,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        default_status, default_reason = STATUS_REASON.get(code, ("UNKNOWN", "unknown"))
        self.code, self.message = code, message
        self.status = status or default_status
        self.reason = reason or default_reason
        self.details = details or []

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "errors": [{"message": self.message, "domain": "global", "reason": self.reason}],
            "status": self.status,
        }
        if self.details:
            error["details"] = self.details
        return {"error": error}


def invalid(message: str) -> ApiError:
    return ApiError(400, message)


def not_found(message: str = "Requested entity was not found.") -> ApiError:
    return ApiError(404, message)


def denied(message: str = "The caller does not have permission") -> ApiError:
    return ApiError(403, message)
