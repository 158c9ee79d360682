"""Sync and webhooks against the TikTok Shop sandbox over HTTP: nothing lost, nothing doubled."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import func, select, update

from backend import runtime
from backend.errors import ReauthorizationNeeded
from backend.models import (
    FailedItem,
    Lease,
    Order,
    OrderEvent,
    OrderLine,
    Shop,
    ShopStatus,
    SyncRun,
    WebhookEvent,
    utcnow,
)
from backend.platforms.http import RetryPolicy
from backend.platforms.tiktok.webhooks import signature
from backend.sandbox.tiktok.records import Faults
from backend.sandbox.tiktok.world import Order as SandboxOrder
from backend.services import leases, sync
from backend.services import shops as shops_service
from backend.services.shops import Platform
from tests.conftest import Live

ROOT = Path(__file__).resolve().parents[2]


def platform(live: Live) -> Platform:
    """The backend's view of TikTok; backoff waits are recorded instead of slept, to keep tests fast."""
    with live.app.app_context():
        return Platform(runtime.config(), runtime.secret_box(), retry=RetryPolicy(sleep=lambda _s: None))


def sandbox_orders(live: Live) -> dict[str, SandboxOrder]:
    return {oid: o for shop in live.sandbox.shops.values() for oid, o in shop.orders.items()}


def stored(live: Live) -> dict[str, str]:
    with live.db.session() as session:
        return {oid: status for oid, status in session.execute(select(Order.external_id, Order.status))}


def sandbox_statuses(live: Live) -> dict[str, str]:
    now = live.sandbox.now()
    return {oid: o.status_at(now) for oid, o in sandbox_orders(live).items()}


def test_first_sync_stores_every_order_once_with_one_line_per_unit(live: Live) -> None:
    [shop_id] = live.connect_shop(orders=60)
    with live.sandbox.clock.stopped():
        report = sync.sync_shop(live.db, platform(live), shop_id)
        assert report.result.new == 60
        assert stored(live) == sandbox_statuses(live)
    with live.db.session() as session:
        units = session.scalar(select(func.count()).select_from(OrderLine))
    assert units == sum(len(o.lines) for o in sandbox_orders(live).values())

    again = sync.sync_shop(live.db, platform(live), shop_id)
    assert (again.result.new, again.result.updated) == (0, 0)
    assert len(stored(live)) == 60


def test_a_burst_of_429_and_503_loses_and_doubles_nothing(live: Live) -> None:
    [shop_id] = live.connect_shop(orders=250)
    live.sandbox.reset_counters()
    live.sandbox.faults = Faults(every=2, burst=1)  # every other call answers 429 or 503
    with live.sandbox.clock.stopped():
        report = sync.sync_shop(live.db, platform(live), shop_id)
        assert report.result.new == 250
        assert stored(live) == sandbox_statuses(live)
    assert live.sandbox.counters.faults_injected > 0


def test_changes_are_picked_up_and_recorded_as_status_events(live: Live) -> None:
    [shop_id] = live.connect_shop(orders=30)
    sync.sync_shop(live.db, platform(live), shop_id)
    before = stored(live)
    live.sandbox.advance(3 * 24 * 3600)
    with live.sandbox.clock.stopped():
        report = sync.sync_shop(live.db, platform(live), shop_id)
        after = stored(live)
        moved = {oid for oid in after if after[oid] != before[oid]}
        assert moved and report.result.updated >= len(moved)
        assert after == sandbox_statuses(live)
    with live.db.session() as session:
        events = session.execute(
            select(Order.external_id, OrderEvent.from_status, OrderEvent.to_status)
            .join(Order)
            .where(OrderEvent.from_status.is_not(None))
        ).all()
    assert {(oid, before[oid], after[oid]) for oid in moved} == {tuple(e) for e in events}


def test_one_bad_order_payload_is_recorded_and_the_rest_of_its_page_goes_on(live: Live) -> None:
    [shop_id] = live.connect_shop(orders=20)
    orders = list(sandbox_orders(live).values())
    orders[3].damage = {"create_time": "yesterday"}
    orders[7].damage = {"payment": {"currency": "USD", "total_amount": "12,50"}}
    report = sync.sync_shop(live.db, platform(live), shop_id)
    assert report.result.new == 18
    assert report.failed == 2
    with live.db.session() as session:
        failed = {f.external_id: f.reason for f in session.scalars(select(FailedItem))}
    bad = {orders[3].order_id, orders[7].order_id}
    assert set(failed) == bad
    assert "create_time" in failed[orders[3].order_id]
    assert set(stored(live)) == set(sandbox_orders(live)) - bad


def test_orders_no_webhook_announced_count_as_missed_by_webhook(live: Live) -> None:
    [shop_id] = live.connect_shop(orders=5)
    sync.sync_shop(live.db, platform(live), shop_id)
    shop_key = next(iter(live.sandbox.shops))
    live.sandbox.advance(600)  # later than the webhook subscription
    live.sandbox.add_orders(shop_key, 4)
    live.sandbox.outbox.clear()  # TikTok never delivered any of these webhooks
    report = sync.sync_shop(live.db, platform(live), shop_id)
    assert report.result.new == 4
    assert report.missed_by_webhook == 4 + report.result.updated
    with live.db.session() as session:
        assert session.scalar(select(func.max(SyncRun.missed_by_webhook_count))) == report.missed_by_webhook
    with live.app.app_context():
        status = live.app.test_cli_runner().invoke(args=["shop", "status", "--team", "Acme Trading"])
    assert f"missed by webhook {report.missed_by_webhook}, failed payloads 0" in status.output
    assert "— ok; last sync 0 min ago" in status.output


def test_two_syncs_of_one_shop_never_interleave(live: Live) -> None:
    [shop_id] = live.connect_shop(orders=300)
    live.sandbox.faults = Faults(latency_seconds=0.2)
    first_started = threading.Event()
    outcome: dict[str, object] = {}

    def first() -> None:
        def started(_progress: sync.SyncProgress) -> None:
            first_started.set()

        outcome["first"] = sync.sync_shop(live.db, platform(live), shop_id, on_page=started)

    thread = threading.Thread(target=first)
    thread.start()
    assert first_started.wait(30)
    with pytest.raises(leases.LeaseHeld):
        sync.sync_shop(live.db, platform(live), shop_id)
    thread.join(60)
    assert isinstance(outcome["first"], sync.SyncReport)
    with live.db.session() as session:
        assert session.scalar(select(func.count()).select_from(SyncRun)) == 1
    assert len(stored(live)) == 300


def test_a_crashed_workers_lease_expires(live: Live) -> None:
    assert leases.try_acquire(live.db, "shop:1", "crashed-worker", timedelta(seconds=30))
    assert not leases.try_acquire(live.db, "shop:1", "other", timedelta(seconds=30))
    later = utcnow() + timedelta(seconds=31)
    assert leases.try_acquire(live.db, "shop:1", "other", timedelta(seconds=30), now=later)


def test_a_sync_killed_mid_page_resumes_with_nothing_lost_or_doubled(live: Live) -> None:
    [shop_id] = live.connect_shop(orders=1200)
    live.sandbox.faults = Faults(latency_seconds=0.25)
    env = live.process_env()
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "backend", "sync", "--shop", str(shop_id)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while len(stored(live)) < 300 and time.monotonic() < deadline:
        time.sleep(0.05)
    worker.send_signal(signal.SIGKILL)
    output, _ = worker.communicate(timeout=10)
    partial = len(stored(live))
    assert 0 < partial < 1200, f"the kill must land mid-sync: {output.decode(errors='replace')}"
    with live.db.session() as session:
        assert session.scalar(select(SyncRun.status)) == "running"  # the run never finished
        # The dead worker's lease runs out by itself; fast-forward that instead of waiting five minutes.
        session.execute(update(Lease).values(expires_at=utcnow() - timedelta(seconds=1)))

    live.sandbox.faults = Faults()
    with live.sandbox.clock.stopped():
        report = sync.sync_shop(live.db, platform(live), shop_id)
        assert report.result.new == 1200 - partial
        assert stored(live) == sandbox_statuses(live)


def test_a_shop_whose_authorization_was_revoked_stops_with_a_clear_status(live: Live) -> None:
    [shop_id] = live.connect_shop(orders=3)
    live.sandbox.revoke()
    live.sandbox.expire_access_tokens()
    with pytest.raises(ReauthorizationNeeded, match=r"reconnect|connect"):
        sync.sync_shop(live.db, platform(live), shop_id)
    with live.db.session() as session:
        shop = session.get(Shop, shop_id)
        assert shop is not None and shop.status == ShopStatus.REAUTHORIZATION_NEEDED
        assert shop.status_reason
    calls = live.sandbox.counters.total
    with pytest.raises(ReauthorizationNeeded):
        sync.sync_shop(live.db, platform(live), shop_id)
    assert live.sandbox.counters.total == calls  # no retry loop: TikTok is not called again


# -- webhooks over HTTP ------------------------------------------------------------------------------


def post_webhook(live: Live, body: bytes, auth: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json"} | ({"Authorization": auth} if auth else {})
    return httpx.post(f"{live.url}/webhooks/tiktok", content=body, headers=headers, timeout=10)


def event_body(live: Live, order_id: str, status: str, notification: str = "7380066284010030890") -> bytes:
    shop_key = next(iter(live.sandbox.shops))
    envelope = {
        "type": 1,
        "tts_notification_id": notification,
        "shop_id": shop_key,
        "timestamp": 1718305585,
        "data": {"order_id": order_id, "order_status": status, "update_time": 1718305585},
    }
    return json.dumps(envelope, separators=(", ", ": ")).encode()


def webhook_rows(live: Live) -> int:
    with live.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(WebhookEvent)) or 0)


def test_forged_or_reserialized_webhooks_are_refused_and_stored_nowhere(live: Live) -> None:
    live.connect_shop(orders=1)
    order_id = next(iter(sandbox_orders(live)))
    body = event_body(live, order_id, "DELIVERED")
    good = signature(live.sandbox.app_key, live.sandbox.app_secret, body)
    assert post_webhook(live, body, None).status_code == 401
    assert post_webhook(live, body, "0" * 64).status_code == 401
    assert post_webhook(live, body, signature(live.sandbox.app_key, "wrong-secret", body)).status_code == 401
    reserialized = json.dumps(json.loads(body), separators=(",", ":")).encode()
    response = post_webhook(live, reserialized, good)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    assert webhook_rows(live) == 0


def failed_events(live: Live) -> list[tuple[int | None, str | None]]:
    with live.db.session() as session:
        rows = session.execute(select(WebhookEvent.shop_id, WebhookEvent.error).where(WebhookEvent.status == "failed"))
        return [(shop_id, error) for shop_id, error in rows]


def test_a_webhook_for_an_unknown_shop_is_kept_as_failed_and_acknowledged(live: Live) -> None:
    live.connect_shop(orders=1)
    envelope = {
        "type": 1,
        "tts_notification_id": "1",
        "shop_id": "999",
        "timestamp": 1718305585,
        "data": {"order_id": "5"},
    }
    body = json.dumps(envelope).encode()
    response = post_webhook(live, body, signature(live.sandbox.app_key, live.sandbox.app_secret, body))
    assert response.status_code == 200  # TikTok would only send it again
    assert failed_events(live) == [(None, "no connected shop '999': the event was kept, not processed")]


def test_a_signed_but_malformed_webhook_is_stored_as_failed_with_its_reason(live: Live) -> None:
    [shop_id] = live.connect_shop(orders=1)
    shop_key = next(iter(live.sandbox.shops))
    bodies = {
        b"not json": "not a TikTok event: not JSON",
        b'{"type": "x"}': '"shop_id" is a required property',
        f'{{"type": 1, "shop_id": "{shop_key}", "timestamp": -5, "data": {{}}}}'.encode(): "field 'timestamp'",
    }
    for body in bodies:
        response = post_webhook(live, body, signature(live.sandbox.app_key, live.sandbox.app_secret, body))
        assert response.status_code == 200, body
        assert "malformed" in response.json()["stored_as_failed"] or "not a TikTok event" in response.text
    stored_failed = failed_events(live)
    assert len(stored_failed) == 3
    for (_, error), expected in zip(stored_failed, bodies.values(), strict=True):
        assert error is not None and expected in error
    assert [owner for owner, _ in stored_failed] == [None, None, shop_id]  # the third names a connected shop


def test_webhooks_bring_orders_in_and_replays_change_nothing(live: Live) -> None:
    [shop_id] = live.connect_shop(orders=0)
    shop_key = next(iter(live.sandbox.shops))
    live.sandbox.add_orders(shop_key, 6)
    with live.sandbox.clock.stopped():
        assert live.sandbox.deliver_webhooks() >= 6  # some are deliberately sent twice
        live.drain()
        assert stored(live) == sandbox_statuses(live)
    with live.db.session() as session:
        rows = session.execute(select(WebhookEvent.notification_id, WebhookEvent.status)).all()
        events_before = session.scalar(select(func.count()).select_from(OrderEvent))
    assert len(rows) == len({n for n, _ in rows}) == 6
    assert {status for _, status in rows} == {"done"}

    for delivery in live.sandbox.delivered:  # TikTok retries the same notifications
        sig = signature(live.sandbox.app_key, live.sandbox.app_secret, delivery.body)
        assert post_webhook(live, delivery.body, sig).json()["duplicate"] is True
    live.drain()
    assert webhook_rows(live) == 6
    with live.db.session() as session:
        assert session.scalar(select(func.count()).select_from(OrderEvent)) == events_before
    assert shop_id


def test_an_out_of_order_webhook_never_rolls_an_order_back(live: Live) -> None:
    live.connect_shop(orders=0)
    shop_key = next(iter(live.sandbox.shops))
    live.sandbox.add_orders(shop_key, 3)
    live.sandbox.advance(6 * 24 * 3600)  # every order walks through several statuses, each announced
    queued = list(live.sandbox.outbox)
    live.sandbox.outbox[:] = list(reversed(queued))  # newest first, oldest last
    with live.sandbox.clock.stopped():
        live.sandbox.deliver_webhooks()
        live.drain()
        assert stored(live) == sandbox_statuses(live)
    with live.db.session() as session:
        moves = session.execute(select(OrderEvent.from_status, OrderEvent.to_status)).all()
    order = [
        "UNPAID",
        "ON_HOLD",
        "AWAITING_SHIPMENT",
        "PARTIALLY_SHIPPING",
        "AWAITING_COLLECTION",
        "IN_TRANSIT",
        "DELIVERED",
        "COMPLETED",
    ]
    for before, after in moves:
        if before in order and after in order:
            assert order.index(after) > order.index(before), f"rolled back {before} → {after}"


def test_the_command_line_connects_a_shop_and_says_what_a_sync_changed(live: Live) -> None:
    """`flask` pushes an app context for every command; the test runner does not, so the test does."""
    shop = live.sandbox.add_shop("Acme UK", "GB", orders=12)
    runner = live.app.test_cli_runner()
    with live.app.app_context():
        result = runner.invoke(
            args=[
                "shop",
                "connect",
                "--team",
                "Acme Trading",
                "--auth-code",
                live.sandbox.issue_auth_code([shop.shop_id]),
            ]
        )
        assert result.exit_code == 0, result.output
        assert "connected Acme UK (GB, GBP, Europe/London)" in result.output
        used_again = runner.invoke(args=["shop", "connect", "--team", "Acme Trading", "--auth-code", "code_bogus"])
        assert used_again.exit_code != 0 and "TikTok Shop did not accept the auth code" in used_again.output

        result = runner.invoke(args=["sync"])
        assert result.exit_code == 0, result.output
        assert "new 12, updated 0, unchanged 0" in result.output
        result = runner.invoke(args=["sync", "--shop", shop.shop_id])
        assert "new 0, updated 0" in result.output
        assert runner.invoke(args=["sync", "--shop", "nope"]).exit_code != 0


def test_the_consent_redirect_connects_the_shop_to_the_team_that_asked(live: Live) -> None:
    shop = live.sandbox.add_shop("Acme MY", "MY", orders=0)
    with live.app.app_context():
        link = shops_service.consent_link(
            live.db, platform(live), team_id=live.team_id, started_by="founder@acme.test", name="tiktok", region="MY"
        )
    state = parse_qs(urlsplit(link).query)["state"][0]
    code = live.sandbox.issue_auth_code([shop.shop_id])

    forged = httpx.get(f"{live.url}/oauth/tiktok/callback", params={"code": code, "state": state + "x"})
    assert forged.status_code == 403 and "expired or was already used" in forged.text
    page = httpx.get(f"{live.url}/oauth/tiktok/callback", params={"code": code, "state": state})
    assert page.status_code == 200 and "Acme MY" in page.text
    with live.db.session() as session:
        connected = session.scalar(select(Shop).where(Shop.external_id == shop.shop_id))
        assert connected is not None and connected.team_id == live.team_id
        assert (connected.currency, connected.time_zone) == ("MYR", "Asia/Kuala_Lumpur")
        assert connected.webhook_subscribed_at is not None
    assert set(live.sandbox.subscriptions[shop.shop_id]) >= {"ORDER_STATUS_CHANGE", "SELLER_DEAUTHORIZATION"}
