"""Done when (issue 18): an in-transit order shows its latest tracking event in the customer-service tab, a
failed delivery is flagged, polling stops at delivery, and a missed delivery deadline raises one alert.

The backend runs over HTTP against the TikTok sandbox (whose clock moves the parcels), the Google sandboxes
and the local Discord fake; the tracking sweep runs as the worker runs it, through the task routes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from backend import runtime, tasks
from backend.models import Notification, Order, OrderTracking, Shop, Team
from backend.platforms.fulfilment import Handover, HandoverMethod
from backend.sandbox.discord import DiscordFake, start_discord, webhook_url
from backend.sandbox.server import RunningServer
from backend.sandbox.sheets import GoogleSandboxes
from backend.sandbox.tiktok.fulfillment import tracking_events
from backend.sandbox.tiktok.world import DAY
from backend.services import notify, sync, tracking
from backend.services.shops import Platform, client_for
from tests.conftest import Live
from tests.scenarios.addon_world import World, build_world


@pytest.fixture
def world(live: Live, google: GoogleSandboxes, tmp_path: Path) -> World:
    return build_world(live, google, tmp_path)


@pytest.fixture(scope="module")
def discord() -> Iterator[tuple[DiscordFake, RunningServer]]:
    fake, server = start_discord(DiscordFake())
    yield fake, server
    server.stop()


def sandbox_now(live: Live) -> datetime:
    return datetime.fromtimestamp(live.sandbox.now(), UTC)


def resync(live: Live, shop_id: int) -> None:
    with live.app.app_context():
        sync.sync_shop(live.db, Platform(runtime.config(), runtime.secret_box()), shop_id)


def track(live: Live) -> None:
    """The worker's tracking sweep: /tasks/track-due fans out one /tasks/track-shop per shop with orders due."""
    with live.app.app_context():
        tasks.run("/tasks/track-due")
    live.drain()


def test_an_in_transit_order_shows_its_latest_tracking_event_and_a_failed_delivery_is_flagged(world: World) -> None:
    live = world.live
    shop = next(iter(live.sandbox.shops.values()))
    travelling, failing = live.sandbox.add_ready_orders(shop.shop_id, 2)
    with live.app.app_context(), live.db.session() as session:
        platform = Platform(runtime.config(), runtime.secret_box())
        with client_for(live.db, platform, session.get_one(Shop, world.shop_id)) as client:
            drop_off = Handover(HandoverMethod.DROP_OFF)
            assert all(
                o.shipped for o in client.ship_packages([(o.package_ids()[0], drop_off) for o in (travelling, failing)])
            )
    live.sandbox.delay_delivery(shop.shop_id, travelling.order_id, 10 * DAY)  # still on its way at the end
    live.sandbox.fail_delivery(shop.shop_id, failing.order_id)
    live.sandbox.advance(5 * DAY)
    resync(live, world.shop_id)

    track(live)
    world.bind_tab("CS", "customer_service", new_tab=True)
    live.drain()

    table = world.tab("CS")
    header, rows = table[0], {str(r[0]): r for r in table[1:]}
    latest = tracking_events(shop, travelling, live.sandbox.now())[-1][1]
    row = rows[travelling.order_id]
    assert row[header.index("Latest tracking")] == latest
    assert str(row[header.index("Days in transit")]).isdigit()  # counted on the backend's clock, not the sandbox's
    assert rows[failing.order_id][header.index("Delivery problem")] == "returned to sender"
    assert row[header.index("Delivery problem")] == ""

    with live.db.session() as session:
        polled = {t.order_id: t for t in session.scalars(select(OrderTracking))}
        done = session.scalars(select(Order.id).where(Order.status.in_(("DELIVERED", "COMPLETED")))).all()
    assert polled and all(polled[i].next_poll_at is None for i in done if i in polled)  # no poll after delivery
    assert all(t.polls == 1 for t in polled.values())

    calls = live.sandbox.counters.by_path
    before = sum(n for path, n in calls.items() if path.endswith("/tracking"))
    track(live)  # nothing is due four hours early
    assert sum(n for path, n in calls.items() if path.endswith("/tracking")) == before


def test_a_missed_delivery_deadline_raises_one_alert(
    live: Live, discord: tuple[DiscordFake, RunningServer], tmp_path: Path
) -> None:
    fake, server = discord
    fake.reset()
    shop_id = live.connect_shop("Acme US", "US", orders=40)[0]
    shop = next(iter(live.sandbox.shops.values()))
    now = live.sandbox.now()
    late = next(o for o in shop.orders.values() if o.status_at(now) == "IN_TRANSIT")
    live.sandbox.delay_delivery(shop.shop_id, late.order_id, 40 * DAY)
    resync(live, shop_id)
    with live.app.app_context(), live.db.session() as session:
        notify.add_channel(
            session,
            runtime.secret_box(),
            session.get_one(Team, live.team_id),
            name="ops",
            url=webhook_url(server, fake.create_webhook()),
            kinds=["late_delivery"],
            actor="founder@acme.test",
            allow_loopback=True,
        )
        order = session.scalars(select(Order).where(Order.external_id == late.order_id)).one()
        due = tracking.deadline_of(order)
    assert due is not None

    live.sandbox.advance((due - sandbox_now(live)).total_seconds() + 3600)
    resync(live, shop_id)
    with live.app.app_context(), live.db.session() as session:
        first = tracking.late_delivery_sweep(session, sandbox_now(live))
        second = tracking.late_delivery_sweep(session, sandbox_now(live))
    with live.app.app_context(), httpx.Client() as http:
        notify.deliver_due(live.db.sessions, http, runtime.secret_box(), now=sandbox_now(live))

    titles = [m["embeds"][0]["title"] for m in fake.messages()]
    assert titles.count(f"Late delivery: order {late.order_id} (Acme US)") == 1
    assert first >= 1 and second == 0
    with live.db.session() as session:
        kinds = session.scalars(select(Notification.subject).where(Notification.kind == "late_delivery")).all()
    assert kinds.count(f"order:{order.id}") == 1
    assert all("Buyer" not in m["embeds"][0].get("description", "") for m in fake.messages())  # no buyer data
