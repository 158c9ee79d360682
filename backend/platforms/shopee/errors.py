"""Shopee's `error` strings mapped onto the backend's one error tree, and the response envelope.

Every v2 response is `{request_id, error, message, warning, response}` with `error` empty on success
(Shopee "API calls" guide, "API response parameters"); token calls answer their fields at the top
level. The names below are the ones the v2 API pages list in their error tables (their
common_error_list); `error_auth` and `error_param` cover unrelated failures, so their message decides,
first match wins. HTTP statuses on errors are not documented: an envelope wins over the status.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx

from backend.errors import (
    AccessTokenExpired,
    AuthorizationLost,
    ClockSkewError,
    InvalidAuthCode,
    PlatformError,
    PlatformRateLimited,
    PlatformRejected,
    PlatformUnavailable,
    ScopeDenied,
    ShopScopeError,
    SignatureRejected,
)

ERRORS: dict[str, type[PlatformError]] = {
    "error_sign": SignatureRejected,
    "error_rate_limit": PlatformRateLimited,
    "error_limit": PlatformRateLimited,  # the day's call budget; it resets at 00:00 UTC+8
    "error_server": PlatformUnavailable,
    "error_inner": PlatformUnavailable,
    "error_network": PlatformUnavailable,
    "error_system_busy": PlatformUnavailable,
    "invalid_acceess_token": AccessTokenExpired,  # Shopee's own spelling
    "shop_no_linked": AuthorizationLost,
    "partner_shop_no_link": AuthorizationLost,
    "shop_banned": AuthorizationLost,
    "error_partner_key_expired": SignatureRejected,
    "error_api_permission": ScopeDenied,
    "error_api_call_restricted": ScopeDenied,
    "error_shop": ShopScopeError,
    "error_param_shop_id_not_found": ShopScopeError,
}
OVERLOADED: dict[str, tuple[tuple[str, type[PlatformError]], ...]] = {
    "error_auth": (
        ("refresh_token", AuthorizationLost),
        ("access_token", AccessTokenExpired),
        ("no permission", ScopeDenied),
        ("shopid", AuthorizationLost),
        ("system error", PlatformUnavailable),
    ),
    "error_param": (
        ("timestamp", ClockSkewError),
        ("refresh_token", AuthorizationLost),
        ("invalid code", InvalidAuthCode),
        ("access_token", AccessTokenExpired),
        ("shop_id", ShopScopeError),
    ),
}


def error_class(error: str, message: str, http_status: int) -> type[PlatformError]:
    """Choose the error type for a non-empty `error`, falling back on the HTTP status."""
    if error in OVERLOADED:
        lowered = message.lower()
        return next((cls for word, cls in OVERLOADED[error] if word in lowered), PlatformRejected)
    if error in ERRORS:
        return ERRORS[error]
    if http_status == 429:
        return PlatformRateLimited
    if http_status >= 500:
        return PlatformUnavailable
    return PlatformRejected


def unwrap(response: httpx.Response) -> dict[str, Any]:
    """The `response` object (or the whole body, for token calls), amounts read as exact Decimals.

    Shopee sends money as JSON numbers; parsing them straight into Decimal keeps the digits it sent.
    """
    try:
        envelope = json.loads(response.content, parse_float=Decimal)
    except ValueError:
        envelope = None
    if not isinstance(envelope, dict):
        cls = error_class("", "", response.status_code)
        raise cls(f"HTTP {response.status_code} without a Shopee envelope", http_status=response.status_code)
    error = str(envelope.get("error") or "")
    if not error and response.is_success:
        data = envelope.get("response", envelope)
        return data if isinstance(data, dict) else {}
    message = str(envelope.get("message") or "")
    cls = error_class(error, message, response.status_code)
    raise cls(
        message or f"Shopee refused the request (HTTP {response.status_code})",
        platform_code=error or None,
        request_id=str(envelope.get("request_id", "")),
        http_status=response.status_code,
    )


def unwrap_file(response: httpx.Response) -> dict[str, Any]:
    """A file Shopee serves as itself (a shipping document): `{"content", "media_type"}`; an error still
    comes as the JSON envelope and raises like any other call."""
    media_type = response.headers.get("content-type", "").split(";")[0].strip()
    if response.is_success and media_type != "application/json":
        return {"content": response.content, "media_type": media_type or "application/pdf"}
    return unwrap(response)
