"""TikTok Shop's error codes mapped onto the backend's one error tree (backend.errors).

The code → type table and the keyword table for the overloaded 36009004 are data, from TikTok Shop
Partner Center's "Common error codes" page and the token host's codes seen in TikTok's own SDKs.
Every error keeps TikTok's `code` (as `platform_code`) and `request_id` so support tickets can quote them.
"""

from __future__ import annotations

from backend.errors import (
    AccessTokenExpired,
    AuthorizationLost,
    CaseRefused,
    ClockSkewError,
    InvalidAuthCode,
    OrderNotOwned,
    OrderOnHold,
    PlatformError,
    PlatformRateLimited,
    PlatformRejected,
    PlatformUnavailable,
    ScopeDenied,
    ShopScopeError,
    SignatureRejected,
)

# Sandbox/UNCONFIRMED: TikTok's code for "order on hold, cannot ship" is not published in our sources.
ON_HOLD_CODE = 21011001

CODE_ERRORS: dict[int, type[PlatformError]] = {
    105002: AccessTokenExpired,
    105005: ScopeDenied,
    101000: AuthorizationLost,
    106001: SignatureRejected,
    106013: ShopScopeError,
    36004001: AuthorizationLost,  # "rt has expired" (ECOM PR #15)
    36004004: InvalidAuthCode,
    36004005: AuthorizationLost,  # "can not find related auth record" (ECOM PR #15)
    36009002: PlatformRateLimited,
    36009003: PlatformUnavailable,
    36009007: PlatformUnavailable,
    10002014: PlatformUnavailable,
    10002015: PlatformUnavailable,
    10037002: PlatformUnavailable,
    10037003: PlatformUnavailable,
    10037004: PlatformUnavailable,
    10006402: PlatformUnavailable,
    21008111: OrderNotOwned,
    ON_HOLD_CODE: OrderOnHold,
    # Return & Refund refusals (Approve/Reject Return and Cancellation error tables, docv2).
    25020004: CaseRefused,  # decision not match reverse type
    25011011: CaseRefused,  # reverse status cannot reject application
    25011012: CaseRefused,  # reverse status cannot approve application
    25011013: CaseRefused,  # reverse status cannot approve receive
    25020009: CaseRefused,  # reverse already cancelled
    25020010: CaseRefused,  # after-sales has been approved and cannot be rejected
    25020011: CaseRefused,  # return already received
    25020012: CaseRefused,  # status can't reject receive
    25001014: CaseRefused,  # reject reason invalid
    25001016: CaseRefused,  # reject reason does not match the request
    25001020: CaseRefused,  # reject reason offline
    25007006: OrderNotOwned,  # order not found
    25020005: OrderNotOwned,  # no permission to process this order
}

# 36009004 covers many unrelated failures; TikTok says to branch on the message, first match wins.
OVERLOADED_CODE = 36009004
OVERLOADED_KEYWORDS: tuple[tuple[str, type[PlatformError]], ...] = (
    ("timestamp", ClockSkewError),
    ("shop_cipher", ShopScopeError),
    ("access_token", AccessTokenExpired),
    ("sign", SignatureRejected),
)


def error_class(code: int, message: str, http_status: int) -> type[PlatformError]:
    """Choose the error type for a non-zero envelope code, falling back on the HTTP status."""
    if code == OVERLOADED_CODE:
        lowered = message.lower()
        return next((cls for word, cls in OVERLOADED_KEYWORDS if word in lowered), PlatformRejected)
    if code in CODE_ERRORS:
        return CODE_ERRORS[code]
    if http_status == 429:
        return PlatformRateLimited
    if http_status >= 500:
        return PlatformUnavailable
    return PlatformRejected
