"""One error tree for the whole backend, each error with the action a caller should take.

Every API error leaves the backend in one JSON envelope:
``{"error": {"code": "...", "message": "...", "action": "..."}}``. The message is said in the caller's language
(backend/api/__init__.py): raise with a `Phrase` when it holds values, so the catalogs can translate it.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any, ClassVar

from backend.domain.phrases import said


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

    def envelope(self, translate: Callable[[str], str] | None = None) -> dict[str, Any]:
        """The JSON body; `translate` (gettext) says the message in the caller's language, English without."""
        message = said(self.message, translate) if translate else self.message
        body: dict[str, Any] = {"code": self.code, "message": message, "action": str(self.action)}
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


# -- sales channels ---------------------------------------------------------------------------------
# Every adapter in backend/platforms/ maps its platform's own codes onto these (TikTok Shop's table is
# in platforms/tiktok/errors.py, Shopee's in platforms/shopee/errors.py), so services decide by the
# action alone and an outage reaches a person as a page or an envelope, never as a 500.


class PlatformError(UpstreamError):
    """A sales channel refused or failed a call; keeps its own code and request id for support tickets."""

    code = "platform_error"
    status = 502
    action = Action.FAIL

    def __init__(
        self,
        message: str,
        *,
        platform_code: int | str | None = None,
        request_id: str = "",
        http_status: int | None = None,
    ) -> None:
        quoted = {"platform_code": platform_code, "request_id": request_id}
        super().__init__(message, **{k: v for k, v in quoted.items() if v not in (None, "")})
        self.platform_code = platform_code
        self.request_id = request_id
        self.http_status = http_status

    def __str__(self) -> str:
        if self.platform_code in (None, ""):
            return self.message
        return f"{self.message} (code {self.platform_code}, request_id {self.request_id or '-'})"


class PlatformUnavailable(PlatformError):
    """5xx, a timeout or an internal-error code: the same call may succeed later (it may also have run)."""

    code = "platform_unavailable"
    status = 503
    action = Action.RETRY


class PlatformRateLimited(PlatformUnavailable):
    """The platform throttled us without processing the call, so even a write may be sent again."""

    code = "platform_rate_limited"


class PlatformUnreachable(PlatformUnavailable):
    """The HTTP exchange failed; `reached_server` is False only when the request provably never left."""

    code = "platform_unreachable"

    def __init__(self, message: str, *, reached_server: bool) -> None:
        super().__init__(message)
        self.reached_server = reached_server


class PlatformAuthorizationError(PlatformError, ReauthorizationNeeded):
    """The seller's authorization no longer works: a person must connect the shop again."""

    code = "reauthorization_needed"
    status = 409
    action = Action.REAUTHORIZE


class AccessTokenExpired(PlatformAuthorizationError):
    """The access token is stale: a client refreshes once; if this escapes, the seller must reconnect."""


class AuthorizationLost(PlatformAuthorizationError):
    """The refresh token or the authorization itself is gone (expired, spent, revoked)."""


class InvalidAuthCode(PlatformAuthorizationError):
    """The consent's auth code is unknown, used or too old: connect the shop again from the start."""

    status = 400


class ScopeDenied(PlatformAuthorizationError):
    """The app lacks this API permission: enable it in the partner console, then the seller re-consents."""


class PlatformRejected(PlatformError):
    """The platform refused the request as built (parameter, path, signature): a bug to fix, not to retry."""

    code = "platform_rejected"


class SignatureRejected(PlatformRejected):
    """Our signature did not match: a bug or a wrong app secret / partner key, never retried."""


class ShopScopeError(PlatformRejected):
    """The call was built for the wrong shop (a missing or foreign shop reference)."""


class ClockSkewError(PlatformRejected):
    """Our timestamp is outside the platform's window and the skew could not be corrected."""

    def __init__(
        self,
        message: str,
        *,
        skew_seconds: float | None = None,
        platform_code: int | str | None = None,
        request_id: str = "",
        http_status: int | None = None,
    ) -> None:
        super().__init__(message, platform_code=platform_code, request_id=request_id, http_status=http_status)
        self.skew_seconds = skew_seconds
        self.corrected = False  # set by a client when the same response let it fix its clock


class OrderNotOwned(PlatformRejected):
    """The order or package belongs to another seller (wrong shop or token)."""

    status = 404


class OrderOnHold(PlatformRejected):
    """The order is in its buyer-remorse hold and must not be shipped yet."""

    status = 409


class UnknownCarrier(PlatformRejected):
    """A typed carrier name matched none of the carriers the platform offers for this order."""

    status = 400


class CaseRefused(PlatformRejected):
    """The platform refused an after-sales decision (the case's status does not allow it, a bad reason):
    shown to the person who decided, never retried."""

    status = 409


class PlatformPayloadError(PlatformRejected):
    """The platform answered with something we cannot read (a count that is not a number, no envelope)."""


class NotOffered(PlatformRejected):
    """The channel's API does not let a seller do this (Shopee's pickup booking, combining outside SEA):
    it is done in the platform's own seller centre, and OrderDeck shows it read-only."""

    status = 409


class NotShippedYet(PlatformRejected):
    """A shipping document was asked for a package that has not been handed over yet: mark it ready first."""

    status = 409


class Gone(OrderDeckError):
    """What a link pointed at is no longer served (a label 30 days after delivery, or once the order's
    personal data was removed): nothing to retry."""

    code = "gone"
    status = 410
