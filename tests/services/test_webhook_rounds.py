"""Rounds of stored webhook events under a stream: the sheets are asked for after every round, a drain
that another worker takes the shop from hands the rest on, and so does a drain that reaches its last
round, losing and doubling nothing."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from backend import runtime
from backend.models import Order, WebhookEvent
from backend.platforms.tiktok.webhooks import signature
from backend.sandbox.tiktok.records import Delivery
from backend.services import leases, shop_round, webhooks
from backend.services.shops import Platform
from backend.services.sync import LEASE_TTL, shop_lease
from tests.conftest import Live


def announced(live: Live, count: int) -> list[Delivery]:
    """The webhooks of `count` new orders (TikTok sends every 4th twice), not yet delivered."""
    live.sandbox.add_orders(next(iter(live.sandbox.shops)), count)
    with live.sandbox.lock:
        batch, live.sandbox.outbox = live.sandbox.outbox, []
    return batch


def receive_new_orders(live: Live, count: int) -> None:
    """`count` new orders whose webhooks are received and stored, not yet processed."""
    batch = announced(live, count)
    settings = live.app.extensions["orderdeck.config"]
    for delivery in batch:
        headers = {"authorization": signature(live.sandbox.app_key, live.sandbox.app_secret, delivery.body)}
        webhooks.receive(live.db, settings, "tiktok", delivery.body, headers)


def counts(live: Live, shop_id: int) -> tuple[int, int, int]:
    """(orders stored, distinct orders stored, events pending) of the shop."""
    with live.db.session() as session:
        ids = list(session.scalars(select(Order.external_id).where(Order.shop_id == shop_id)))
        pending = session.scalar(
            select(func.count()).where(WebhookEvent.shop_id == shop_id, WebhookEvent.status == "pending")
        )
    return len(ids), len(set(ids)), int(pending or 0)


def test_a_stream_asks_after_every_round_and_a_drain_hands_the_shop_to_the_worker_that_took_it(live: Live) -> None:
    [shop_id] = live.connect_shop("Acme US", "US", orders=0)
    with live.app.app_context():
        platform = Platform(runtime.config(), runtime.secret_box())
    other = leases.new_holder()
    asked: list[tuple[int, int, int]] = []

    def after_round() -> None:
        """What the task does here is ask for the pushes; this stream also goes on meanwhile."""
        asked.append(counts(live, shop_id))
        receive_new_orders(live, 4)
        if len(asked) == 2:  # another worker's task takes the shop between this drain's rounds
            assert leases.try_acquire(live.db, shop_lease(shop_id), other, LEASE_TTL)

    receive_new_orders(live, 5)
    handled = shop_round.drain_events(live.db, platform, shop_id, after_round=after_round)

    # Each round's orders were asked for as soon as they were stored, while events were still arriving;
    # the drain ended without an error when the shop was taken, with what it had handled.
    assert asked == [(5, 5, 0), (9, 9, 0)]
    assert handled == 9  # TikTok's resends of an event were stored once, on receipt
    stored, distinct, pending = counts(live, shop_id)
    assert (stored, distinct) == (9, 9) and pending >= 4  # the last burst waits for the worker holding the shop

    with pytest.raises(leases.LeaseHeld):  # a drain that cannot take the shop in its first round says so
        shop_round.drain_events(live.db, platform, shop_id)
    leases.release(live.db, shop_lease(shop_id), other)
    shop_round.drain_events(live.db, platform, shop_id)  # the holder's own drain, once it has the shop
    assert counts(live, shop_id) == (13, 13, 0)  # nothing lost, nothing doubled


def test_a_backlog_longer_than_one_drain_is_handed_on_not_left_for_the_sweep(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Events stored while processing was down (an outage, a deploy) outnumber what one task's drain takes
    on: the task that the next webhook sets off asks for another drain, and the backlog is gone with no
    sweep, as the other workers' tasks, finding the shop taken, counted on it."""
    [shop_id] = live.connect_shop("Acme US", "US", orders=0)
    monkeypatch.setattr(shop_round, "ROUNDS", 2)  # a drain takes on 2 rounds of 3 events: 6 of the 13 below
    monkeypatch.setattr(webhooks, "BATCH", 3)
    receive_new_orders(live, 12)
    assert counts(live, shop_id) == (0, 0, 12)

    [arriving] = announced(live, 1)  # the backend is back, and the next order's webhook arrives over HTTP
    headers = {"Authorization": signature(live.sandbox.app_key, live.sandbox.app_secret, arriving.body)}
    assert httpx.post(f"{live.url}/webhooks/tiktok", content=arriving.body, headers=headers, timeout=10).is_success
    live.drain()

    assert counts(live, shop_id) == (13, 13, 0)
