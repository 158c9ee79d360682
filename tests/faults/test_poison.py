"""Poison data stops nothing: validly signed events and TikTok answers of unexpected shapes, over HTTP.

Shapes are drawn from schemas/tiktok/payloads.schema.json and poisoned (tests/poison.py). The oracle
for "usable" is the reference Python `jsonschema` validator, not the backend's own check.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from backend.catalog import SCHEMAS_DIR, load_json
from backend.domain import bounded_json
from backend.models import FailedItem, Shop, ShopStatus, WebhookEvent
from backend.platforms.tiktok.mapping import payload_id
from backend.platforms.tiktok.transport import RESPONSE_LIMITS
from backend.platforms.tiktok.webhooks import EVENT_CODES, signature
from backend.sandbox.tiktok.render import render_order
from backend.services import sync
from tests.conftest import Live
from tests.poison import POISON, poisoned, valid
from tests.services.test_sync import platform, sandbox_orders, sandbox_statuses, stored

PAYLOADS = load_json(SCHEMAS_DIR / "tiktok" / "payloads.schema.json")
DEFINITIONS = PAYLOADS["$defs"]
EXAMPLES = settings(max_examples=60, derandomize=True, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))  # fmt: skip
# Events that end or warn about the shop's authorization are sent by TikTok only for real reasons;
# drawn at random they would (rightly) stop the shop, which is not what this test is about.
SHOP_ENDING = {EVENT_CODES["SELLER_DEAUTHORIZATION"], EVENT_CODES["UPCOMING_AUTHORIZATION_EXPIRATION"]}


def reference(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator({"$ref": f"#/$defs/{name}", "$defs": DEFINITIONS})


def typed_data(code: int) -> str | None:
    """The definition the schema gives `data` of event type `code` (read from its if/then pairs)."""
    for rule in DEFINITIONS["webhook_event"]["allOf"]:
        matches = rule["if"]["properties"]["type"]
        if code == matches.get("const") or code in matches.get("enum", ()):
            return str(rule["then"]["properties"]["data"]["$ref"]).rsplit("/", 1)[-1]
    return None


@st.composite
def events(draw: st.DrawFn, shop_key: str) -> dict[str, Any]:
    """A well-formed event of any type (most for our shop), its data drawn from the type's definition."""
    code = draw(st.sampled_from(sorted(set(EVENT_CODES.values()) - SHOP_ENDING)) | st.integers(0, 100000))
    data = typed_data(code)
    envelope: dict[str, Any] = draw(valid(DEFINITIONS["webhook_event"], DEFINITIONS))
    envelope["type"] = code
    envelope["data"] = draw(valid({"$ref": data} if data else {"type": "object"}, DEFINITIONS))
    if draw(st.integers(0, 4)):
        envelope["shop_id"] = shop_key
    return envelope


@st.composite
def bodies(draw: st.DrawFn, shop_key: str) -> bytes:
    """Signed-to-be bodies: well-formed events, poisoned ones, and bytes that are no JSON at all."""
    event = draw(events(shop_key))
    kind = draw(st.sampled_from(["valid", "poisoned", "poisoned", "poisoned", "raw"]))
    if kind == "raw":
        return draw(st.sampled_from([b"", b"\xff\xfe", b"NaN", b'{"type": 1e999}', b"[" * 100_000, b"\x00"]))
    value = event if kind == "valid" else draw(poisoned(event))
    return json.dumps(value, allow_nan=False, default=str).encode()


def post(live: Live, body: bytes) -> httpx.Response:
    headers = {"Authorization": signature(live.sandbox.app_key, live.sandbox.app_secret, body),
               "Content-Type": "application/json"}  # fmt: skip
    return httpx.post(f"{live.url}/webhooks/tiktok", content=body, headers=headers, timeout=30)


def test_signed_poison_webhooks_are_kept_as_failed_and_answered_200_and_the_shop_goes_on(
    live: Live, caplog: pytest.LogCaptureFixture
) -> None:
    [shop_id] = live.connect_shop(orders=0)
    shop_key = next(iter(live.sandbox.shops))
    check = reference("webhook_event")
    sent: list[tuple[bytes, bool]] = []

    @EXAMPLES
    @given(body=bodies(shop_key))
    def attack(body: bytes) -> None:
        response = post(live, body)
        assert response.status_code == 200, (body[:300], response.text[:300])
        try:
            usable = check.is_valid(json.loads(body))
        except (ValueError, RecursionError):
            usable = False
        reply = response.json()
        if not usable and not reply["duplicate"]:
            assert reply["stored_as_failed"], body[:300]  # with its reason, so TikTok need not resend
        sent.append((body, usable))

    attack()
    live.drain()
    assert any(usable for _, usable in sent) and any(not usable for _, usable in sent)
    with live.db.session() as session:
        statuses = dict(session.execute(select(WebhookEvent.status, func.count()).group_by(WebhookEvent.status)).all())
        failed_reasons = list(session.scalars(select(WebhookEvent.error).where(WebhookEvent.status == "failed")))
        assert session.get_one(Shop, shop_id).status == ShopStatus.ACTIVE
    assert "pending" not in statuses, statuses  # nothing left to loop on
    assert statuses.get("failed", 0) >= sum(1 for _, usable in sent if not usable) // 2
    assert all(reason for reason in failed_reasons)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "no task crashed"

    # The shop's real events still bring its orders in, and `shop status` names what failed.
    live.sandbox.add_orders(shop_key, 5)
    assert live.sandbox.deliver_webhooks() >= 5
    live.drain()
    assert stored(live) == sandbox_statuses(live) and len(stored(live)) == 5
    result = live.app.test_cli_runner().invoke(args=["shop", "status", "--team", "Acme Trading"])
    assert result.exit_code == 0, result.output
    assert "failed payloads 0" not in result.output and "last failed payload: webhook" in result.output


# -- TikTok's API answers ------------------------------------------------------------------------------

ORDER_FIELDS = sorted(DEFINITIONS["order"]["properties"])


@st.composite
def damages(draw: st.DrawFn) -> dict[str, Any]:
    """Fields of an order answer overwritten as a buggy API day would: a top-level field, or one inside."""
    field = draw(st.sampled_from(ORDER_FIELDS))
    if field in ("payment", "recipient_address", "line_items", "packages") and draw(st.booleans()):
        inner = draw(valid(DEFINITIONS["order"]["properties"][field], DEFINITIONS))
        return {field: draw(poisoned(inner))}
    return {field: draw(POISON)}


def test_poison_in_order_answers_fails_those_orders_and_the_sync_goes_on(live: Live) -> None:
    [shop_id] = live.connect_shop(orders=24)
    orders = list(sandbox_orders(live).values())
    check = reference("order")

    @settings(max_examples=8, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(harm=st.lists(damages(), min_size=1, max_size=12))
    def attack(harm: list[dict[str, Any]]) -> None:
        for order, damage in zip(orders, harm, strict=False):
            order.damage = damage
        with live.db.session() as session:
            session.execute(delete(FailedItem))
        report = sync.sync_shop(live.db, platform(live), shop_id, full=True)  # never raises on poison

        with live.db.session() as session:
            failed = list(session.execute(select(FailedItem.external_id, FailedItem.reason)))
        answers = [answer(live, o.order_id) for o in orders if o.damage]
        unusable = [a for a in answers if not check.is_valid(a)]
        assert report.failed == len(failed) >= len(unusable)
        assert all(reason for _, reason in failed)
        named = {payload_id(a) for a in unusable} - {None}
        assert named <= {external_id for external_id, _ in failed}, "each names the order that failed"
        whole = {o.order_id for o in orders if not o.damage}
        assert whole <= set(stored(live)), "every other order of the page was stored"
        for order in orders:
            order.damage = {}

    attack()
    report = sync.sync_shop(live.db, platform(live), shop_id, full=True)
    assert report.failed == 0
    assert stored(live) == sandbox_statuses(live)


def answer(live: Live, order_id: str) -> Any:
    """The order as the sandbox serves it now, damage included, as the backend's parser reads it."""
    shop = next(iter(live.sandbox.shops.values()))
    served = json.dumps(render_order(shop, shop.orders[order_id], live.sandbox.now()), default=str)
    return bounded_json.loads(served, RESPONSE_LIMITS)
