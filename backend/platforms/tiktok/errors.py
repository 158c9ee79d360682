"""TikTok Shop errors as types, each carrying the action a caller should take.

The code → type table and the keyword table for the overloaded 36009004 are data (reference §8).
Every error keeps TikTok's `code` and `request_id` so support tickets can quote them.
"""

from __future__ import annotations

from typing import ClassVar

from backend.errors import Action

# Sandbox/UNCONFIRMED: TikTok's code for "order on hold, cannot ship" is not published in our sources.
ON_HOLD_CODE = 21011001


class TikTokError(Exception):
    """Base of every TikTok Shop failure; `action` is the backend-wide Action (backend.errors).

    Kept outside OrderDeckError because `code` here is TikTok's numeric code; services translate
    these into OrderDeckError subclasses at their boundary.
    """

    action: ClassVar[Action] = Action.FAIL

    def __init__(
        self, message: str, *, code: int | None = None, request_id: str = "", http_status: int | None = None
    ) -> None:
        self.message = message
        self.code = code
        self.request_id = request_id
        self.http_status = http_status
        detail = f" (code {code}, request_id {request_id or '-'})" if code is not None else ""
        super().__init__(message + detail)


class RetryableError(TikTokError):
    """Transient: the same request may succeed after a backoff."""

    action = Action.RETRY


class RateLimited(RetryableError):
    """HTTP 429 / 36009002: TikTok refused without processing, so even writes may be retried."""


class ServiceUnavailable(RetryableError):
    """5xx or a documented internal/timeout code; the request may or may not have been processed."""


class NetworkError(RetryableError):
    """The HTTP exchange failed; `reached_server` is False only when the request provably never left."""

    def __init__(self, message: str, *, reached_server: bool) -> None:
        super().__init__(message)
        self.reached_server = reached_server


class AccessTokenExpired(TikTokError):
    """105002 / invalid access token: the client refreshes once; if this escapes, re-consent is needed."""

    action = Action.REAUTHORIZE


class ReauthorizationNeeded(TikTokError):
    """The refresh token or the authorization itself is gone: the seller must consent again."""

    action = Action.REAUTHORIZE


class InvalidAuthCode(ReauthorizationNeeded):
    """36004004: the auth code is unknown, used or older than 30 minutes; restart the consent flow."""


class SignatureRejected(TikTokError):
    """106001: our signature did not match; a bug or a wrong app secret, never retried."""


class ScopeDenied(TikTokError):
    """105005: the app lacks this API package; enable it in Partner Center, then the seller re-consents."""


class ShopCipherError(TikTokError):
    """106013 or an unexpected shop_cipher: the call was built for the wrong scope."""


class ClockSkewError(TikTokError):
    """Our timestamp is outside TikTok's window and the skew could not be corrected."""

    def __init__(
        self,
        message: str,
        *,
        skew_seconds: float | None = None,
        code: int | None = None,
        request_id: str = "",
        http_status: int | None = None,
    ) -> None:
        super().__init__(message, code=code, request_id=request_id, http_status=http_status)
        self.skew_seconds = skew_seconds
        self.corrected = False  # set by the client when the same response let it fix its clock


class OrderNotOwned(TikTokError):
    """21008111: the order or package belongs to another seller (wrong shop or token)."""


class OrderOnHold(TikTokError):
    """The order is in its ON_HOLD remorse hour and must not be shipped yet."""


class UnknownCarrier(TikTokError):
    """A typed carrier name matched no shipping provider of the package's delivery option."""


class RequestRejected(TikTokError):
    """Any other refusal (bad parameter, path, method): a bug to fix, not to retry."""


class PayloadRejected(TikTokError):
    """TikTok answered 0 but in a shape its documentation does not give (schemas/tiktok): not retried."""


class WebhookSignatureError(TikTokError):
    """A webhook's Authorization header did not match its raw body."""


CODE_ERRORS: dict[int, type[TikTokError]] = {
    105002: AccessTokenExpired,
    105005: ScopeDenied,
    101000: ReauthorizationNeeded,
    106001: SignatureRejected,
    106013: ShopCipherError,
    36004001: ReauthorizationNeeded,  # "rt has expired" (ECOM PR #15)
    36004004: InvalidAuthCode,
    36004005: ReauthorizationNeeded,  # "can not find related auth record" (ECOM PR #15)
    36009002: RateLimited,
    36009003: ServiceUnavailable,
    36009007: ServiceUnavailable,
    10002014: ServiceUnavailable,
    10002015: ServiceUnavailable,
    10037002: ServiceUnavailable,
    10037003: ServiceUnavailable,
    10037004: ServiceUnavailable,
    10006402: ServiceUnavailable,
    21008111: OrderNotOwned,
    ON_HOLD_CODE: OrderOnHold,
}

# 36009004 covers many unrelated failures; TikTok says to branch on the message, first match wins.
OVERLOADED_CODE = 36009004
OVERLOADED_KEYWORDS: tuple[tuple[str, type[TikTokError]], ...] = (
    ("timestamp", ClockSkewError),
    ("shop_cipher", ShopCipherError),
    ("access_token", AccessTokenExpired),
    ("sign", SignatureRejected),
)


def error_class(code: int, message: str, http_status: int) -> type[TikTokError]:
    """Choose the error type for a non-zero envelope code, falling back on the HTTP status."""
    if code == OVERLOADED_CODE:
        lowered = message.lower()
        return next((cls for word, cls in OVERLOADED_KEYWORDS if word in lowered), RequestRejected)
    if code in CODE_ERRORS:
        return CODE_ERRORS[code]
    if http_status == 429:
        return RateLimited
    if http_status >= 500:
        return ServiceUnavailable
    return RequestRejected
