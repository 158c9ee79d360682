"""TikTok Shop webhooks: verify the raw bytes first, then parse into a typed event.

Signature (TikTok Shop Partner Center, "Webhooks overview"): `Authorization` = lower-case hex
HMAC-SHA256(key=app_secret, msg=app_key + raw body). A verified body is parsed with bounded depth,
size and numbers and checked against `webhook_event` in schemas/tiktok/payloads.schema.json; one that
fails raises UnusableEvent carrying what could be read of it, so the service stores it as failed.
The type → name map is data; unknown types are kept (as UNKNOWN) so nothing is dropped silently.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from backend.domain import bounded_json
from backend.domain.bounded_json import JsonLimits
from backend.errors import Unauthenticated
from backend.platforms.base import OrderMappingError, UnusablePush
from backend.platforms.tiktok.mapping import optional_timestamp, payload_id, shape_problem

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
UNUSABLE = "UNUSABLE"  # the stored type of a verified body that is not a usable event
# TikTok's events are a few hundred bytes nested three levels; ids are 64-bit numbers.
EVENT_LIMITS = JsonLimits(max_bytes=256 * 1024, max_depth=16, max_integer_digits=20, max_abs_number=1e18)


class UnusableEvent(UnusablePush):
    """A verified body that is no usable TikTok event, with what could be read of it (to store it as failed)."""

    def __init__(self, message: str, payload: object = None) -> None:
        super().__init__(
            message, shop_id=payload_id(payload, "shop_id"), notification_id=payload_id(payload, "tts_notification_id")
        )


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
        return payload_id(self.data, "order_id")

    def order_ids(self) -> list[str]:
        """Every order the event names: one for order events, all in the package list for package events."""
        ids = [self.order_id] if self.order_id else []
        if self.name == "PACKAGE_UPDATE":  # the only type whose package list the schema checks
            ids += [str(i) for package in self.data["package_list"] for i in package.get("order_id_list") or ()]
        return ids


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
    """Parse a body that has already been verified; raises UnusableEvent saying what is wrong with it."""
    try:
        payload = bounded_json.loads(raw_body, EVENT_LIMITS)
    except bounded_json.JsonRefused as exc:
        raise UnusableEvent(f"not a TikTok event: {exc}") from None
    problem = shape_problem("webhook_event", payload)
    if problem is not None:
        raise UnusableEvent(f"malformed TikTok event: field {problem[0]!r} {problem[1]}", payload)
    try:
        pushed_at = optional_timestamp(payload, "timestamp")
    except OrderMappingError as exc:
        raise UnusableEvent(f"malformed TikTok event: field 'timestamp' {exc.problem}", payload) from None
    type_code = int(payload["type"])
    return WebhookEvent(
        type_code=type_code,
        name=EVENT_TYPES.get(type_code, UNKNOWN),
        notification_id=payload_id(payload, "tts_notification_id"),
        shop_id=str(payload["shop_id"]),
        pushed_at=pushed_at,
        data=payload["data"],
        raw=raw_body,
    )


def verify_and_parse(app_key: str, app_secret: str, raw_body: bytes, authorization: str | None) -> WebhookEvent:
    """What a webhook handler calls: reject forged bodies before any parsing happens."""
    if not verify(app_key, app_secret, raw_body, authorization):
        raise Unauthenticated("webhook Authorization does not match HMAC-SHA256(app_secret, app_key + body)")
    return parse_event(raw_body)
