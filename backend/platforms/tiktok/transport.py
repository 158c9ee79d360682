"""TikTok Shop's response envelope `{code, message, request_id, data}` → `data`, or the typed error."""

from __future__ import annotations

from typing import Any

import httpx

from backend.domain import bounded_json
from backend.domain.bounded_json import JsonLimits
from backend.platforms.tiktok.errors import error_class

# TikTok's ids are 64-bit (20 digits), sometimes unquoted. Lenient: a page of orders is many records, and
# one bad number or string in one of them fails that record (its schema check), not the page.
RESPONSE_LIMITS = JsonLimits(
    max_bytes=64 * 1024 * 1024, max_depth=256, max_integer_digits=20, max_abs_number=1e18, lenient=True
)


def unwrap(response: httpx.Response) -> dict[str, Any]:
    """Return `data` of a `{code, message, request_id, data}` envelope or raise the typed error."""
    try:
        envelope = bounded_json.loads(response.content, RESPONSE_LIMITS)
        problem = ""
    except bounded_json.JsonRefused as exc:
        envelope, problem = None, f" ({exc})"
    if not isinstance(envelope, dict) or not isinstance(envelope.get("code"), int):
        cls = error_class(-1, "", response.status_code)
        raise cls(f"HTTP {response.status_code} without a TikTok envelope{problem}", http_status=response.status_code)
    code: int = envelope["code"]
    if code == 0 and response.is_success:
        data = envelope.get("data")
        return data if isinstance(data, dict) else {}
    message = str(envelope.get("message", ""))
    cls = error_class(code, message, response.status_code)
    raise cls(
        message or "TikTok refused the request",
        platform_code=code,
        request_id=str(envelope.get("request_id", "")),
        http_status=response.status_code,
    )
