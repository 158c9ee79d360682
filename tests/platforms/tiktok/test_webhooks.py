"""Webhook verification on raw bytes, pinned to TikTok's published vector."""

from __future__ import annotations

import json

import pytest

from backend.errors import Unauthenticated
from backend.platforms.tiktok.webhooks import UNKNOWN, signature, verify, verify_and_parse

BODY = (
    b'{"type":1,"tts_notification_id":"7380066284010030890","shop_id":"7495540735365777507","timestamp":1718305585,'
    b'"data":{"is_on_hold_order":true,"order_id":"576653688135258178","order_status":"UNPAID","update_time":1718305585}}'
)
VECTOR = "5dec0f11ec2f6783b8deee53c9ffbf8d024302f7c7e7fa55a35d17629031ac05"


def test_published_vector() -> None:
    assert signature("abcdef", "123", BODY) == VECTOR
    event = verify_and_parse("abcdef", "123", BODY, VECTOR.upper())
    assert (event.name, event.order_id, event.notification_id) == (
        "ORDER_STATUS_CHANGE",
        "576653688135258178",
        "7380066284010030890",
    )
    assert event.pushed_at is not None and event.pushed_at.tzinfo is not None


def test_forged_and_reserialized_bodies_are_rejected() -> None:
    forged = BODY.replace(b"UNPAID", b"DELIVERED")
    reserialized = json.dumps(json.loads(BODY)).encode()
    assert not verify("abcdef", "123", forged, VECTOR)
    assert not verify("abcdef", "123", reserialized, VECTOR)
    assert not verify("abcdef", "123", BODY, None)
    with pytest.raises(Unauthenticated):
        verify_and_parse("abcdef", "123", forged, VECTOR)


def test_unknown_types_are_kept() -> None:
    body = b'{"type": 999, "shop_id": "1", "timestamp": 1718305585, "data": {"x": 1}}'
    event = verify_and_parse("k", "s", body, signature("k", "s", body))
    assert (event.type_code, event.name, event.notification_id, event.data) == (999, UNKNOWN, None, {"x": 1})
