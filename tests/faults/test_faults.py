"""Faults over real local servers, one test per fault the rest of the suite does not already cover.

Covered elsewhere, not repeated here: 429/503 bursts within the retry budget and a sync process
SIGKILLed mid-page (tests/services/test_sync.py), two syncs of one shop in threads of one process
(same file), TikTok's 429/503 every 7th call over 5,000 orders and the client-level clock correction
(tests/platforms/tiktok/test_client.py), a Discord outage (tests/services/test_notify.py), a single
Sheets 429 burst and a 503 after commit (tests/sheets/test_writer.py, test_push.py).
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, create_engine, delete, event, func, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from backend import runtime
from backend.db import Database
from backend.errors import DatabaseUnavailable, PlatformUnavailable
from backend.models import (
    Lease,
    Notification,
    Order,
    SheetBinding,
    SheetsUsage,
    Shop,
    ShopStatus,
    SyncRun,
    Team,
    utcnow,
)
from backend.platforms.http import RetryPolicy
from backend.sandbox.google_identity import FakeClock
from backend.sandbox.sheets import GoogleSandboxes, QuotaLimits, google_sandboxes
from backend.sandbox.tiktok.records import Faults
from backend.services import bindings, notify, sync
from backend.services.ingest import mark_bindings_dirty
from backend.services.sheet_refresh import Pusher, push_dirty
from backend.services.shops import Platform
from backend.sheets.writer import Backoff
from tests import factories
from tests.conftest import Live
from tests.services.test_sync import platform, sandbox_orders, sandbox_statuses, stored

ROOT = Path(__file__).resolve().parents[2]
PAGE = 100  # the sync's page size: a committed sync stores whole pages


def recording_platform(live: Live, sleep: Callable[[float], None]) -> Platform:
    """The backend's view of TikTok with its real retry policy, backoff waits handed to `sleep`."""
    with live.app.app_context():
        return Platform(runtime.config(), runtime.secret_box(), retry=RetryPolicy(sleep=sleep))


def stored_update_times(live: Live) -> list[datetime]:
    with live.db.session() as session:
        return list(session.scalars(select(Order.platform_update_time)))


def watermark(live: Live, shop_id: int) -> datetime | None:
    with live.db.session() as session:
        shop = session.get_one(Shop, shop_id)
        return shop.sync_watermark


def runs(live: Live) -> list[tuple[str, str | None]]:
    with live.db.session() as session:
        return [(r.status, r.error) for r in session.scalars(select(SyncRun).order_by(SyncRun.id))]


def expire_leases(live: Live) -> None:
    """A lease whose holder died runs out after five minutes by itself; tests fast-forward that."""
    with live.db.session() as session:
        session.execute(update(Lease).values(expires_at=utcnow() - timedelta(seconds=1)))


# -- (1) a TikTok 5xx storm longer than the retry budget ---------------------------------------------


def test_a_5xx_storm_longer_than_the_retry_budget_stops_the_sync_at_the_last_committed_page(live: Live) -> None:
    [shop_id] = live.connect_shop(orders=640)
    live.sandbox.reset_counters()
    # Calls 1-3 (three pages) succeed, then seven 503s in a row: one more than the six attempts allowed.
    live.sandbox.faults = Faults(every=10, burst=7, statuses=(503,))
    waits: list[float] = []
    with pytest.raises(PlatformUnavailable, match="code 36009003"):
        sync.sync_shop(live.db, recording_platform(live, waits.append), shop_id)

    assert len(waits) == RetryPolicy().max_retries  # bounded backoff, then it gave up
    assert live.sandbox.counters.total == 3 + 6
    times = stored_update_times(live)
    assert len(times) == 3 * PAGE  # whole pages only: nothing half-stored
    expected = sorted(o.update_time(live.sandbox.now()) for o in live.sandbox.shops[next(iter(live.sandbox.shops))]
                      .orders.values())[3 * PAGE - 1]  # fmt: skip
    assert watermark(live, shop_id) == max(times) == datetime.fromtimestamp(expected, UTC)
    [(status, error)] = runs(live)
    assert status == "failed" and error and "Internal error" in error and "36009003" in error
    # The team hears of it once the shop has gone half an hour without a successful sync, with the reason.
    with live.app.app_context(), live.db.session() as session:
        team = session.get_one(Team, live.team_id)
        channel = "http://127.0.0.1:9/api/webhooks/1/token"
        box = live.app.extensions["orderdeck.secrets"]
        notify.add_channel(
            session, box, team, name="ops", url=channel, kinds=["sync_failed"], actor="founder", allow_loopback=True
        )
    with live.db.session() as session:
        stale = utcnow() + timedelta(minutes=31)
        assert notify.stale_sync_sweep(session, stale - timedelta(minutes=21)) == 0
        assert notify.stale_sync_sweep(session, stale) == 1
        assert notify.stale_sync_sweep(session, stale + timedelta(seconds=1)) == 0  # once a day (the same day)
        [alert] = session.scalars(select(Notification.payload)).all()
    assert alert["embeds"][0]["title"].startswith("Sync failed: ")
    assert "never synced; last error:" in alert["embeds"][0]["description"]
    assert "36009003" in alert["embeds"][0]["description"]

    live.sandbox.faults = Faults()
    with live.sandbox.clock.stopped():  # compared at the instant the sync read, not one the orders moved on from
        report = sync.sync_shop(live.db, platform(live), shop_id)
        assert report.result.new == 640 - 3 * PAGE
        assert stored(live) == sandbox_statuses(live)


# -- (5) our clock five minutes off TikTok's ----------------------------------------------------------

SKEW = 5 * 60 + 30  # past TikTok's 300 s window either way, with margin for the seconds a test takes


@pytest.mark.parametrize("tiktok_ahead", [True, False], ids=["tiktok-ahead", "tiktok-behind"])
def test_a_clock_five_minutes_off_is_corrected_from_the_date_header(live: Live, tiktok_ahead: bool) -> None:
    """One rejected call per client, then the whole sync runs on TikTok's time (client-level: test_client.py)."""
    live.sandbox.clock.offset += SKEW if tiktok_ahead else -SKEW
    [shop_id] = live.connect_shop(orders=250)
    live.sandbox.reset_counters()

    with live.sandbox.clock.stopped():
        report = sync.sync_shop(live.db, platform(live), shop_id)
        assert stored(live) == sandbox_statuses(live)

    assert report.result.new == 250
    assert live.sandbox.counters.total == 3 + 1  # three pages and the one rejected first call
    assert live.sandbox.counters.by_code[36009004] == 1


def test_without_a_date_header_a_skewed_clock_fails_once_naming_the_skew_and_never_loops(live: Live) -> None:
    [shop_id] = live.connect_shop(orders=20)
    live.sandbox.clock.offset += SKEW  # our timestamps look 5.5 minutes old to TikTok
    live.sandbox.send_date_header = False
    live.sandbox.reset_counters()
    runner = live.app.test_cli_runner()
    with live.app.app_context():
        first = runner.invoke(args=["sync", "--shop", str(shop_id)])
        second = runner.invoke(args=["sync", "--shop", str(shop_id)])

    for result in (first, second):
        assert result.exit_code == 1
        assert f"shop {shop_id}: not synced, TikTok rejected our timestamp (Invalid timestamp" in result.output
        assert "more than 5 minutes earlier than the server time" in result.output
        assert "check NTP" in result.output
        assert "Traceback" not in result.output
    assert live.sandbox.counters.total == 2  # one call per sync: no retry loop
    assert stored(live) == {}
    assert [status for status, _ in runs(live)] == ["failed", "failed"]
    with live.db.session() as session:
        assert session.get_one(Shop, shop_id).status == ShopStatus.ACTIVE  # a clock problem, not a revoked shop


# -- (3) the database going away mid-sync --------------------------------------------------------------


class Outage:
    """Takes the app's database away on `cut()` until the block ends: PostgreSQL refuses connections and
    drops the open ones (a Cloud SQL restart); SQLite is write-locked by another process's transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.url = make_url(db.url)
        self._admin: Engine | None = None
        self._lock: sqlite3.Connection | None = None

    def cut(self) -> None:
        if self.url.get_backend_name() == "postgresql":
            self._admin = create_engine(self.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
            with self._admin.connect() as conn:
                conn.execute(text(f'ALTER DATABASE "{self.url.database}" WITH ALLOW_CONNECTIONS false'))
                conn.execute(
                    text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"),
                    {"d": self.url.database},
                )
        else:
            self._lock = sqlite3.connect(str(self.url.database), isolation_level=None)
            self._lock.execute("BEGIN EXCLUSIVE")

    def restore(self) -> None:
        if self._admin is not None:
            with self._admin.connect() as conn:
                conn.execute(text(f'ALTER DATABASE "{self.url.database}" WITH ALLOW_CONNECTIONS true'))
            self._admin.dispose()
        if self._lock is not None:
            self._lock.rollback()
            self._lock.close()


@contextmanager
def outage_of(db: Database) -> Iterator[Outage]:
    if db.engine.dialect.name == "sqlite":
        # The app waits 30 s on a locked SQLite file; the test waits 0.3 s (new connections only).
        db.engine.dispose()
        event.listen(db.engine, "connect", lambda conn, _record: conn.execute("PRAGMA busy_timeout=300"))
    outage = Outage(db)
    try:
        yield outage
    finally:
        outage.restore()


def test_the_database_going_away_mid_sync_fails_clearly_and_the_next_sync_completes(live: Live) -> None:
    [shop_id] = live.connect_shop(orders=500)

    def cut_after_two_pages(progress: sync.SyncProgress) -> None:
        if progress.pages == 2:
            outage.cut()

    with outage_of(live.db) as outage, pytest.raises(DatabaseUnavailable, match="the database") as caught:
        sync.sync_shop(live.db, platform(live), shop_id, on_page=cut_after_two_pages)
    assert caught.value.action == "retry"

    times = stored_update_times(live)
    assert len(times) == 2 * PAGE  # the third page's transaction never committed
    assert watermark(live, shop_id) == max(times)
    assert [status for status, _ in runs(live)] == ["running"]  # it could not even record its own failure
    expire_leases(live)  # the lease could not be released while the database was away
    with live.sandbox.clock.stopped():
        report = sync.sync_shop(live.db, platform(live), shop_id)
        assert stored(live) == sandbox_statuses(live)
    assert report.result.new == 500 - 2 * PAGE


# -- (4) two "App Engine instances" syncing the same shop ------------------------------------------


def test_two_processes_syncing_one_shop_never_interleave(live: Live) -> None:
    """Two separate `flask sync` processes, as two instances' cron runs would be; one skips on the lease.

    TikTok holds its answers until the process without the lease has stopped, so the holder is mid-sync
    when the other asks, however long a loaded machine takes to start either.
    """
    [shop_id] = live.connect_shop(orders=800)
    answer = threading.Event()
    live.sandbox.faults = Faults(hold=answer)
    env = live.process_env()
    command = [sys.executable, "-m", "flask", "--app", "backend", "sync", "--shop", str(shop_id)]
    began = live.sandbox.now()
    workers = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(2)
    ]
    deadline = time.monotonic() + 90
    while all(w.poll() is None for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    answer.set()
    outputs = [(w.communicate(timeout=90)[0], w.returncode) for w in workers]
    ended = live.sandbox.now()

    done = [out for out, code in outputs if code == 0]
    skipped = [out for out, code in outputs if code != 0]
    assert len(done) == 1 and len(skipped) == 1, outputs
    assert f"shop {shop_id}: new 800," in done[0]  # updated: orders TikTok moved during the walk, read again
    assert f"shop {shop_id}: skipped, shop:{shop_id} is being worked on by another worker" in skipped[0]
    assert "Traceback" not in skipped[0]
    with live.db.session() as session:
        assert session.scalar(select(func.count()).select_from(SyncRun)) == 1
        assert session.scalar(select(func.count(func.distinct(Order.external_id)))) == 800
    held = statuses_between(live, began, ended)
    assert {oid: status for oid, status in stored(live).items() if status not in held[oid]} == {}
    searches = live.sandbox.counters.by_path["/order/202309/orders/search"]
    assert 8 <= searches < 2 * 8  # one walk over the pages, not two (an order moved during it may add a page)


def statuses_between(live: Live, start: int, end: int) -> dict[str, set[str]]:
    """Each order's statuses from `start` to `end` on TikTok's clock: what a sync running then may store (an
    order TikTok moves after the sync read it is the next sync's)."""
    return {
        oid: {o.status_at(start)} | {o.status_at(when) for when, _ in o.plan if start < when <= end}
        for oid, o in sandbox_orders(live).items()
    }


# -- (2) Sheets write quota exhausted in the middle of a multi-spreadsheet push --------------------------

ADMIN = "owner@seller.example"
PACKER = "packer@3pl.example"
WRITER = "orderdeck-writer@orderdeck-sandbox.iam.gserviceaccount.com"
TABS = ("Ship next", "Pick list")


@pytest.fixture
def quota_world(app: Flask, tmp_path: Path) -> Iterator[tuple[Flask, GoogleSandboxes, FakeClock]]:
    """Google sandboxes on a clock the push's backoff moves (quota windows are per minute of that clock)."""
    clock = FakeClock()
    with google_sandboxes(clock=clock) as google:
        key = google.identity.write_service_account_key(tmp_path / "sa.json", WRITER)
        app.extensions["orderdeck.config"] = app.extensions["orderdeck.config"].with_overrides(
            SHEETS_API_ENDPOINT=google.sheets.sheets_endpoint,
            DRIVE_API_ENDPOINT=google.sheets.drive_endpoint,
            GOOGLE_APPLICATION_CREDENTIALS=str(key),
        )
        yield app, google, clock


def grid(google: GoogleSandboxes, file_id: str) -> dict[str, list[list[Any]]]:
    """Every cell of every tab as stored (formulas as their text, so a live countdown reads the same)."""
    return {
        sheet.title: google.sheets.values(file_id, f"'{sheet.title}'", render_option="FORMULA")
        for sheet in google.sheets.spreadsheets[file_id].sheets
        if sheet.title in TABS
    }


def test_sheets_quota_exhausted_mid_push_leaves_every_tab_old_or_new_and_a_later_push_converges(
    quota_world: tuple[Flask, GoogleSandboxes, FakeClock], session: Session
) -> None:
    app, google, clock = quota_world
    team = factories.team(session, "Acme", admin=ADMIN)
    factories.member(session, team, PACKER, "warehouse")
    shop = factories.shop(session, team)
    orders = [factories.order(session, shop, skus=((f"SKU-{n}", 1 + n % 2, Decimal("9.90")),)) for n in range(12)]
    files = []
    for n in range(3):
        sheet = google.sheets.create_spreadsheet(ADMIN, f"Warehouse {n}", sheets=list(TABS))
        google.sheets.share(sheet.id, "writer", email=WRITER)
        google.sheets.share(sheet.id, "writer", email=PACKER)
        bindings.bind(session, team, sheet.id, TABS[0], "sla_watch")
        bindings.bind(session, team, sheet.id, TABS[1], "pick_list")
        files.append(sheet.id)
    session.commit()
    slept: list[float] = []

    def backoff_sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(seconds)

    pusher = Pusher(
        app.extensions["orderdeck.db"],
        app.extensions["orderdeck.config"],
        app.extensions["orderdeck.secrets"],
        backoff=Backoff(sleep=backoff_sleep),
        sharing_ttl=0,
        budget_wait=0.5,
    )
    assert all(not isinstance(r, Exception) for r in push_dirty(pusher))
    old = {f: grid(google, f) for f in files}
    clock.advance(61)  # a fresh quota minute, of which this identity may now spend only two writes
    google.sheets.quotas.limits = QuotaLimits(write_per_user=2)
    with app.extensions["orderdeck.db"].session() as spent:  # our own budget's windows pass too (they count
        spent.execute(delete(SheetsUsage))  # real time, and pushes take a few a window): Google refuses first

    for order in orders[:4]:
        order.status = "IN_TRANSIT"  # shipped: leaves both tabs
    for order in orders[4:8]:
        order.is_on_hold = True
    mark_bindings_dirty(session, shop.team_id, shop.id)
    session.commit()
    results = push_dirty(pusher)  # two writes fit in the minute; the third spreadsheet meets a 429

    assert [isinstance(r, Exception) for r in results] == [False, False, True]
    assert "429" in str(results[2])
    assert slept, "the push backed off before giving up"
    assert google.sheets.counters["status:429"] == 3  # one refused write per re-plan, then it stopped
    after_failure = {f: grid(google, f) for f in files}
    with app.extensions["orderdeck.db"].session() as check:
        dirty = {b.spreadsheet.google_id for b in check.scalars(select(SheetBinding).where(SheetBinding.dirty))}
    assert dirty == {files[2]}

    clock.advance(61)  # Google's minute passes; so does our own write budget's window (fast-forwarded)
    with app.extensions["orderdeck.db"].session() as spent:
        spent.execute(delete(SheetsUsage))
    assert all(not isinstance(r, Exception) for r in push_dirty(pusher))  # the next push-due sweep
    new = {f: grid(google, f) for f in files}
    for f in files:
        for tab in TABS:
            assert old[f][tab] != new[f][tab], "the change must reach every tab"
    assert after_failure[files[0]] == new[files[0]] and after_failure[files[1]] == new[files[1]]
    assert after_failure[files[2]] == old[files[2]]  # untouched: no tab half-written
    for f in files[1:]:
        assert new[f] == new[files[0]]  # all three converged on the same rows
