"""Shopee pushes: verify the raw bytes first, then read the envelope into a neutral PushEvent.

Envelope `{"data": {...}, "shop_id": N, "code": N, "timestamp": N}` ("Push Mechanism" guide,
open.shopee.com/developer-guide/18). Codes: 1 shop authorized, 2 authorization cancelled, 3 order
status, 4 tracking number, 12 authorization about to expire. An order push names the order as
`ordersn` (not `order_sn`); its status is never trusted, the order is fetched again. Shopee sends no
notification id, so redeliveries are told apart by the body's hash.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from backend.platforms.base import PushEvent, PushKind, UnusablePush

CODES: dict[int, tuple[str, PushKind]] = {
    1: ("shop_authorization", PushKind.OTHER),
    2: ("shop_authorization_canceled", PushKind.DEAUTHORIZED),
    3: ("order_status", PushKind.ORDERS),
    4: ("order_trackingno", PushKind.ORDERS),
    5: ("shopee_updates", PushKind.OTHER),
    12: ("open_api_authorization_expiry", PushKind.AUTHORIZATION_EXPIRING),
    15: ("shipping_document_status", PushKind.OTHER),
}


def _day(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        return "soon"
    try:
        return datetime.fromtimestamp(value, UTC).date().isoformat()
    except (OverflowError, ValueError, OSError):
        return "soon"


def parse_push(raw_body: bytes) -> PushEvent:
    """A verified body → event; a body that is not a Shopee push is refused with the reason."""
    try:
        payload: Any = json.loads(raw_body)
        code, shop_id = payload["code"], payload["shop_id"]
    except (ValueError, KeyError, TypeError) as exc:
        raise UnusablePush(f"webhook body is not a Shopee push: {exc}") from None
    if isinstance(code, bool) or not isinstance(code, int) or isinstance(shop_id, bool) or not isinstance(shop_id, int):
        shop = payload.get("shop_id") if isinstance(payload, dict) else None
        raise UnusablePush(
            "webhook body is not a Shopee push: code and shop_id must be numbers",
            shop_id=str(shop) if isinstance(shop, int) and not isinstance(shop, bool) else None,
        )
    data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
    name, kind = CODES.get(code, (f"code_{code}", PushKind.OTHER))
    order_sn = data.get("ordersn") or data.get("order_sn")
    detail = ""
    if kind is PushKind.AUTHORIZATION_EXPIRING:
        detail = f"Shopee authorization expires {_day(data.get('expire_before'))}: reconnect the shop"
    return PushEvent(
        kind=kind,
        name=name,
        notification_id=None,
        shop_id=str(shop_id),
        order_ids=(str(order_sn),) if isinstance(order_sn, str) and order_sn else (),
        detail=detail,
    )
