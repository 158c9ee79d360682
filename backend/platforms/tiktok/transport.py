"""TikTok Shop's response envelope `{code, message, request_id, data}` → `data`, or the typed error."""

from __future__ import annotations

import json
from typing import Any

import httpx

from backend.platforms.tiktok.errors import error_class


def unwrap(response: httpx.Response) -> dict[str, Any]:
    """Return `data` of a `{code, message, request_id, data}` envelope or raise the typed error."""
    try:
        envelope = json.loads(response.content)
    except ValueError:
        envelope = None
    if not isinstance(envelope, dict) or not isinstance(envelope.get("code"), int):
        cls = error_class(-1, "", response.status_code)
        raise cls(f"HTTP {response.status_code} without a TikTok envelope", http_status=response.status_code)
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
