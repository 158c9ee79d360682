"""TikTok Shop webhooks: verify the raw bytes first, then parse into a typed event.

Signature (TikTok Shop Partner Center, "Webhooks overview", signature verification): `Authorization` =
lower-case hex HMAC-SHA256(key=app_secret, msg=app_key + raw body).
The type → name map is data; unknown types are kept (as UNKNOWN) so nothing is dropped silently.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from backend.errors import InvalidInput, Unauthenticated
from backend.platforms.tiktok.mapping import optional_timestamp

EVENT_TYPES: dict[int, str] = {
    1: "ORDER_STATUS_CHANGE",
    2: "REVERSE_STATUS_UPDATE",
    3: "RECIPIENT_ADDRESS_UPDATE",
    4: "PACKAGE_UPDATE",
    5: "PRODUCT_STATUS_CHANGE",
    6: "SELLER_DEAUTHORIZATION",
    7: "UPCOMING_AUTHORIZATION_EXPIRATION",
    11: "CANCELLATION_STATUS_CHANGE",
    12: "RETURN_STATUS_CHANGE",
    15: "PRODUCT_INFORMATION_CHANGE",
    16: "PRODUCT_CREATION",
    37: "PRODUCT_AUDIT_STATUS_CHANGE",
}
EVENT_CODES = {name: code for code, name in EVENT_TYPES.items()}
UNKNOWN = "UNKNOWN"


@dataclass(frozen=True)
class WebhookEvent:
    """A verified event. Dedupe on `notification_id` (absent in older payloads: None)."""

    type_code: int
    name: str
    notification_id: str | None
    shop_id: str
    pushed_at: datetime | None
    data: dict[str, Any]
    raw: bytes = field(repr=False)

    @property
    def order_id(self) -> str | None:
        value = self.data.get("order_id")
        return None if value is None else str(value)


def signature(app_key: str, app_secret: str, raw_body: bytes) -> str:
    """The `Authorization` header value TikTok sends for `raw_body` (the sandbox signs with it too)."""
    return hmac.new(app_secret.encode(), app_key.encode() + raw_body, hashlib.sha256).hexdigest()


def verify(app_key: str, app_secret: str, raw_body: bytes, authorization: str | None) -> bool:
    """Constant-time check of the header against the exact bytes received."""
    if not authorization:
        return False
    expected = signature(app_key, app_secret, raw_body)
    return hmac.compare_digest(expected, authorization.strip().lower())


def parse_event(raw_body: bytes) -> WebhookEvent:
    """Parse a body that has already been verified."""
    try:
        payload = json.loads(raw_body)
        type_code = int(payload["type"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"webhook body is not a TikTok event: {exc}") from exc
    data = payload.get("data")
    return WebhookEvent(
        type_code=type_code,
        name=EVENT_TYPES.get(type_code, UNKNOWN),
        notification_id=str(payload["tts_notification_id"]) if payload.get("tts_notification_id") else None,
        shop_id=str(payload.get("shop_id", "")),
        pushed_at=optional_timestamp(payload, "timestamp"),
        data=data if isinstance(data, dict) else {},
        raw=raw_body,
    )


def verify_and_parse(app_key: str, app_secret: str, raw_body: bytes, authorization: str | None) -> WebhookEvent:
    """What a webhook handler calls: reject forged bodies before any parsing happens."""
    if not verify(app_key, app_secret, raw_body, authorization):
        raise Unauthenticated("webhook Authorization does not match HMAC-SHA256(app_secret, app_key + body)")
    return parse_event(raw_body)
