"""Discord notifications end to end: sweeps enqueue, `deliver_due` posts to the local Discord fake.

Time is simulated: the sweeps, the delivery and the fake's rate-limit clock all read the same
`Sim` instant, so a 30-hour SLA countdown runs in well under a second.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

import httpx
import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db import Database
from backend.errors import InvalidInput
from backend.models import Notification, NotificationChannel, SheetBinding, Shop, Spreadsheet, Team
from backend.sandbox.discord import DiscordFake, start_discord, webhook_url
from backend.sandbox.server import RunningServer
from backend.secrets import SecretBox
from backend.services import notify, teams, workflow
from tests import factories

T0 = datetime(2026, 3, 11, 0, 0, tzinfo=UTC)


@dataclass
class Sim:
    now: datetime = T0

    def time(self) -> float:
        return self.now.timestamp()


SIM = Sim()


@pytest.fixture(scope="module")
def running() -> Iterator[tuple[DiscordFake, RunningServer]]:
    fake, server = start_discord(DiscordFake(limit=5, window=2.0, clock=SIM.time))
    yield fake, server
    server.stop()


@pytest.fixture
def discord(running: tuple[DiscordFake, RunningServer]) -> DiscordFake:
    running[0].reset()
    SIM.now = T0
    return running[0]


@pytest.fixture
def server(running: tuple[DiscordFake, RunningServer]) -> RunningServer:
    return running[1]


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


@dataclass
class World:
    db: Database
    box: SecretBox
    team_id: int
    shop_id: int


@pytest.fixture
def world(app: Flask) -> World:
    db: Database = app.extensions["orderdeck.db"]
    with db.session() as session:
        team = factories.team(session, name="Acme", time_zone="Europe/London")
        shop = factories.shop(session, team, name="Acme UK", currency="GBP", time_zone="Europe/London")
        return World(db, app.extensions["orderdeck.secrets"], team.id, shop.id)


def add_channel(w: World, fake: DiscordFake, server: RunningServer, *kinds: str) -> tuple[int, str]:
    hook = fake.create_webhook()
    with w.db.session() as session:
        channel = notify.add_channel(
            session,
            w.box,
            session.get_one(Team, w.team_id),
            name="ops",
            url=webhook_url(server, hook),
            kinds=kinds,
            actor="owner@seller.example",
            allow_loopback=True,
        )
        return channel.id, hook.id


def add_order(w: World, **fields: Any) -> int:
    with w.db.session() as session:
        shop = session.get_one(Shop, w.shop_id)
        return factories.order(session, shop, **fields).id


def titles(fake: DiscordFake) -> list[str]:
    return [body["embeds"][0]["title"] for body in fake.messages()]


def run(w: World, http: httpx.Client, until: datetime, step: timedelta = timedelta(minutes=15)) -> None:
    """The scheduler: sweep, then deliver, every `step` of simulated time."""
    while SIM.now <= until:
        with w.db.session() as session:
            notify.sla_alert_sweep(session, SIM.now)
        notify.deliver_due(w.db.sessions, http, w.box, now=SIM.now)
        SIM.now += step


def test_an_order_crossing_each_tier_gets_exactly_one_message_per_tier(
    world: World, discord: DiscordFake, server: RunningServer, http: httpx.Client
) -> None:
    add_channel(world, discord, server, "sla")
    deadline = T0 + timedelta(hours=30)
    first_id = add_order(world, external_id="5770001", rts_sla_at=deadline)
    add_order(world, external_id="5770002", rts_sla_at=None, shipping_due_at=deadline + timedelta(hours=1))
    add_order(world, external_id="5770003", status="AWAITING_COLLECTION", rts_sla_at=deadline)  # already packed
    run(world, http, until=deadline + timedelta(hours=3))
    assert sorted(titles(discord)) == [
        "T-12h: order 5770001 must ship within 12 h",
        "T-12h: order 5770002 must ship within 12 h",
        "T-24h: order 5770001 must ship within 24 h",
        "T-24h: order 5770002 must ship within 24 h",
        "T-4h: order 5770001 must ship within 4 h",
        "T-4h: order 5770002 must ship within 4 h",
    ]
    with world.db.session() as session:
        first = select(Notification).where(Notification.subject == f"order:{first_id}").order_by(Notification.id)
        enqueued = [(n.variant, n.created_at) for n in session.scalars(first)]
    assert enqueued == [(f"T-{h}h", deadline - timedelta(hours=h)) for h in (24, 12, 4)]  # each as it is crossed


def test_quiet_hours_hold_the_first_tiers_but_not_t4(
    world: World, discord: DiscordFake, server: RunningServer, http: httpx.Client
) -> None:
    add_channel(world, discord, server, "sla")
    with world.db.session() as session:
        notify.configure(session, session.get_one(Team, world.team_id), quiet_start=time(22), quiet_end=time(8))
    # London is on GMT in March. T-24h falls at 03:00 (quiet), T-12h at 15:00, T-4h at 23:00 (quiet).
    deadline = datetime(2026, 3, 12, 3, 0, tzinfo=UTC)
    SIM.now = deadline - timedelta(hours=25)
    add_order(world, external_id="5770009", rts_sla_at=deadline)
    run(world, http, until=deadline)
    with world.db.session() as session:
        enqueued = [(n.variant, n.created_at) for n in session.scalars(select(Notification).order_by(Notification.id))]
    assert enqueued == [
        ("T-24h", datetime(2026, 3, 11, 8, 0, tzinfo=UTC)),  # held until quiet hours ended
        ("T-12h", deadline - timedelta(hours=12)),
        ("T-4h", deadline - timedelta(hours=4)),  # inside quiet hours, sent anyway
    ]
    assert [t.split(":")[0] for t in titles(discord)] == ["T-24h", "T-12h", "T-4h"]


def test_a_discord_outage_delays_messages_without_losing_them_or_touching_sync(
    world: World, discord: DiscordFake, server: RunningServer, http: httpx.Client
) -> None:
    channel_id, _ = add_channel(world, discord, server)
    for n in range(3):
        add_order(world, external_id=f"57700{n}", rts_sla_at=T0 + timedelta(hours=3, minutes=n))
    discord.outage = True
    with world.db.session() as session:  # what sync and ingest do: enqueue only
        assert notify.sla_alert_sweep(session, SIM.now) == 3
        assert (
            notify.shop_problem(
                session, session.get_one(Shop, world.shop_id), "HTTP 500 from TikTok", reauthorize=False, now=SIM.now
            )
            == 1
        )
    assert discord.requests == 0  # enqueueing never waits on Discord

    report = notify.deliver_due(world.db.sessions, http, world.box, now=SIM.now)
    assert (report.sent, report.retrying, report.deferred) == (0, 1, 3)  # one try; the rest wait with their channel
    assert discord.requests == 1
    with world.db.session() as session:
        assert {n.status for n in session.scalars(select(Notification))} == {"pending"}
        assert session.get_one(NotificationChannel, channel_id).paused_until == SIM.now + notify.BACKOFF_BASE

    SIM.now += timedelta(seconds=10)  # still paused: nothing is sent, nothing is tried
    assert notify.deliver_due(world.db.sessions, http, world.box, now=SIM.now).retrying == 0
    SIM.now += timedelta(seconds=20)
    assert notify.deliver_due(world.db.sessions, http, world.box, now=SIM.now).retrying == 1  # backoff doubles
    assert discord.requests == 2

    discord.outage = False
    SIM.now += timedelta(minutes=5)
    report = notify.deliver_due(world.db.sessions, http, world.box, now=SIM.now)
    assert (report.sent, report.retrying, report.failed) == (4, 0, 0)
    assert titles(discord) == [
        "T-4h: order 577000 must ship within 4 h",
        "T-4h: order 577001 must ship within 4 h",
        "T-4h: order 577002 must ship within 4 h",
        "Sync failed: Acme UK",
    ]
    assert notify.deliver_due(world.db.sessions, http, world.box, now=SIM.now + timedelta(hours=1)).sent == 0


def test_429_retry_after_is_honoured_and_the_bucket_is_respected(
    world: World, discord: DiscordFake, server: RunningServer, http: httpx.Client
) -> None:
    channel_id, hook_id = add_channel(world, discord, server)
    url = webhook_url(server, discord.webhooks[hook_id])
    for n in range(4):  # another process already used four of the five requests in this window
        assert http.post(url, json={"content": f"other {n}"}).status_code == 204
    with world.db.session() as session:
        for n in range(3):
            notify.enqueue(session, world.team_id, "digest", f"test:{n}", {"content": f"ours {n}"}, now=SIM.now)

    report = notify.deliver_due(world.db.sessions, http, world.box, now=SIM.now)
    assert (report.sent, report.deferred) == (1, 2)  # the bucket is empty after it: wait for the reset
    with world.db.session() as session:
        assert session.get_one(NotificationChannel, channel_id).paused_until == SIM.now + timedelta(seconds=2)

    for n in range(5):  # the other process empties the next window too
        SIM.now += timedelta(seconds=2) if n == 0 else timedelta(0)
        http.post(url, json={"content": f"again {n}"})
    report = notify.deliver_due(world.db.sessions, http, world.box, now=SIM.now)
    assert report.retrying == 1  # a real 429: retry_after decides when
    with world.db.session() as session:
        row = session.scalars(select(Notification).where(Notification.subject == "test:1")).one()
        assert (row.status, row.next_attempt_at, row.last_error) == (
            "pending",
            SIM.now + timedelta(seconds=2),
            "HTTP 429: You are being rate limited.",
        )
    SIM.now += timedelta(seconds=2)
    assert notify.deliver_due(world.db.sessions, http, world.box, now=SIM.now).sent == 2
    assert [m["content"] for m in discord.messages() if m["content"].startswith("ours")] == [
        "ours 0",
        "ours 1",
        "ours 2",
    ]


def test_a_deleted_webhook_disables_its_channel_and_keeps_the_messages(
    world: World, discord: DiscordFake, server: RunningServer, http: httpx.Client
) -> None:
    gone_id, gone_hook = add_channel(world, discord, server, "digest")
    live_id, _ = add_channel(world, discord, server, "digest")
    with world.db.session() as session:
        for n in range(2):
            notify.enqueue(session, world.team_id, "digest", f"test:{n}", {"content": f"m{n}"}, now=SIM.now)
    del discord.webhooks[gone_hook]
    report = notify.deliver_due(world.db.sessions, http, world.box, now=SIM.now)
    assert (report.sent, report.failed, report.deferred) == (2, 1, 1)
    with world.db.session() as session:
        channel = session.get_one(NotificationChannel, gone_id)
        assert not channel.enabled and "Unknown Webhook" in (channel.disabled_reason or "")
        statuses = {(n.channel_id, n.subject): n.status for n in session.scalars(select(Notification))}
    assert statuses == {
        (gone_id, "test:0"): "failed",
        (gone_id, "test:1"): "pending",
        (live_id, "test:0"): "sent",
        (live_id, "test:1"): "sent",
    }


def test_a_connection_failure_backs_off_and_does_not_hold_other_channels(
    world: World, discord: DiscordFake, server: RunningServer, http: httpx.Client
) -> None:
    add_channel(world, discord, server, "digest")
    with world.db.session() as session:
        dead = NotificationChannel(
            team_id=world.team_id,
            name="dead",
            webhook_url_sealed=world.box.seal("http://127.0.0.1:9/api/webhooks/1/x"),
            kinds=["digest"],
            created_by="owner@seller.example",
        )
        session.add(dead)
        session.flush()
        notify.enqueue(session, world.team_id, "digest", "test:0", {"content": "hello"}, now=SIM.now)
    report = notify.deliver_due(world.db.sessions, http, world.box, now=SIM.now)
    assert (report.sent, report.retrying) == (1, 1)
    with world.db.session() as session:
        row = session.scalars(select(Notification).where(Notification.channel_id == dead.id)).one()
        assert row.status == "pending" and row.next_attempt_at == SIM.now + notify.BACKOFF_BASE
        assert row.last_error and row.last_error.startswith("ConnectError")


def test_sweeps_are_idempotent(world: World, discord: DiscordFake, server: RunningServer) -> None:
    add_channel(world, discord, server)
    add_order(world, rts_sla_at=T0 + timedelta(hours=20))
    with world.db.session() as session:
        team = session.get_one(Team, world.team_id)
        workflow.raise_exception(
            session,
            team,
            "stock_out",
            actor=workflow.SYSTEM,
            fields={"seller_sku": "A", "quantity_short": 1},
            dedupe_key="stockout:1:A",
            now=SIM.now,
        )
    later = SIM.now + timedelta(hours=30)
    for _ in range(2):
        with world.db.session() as session:
            notify.sla_alert_sweep(session, SIM.now)
            notify.overdue_exception_sweep(session, later)
            notify.daily_digest(session, datetime(2026, 3, 11, 9, 30, tzinfo=UTC))
            notify.daily_digest(session, datetime(2026, 3, 11, 23, 0, tzinfo=UTC))
    with world.db.session() as session:
        kinds = sorted((n.kind, n.variant) for n in session.scalars(select(Notification)))
    assert kinds == [
        ("digest", "2026-03-11"),
        ("exception_new", ""),
        ("exception_overdue", ""),
        ("sla", "T-24h"),
    ]


def test_digest_waits_for_its_hour_in_the_team_zone(world: World, discord: DiscordFake, server: RunningServer) -> None:
    add_channel(world, discord, server, "digest")
    with world.db.session() as session:
        session.get_one(Team, world.team_id).time_zone = "Asia/Shanghai"
    with world.db.session() as session:
        assert notify.daily_digest(session, datetime(2026, 3, 11, 0, 30, tzinfo=UTC)) == 0  # 08:30 in Shanghai
        assert notify.daily_digest(session, datetime(2026, 3, 11, 1, 0, tzinfo=UTC)) == 1
        body = session.scalars(select(Notification)).one().payload
    assert body["embeds"][0]["title"] == "Daily digest Mar 11, 2026"


def test_a_chinese_teams_digest_is_chinese_with_its_day_written_the_chinese_way(
    world: World, discord: DiscordFake, server: RunningServer
) -> None:
    add_channel(world, discord, server, "digest")
    with world.db.session() as session:
        session.get_one(Team, world.team_id).language = "zh-Hans"
    with world.db.session() as session:
        assert notify.daily_digest(session, datetime(2026, 3, 11, 9, 0, tzinfo=UTC)) == 1
        [embed] = session.scalars(select(Notification)).one().payload["embeds"]
    assert embed["title"] == "每日摘要 2026年3月11日"
    assert embed["footer"]["text"] == "OrderDeck 每日摘要"


def test_sla_message_links_the_warehouse_sheet_tab(
    world: World, discord: DiscordFake, server: RunningServer, http: httpx.Client
) -> None:
    add_channel(world, discord, server, "sla")
    with world.db.session() as session:
        sheet = Spreadsheet(team_id=world.team_id, google_id="1AbCwarehouse", audience_role="warehouse")
        sheet.bindings.append(SheetBinding(tab_title="To ship", sheet_gid=42, profile_key="warehouse", created_by="x"))
        session.add(sheet)
    add_order(world, external_id="5770100", rts_sla_at=T0 + timedelta(hours=2))
    run(world, http, until=T0)
    [body] = discord.messages()
    assert body["embeds"][0]["url"] == "https://docs.google.com/spreadsheets/d/1AbCwarehouse/edit#gid=42"
    assert "Somchai" not in str(body)  # no buyer data in a Discord channel


def test_webhook_urls_are_checked_and_stored_sealed(app: Flask, world: World, session: Session) -> None:
    team = session.get_one(Team, world.team_id)
    for url in (
        "https://evil.example/api/webhooks/1/x",
        "http://127.0.0.1:5000/api/webhooks/1/x",
        "https://discord.com/x",
    ):
        with pytest.raises(InvalidInput):
            notify.add_channel(session, world.box, team, name="x", url=url, actor="a")
    with pytest.raises(InvalidInput, match="unknown notification kinds"):
        notify.add_channel(
            session, world.box, team, name="x", url="https://discord.com/api/webhooks/1/t", kinds=["sms"], actor="a"
        )
    url = "https://discord.com/api/webhooks/123456/secret-token"
    channel = notify.add_channel(session, world.box, team, name="ops", url=url, kinds=["sla"], actor="a")
    assert "secret-token" not in channel.webhook_url_sealed and world.box.open(channel.webhook_url_sealed) == url


def test_a_chinese_team_gets_its_discord_messages_in_chinese(
    world: World, discord: DiscordFake, server: RunningServer, http: httpx.Client
) -> None:
    with world.db.session() as session:
        team = session.get_one(Team, world.team_id)
        teams.set_language(session, team, "zh-Hans", actor="test")
        teams.add_member(session, team, "mei@acme.test", "support")
    add_channel(world, discord, server)
    deadline = T0 + timedelta(hours=30)
    order_id = add_order(world, external_id="5770001", rts_sla_at=deadline)
    run(world, http, until=T0 + timedelta(hours=7))
    with world.db.session() as session:
        workflow.raise_exception(
            session, session.get_one(Team, world.team_id), "shipping_delay", actor="mei@acme.test",
            order_id=order_id, fields={}, from_sheet=True, now=SIM.now,
        )  # fmt: skip
        notify.daily_digest(session, SIM.now.replace(hour=10))
    notify.deliver_due(world.db.sessions, http, world.box, now=SIM.now.replace(hour=10))
    sla, exception, digest = discord.messages()
    assert sla["embeds"][0]["title"] == "T-24h：订单 5770001 须在 24 小时内发货"
    assert {"name": "状态", "value": "待发货", "inline": True} in sla["embeds"][0]["fields"]
    assert exception["embeds"][0]["title"] == "新异常：发货延迟（订单 5770001）"
    assert digest["embeds"][0]["title"].startswith("每日摘要 ")
    assert [f["name"] for f in digest["embeds"][0]["fields"]][:2] == ["未处理异常", "逾期异常"]
    assert titles(discord)[0].startswith("T-24h")
