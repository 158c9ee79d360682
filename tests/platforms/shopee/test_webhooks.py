"""Shopee pushes read into neutral events: what each code means, and bodies that are not pushes."""

from __future__ import annotations

import json

import pytest

from backend.platforms.base import PushKind, UnusablePush
from backend.platforms.shopee.webhooks import parse_push
from tests.platforms.shopee.test_signing import PUSH_BODY


def push(code: int, data: object, shop_id: object = 30011) -> bytes:
    return json.dumps({"data": data, "shop_id": shop_id, "code": code, "timestamp": 1639390316}).encode()


def test_an_order_push_names_its_order_and_is_refetched_not_trusted() -> None:
    event = parse_push(PUSH_BODY)
    assert (event.kind, event.name, event.shop_id, event.order_ids) == (
        PushKind.ORDERS,
        "order_status",
        "30011",
        ("2112132KAD867D",),
    )
    assert event.notification_id is None  # Shopee sends none: the receiver dedupes on the body's hash
    tracking = parse_push(push(4, {"ordersn": "2112132KAD867D", "package_number": "OFG1", "tracking_no": "X1"}))
    assert tracking.kind is PushKind.ORDERS and tracking.order_ids == ("2112132KAD867D",)


def test_authorization_pushes_stop_or_warn() -> None:
    assert parse_push(push(2, {"shop_id": 30011})).kind is PushKind.DEAUTHORIZED
    expiring = parse_push(push(12, {"expire_before": 1700000000}))
    assert expiring.kind is PushKind.AUTHORIZATION_EXPIRING and "2023-11-14" in expiring.detail
    assert "soon" in parse_push(push(12, {"expire_before": 10**30})).detail  # absurd, not a crash


def test_codes_we_do_not_act_on_are_kept_as_other() -> None:
    event = parse_push(push(7, {"item_id": 1}))
    assert (event.kind, event.name, event.order_ids) == (PushKind.OTHER, "code_7", ())


NOT_PUSHES = [b"not json", b"[]", b'{"code": 3}', push(True, {}), push(3, {}, shop_id="30011")]


@pytest.mark.parametrize("body", NOT_PUSHES)
def test_a_body_that_is_not_a_push_is_refused_with_a_reason(body: bytes) -> None:
    with pytest.raises(UnusablePush, match="not a Shopee push"):
        parse_push(body)
