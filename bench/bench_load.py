"""2,000 signed TikTok webhooks at 200/s into gunicorn on PostgreSQL: nothing lost, nothing doubled, and
every order in the sheets within seconds, inside Google's quotas (issues 10 and 19).

This process runs the TikTok Shop sandbox and the Google sandboxes (identity, Sheets/Drive) on loopback;
the backend runs as `gunicorn --workers 3 --threads 4 backend.wsgi:app` (App Engine's entrypoint, one
worker more) on PostgreSQL with TASKS_BACKEND=inline: each worker processes the webhook events it
received in its own in-process executor. One shop is connected (webhooks subscribed to gunicorn) and
synced once (so no scheduled sync is due and every order below arrives by webhook only), with three
spreadsheets on the one writing identity: warehouse (sla_watch), customer service (customer_service:
every order) and agency client (agency_view). The Sheets sandbox adds 300 ms to every call (Google's
round trip) and enforces Google's quotas: 60 reads and 60 writes a minute per user.

Load: 1,600 new orders announce themselves with 2,000 ORDER_STATUS_CHANGE webhooks (the sandbox sends
every 4th twice, as TikTok redelivers), POSTed signed at a paced 200/s from 32 sender threads. A cron
thread calls /tasks/push-due once a minute, as App Engine's cron does: the sheets must follow without
it (each stored change asks for a push; a push that runs meanwhile is followed by one trailing push).
A watcher notes, for every order, the write that first put it in the customer-service tab. Then, at a
gentle rate, one new order every 10 s: the same latency, one order at a time.

Finish: events are stored on receipt, before the 200. A worker that finds the shop's lease held leaves its
events to the holder, which looks for pending events again after it lets go (and asks for another drain
when it stops at its last round): no event should wait for the /tasks/sync-due sweep. The harness calls
that sweep only once the executors are idle (nothing stored for a second and nobody holding the shop: a
round of hundreds of events commits nothing for seconds) and reports how many events it finished; each
one is a lost wakeup.

Figures: webhooks/s held (POSTs / sending time), receipt p50/p95 (the POST's round trip), p95 to
database (first POST → Order.ingested_at), p50/p95 to sheet (first POST → first seen in the sheet),
Google's quota refusals, the most writes and reads in any minute (and what that leaves of the 60 for
binds and edits), the push tasks the workers ran and how many of them could do nothing (the file's push
running, or its budget still spent: each a Cloud Task in production), lost, duplicated; and the gentle
rate's p50/p95 to sheet. PostgreSQL only (DATABASE_URL or --postgres): SQLite under three writing
processes is not a deployment OrderDeck supports.

    .venv/bin/python bench/bench_load.py [--quick] [--rate R] [--postgres URL]

`--rate` sends the flood at R webhooks/s instead of 200: the highest rate this machine holds with the sheet
within its target is the figure to compare across machines.
"""

from __future__ import annotations

import argparse
import json
import logging
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as a plain script

import httpx
from sqlalchemy import func, select

from backend import create_app, runtime
from backend.config import Config, config_for_tests
from backend.db import Database
from backend.domain.profiles import Profile
from backend.models import Lease, Order, OrderEvent, SheetBinding, Team, WebhookEvent, utcnow
from backend.platforms.base import ConsentReturn
from backend.platforms.tiktok.webhooks import signature
from backend.sandbox.sheets import GoogleSandboxes, google_sandboxes
from backend.sandbox.sheets.observability import LoggedRequest
from backend.sandbox.tiktok.records import Delivery
from backend.sandbox.tiktok_shop import TikTokShopSandbox
from backend.services import bindings, push_schedule, shops, sync, teams
from backend.services.bindings import profile_for
from bench.serving import start_backend

ROOT = Path(__file__).resolve().parent.parent
logging.getLogger("werkzeug").setLevel(logging.WARNING)  # every sandbox request would log at INFO
WEBHOOKS, RATE, WORKERS = 2_000, 200.0, 3
QUICK_WEBHOOKS = 250
SENDERS = 32  # TikTok delivers concurrently; fewer senders would cap the rate at SENDERS / receipt time
RESENDS = 3  # how often one event is sent again after a failed connection
PUSH_EVERY = 60.0  # seconds between push-due sweeps (App Engine cron's minute)
LATENCY = 0.3  # seconds the Sheets sandbox adds to every call
GENTLE, GENTLE_EVERY, QUICK_GENTLE = 6, 10.0, 2  # new orders one at a time, seconds apart
QUOTA = 60  # Google's reads and writes a minute per user
SECRET = "load-task-secret"
ADMIN, PACKER, SUPPORT, CLIENT = "founder@load.test", "pack@load.test", "cs@load.test", "client@agency.test"
WRITER = "orderdeck@load-sandbox.iam.gserviceaccount.com"
SHEETS = {  # profile → tab, reader, the reader's role
    "sla_watch": ("Warehouse", PACKER, "warehouse"),
    "customer_service": ("Orders", SUPPORT, "support"),
    "agency_view": ("Client", CLIENT, "viewer"),
}


@dataclass
class World:
    """Everything one load run talks to."""

    url: str
    sandbox: TikTokShopSandbox
    google: GoogleSandboxes
    db: Database
    shop_key: str
    team_id: int
    files: dict[str, str]  # profile key → spreadsheet id
    profiles: dict[str, Profile]
    log: Path

    def task(self, path: str) -> dict[str, Any]:
        response = httpx.get(f"{self.url}{path}", headers={"X-OrderDeck-Task-Secret": SECRET}, timeout=60)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def sheet_orders(self, profile: str) -> list[str]:
        """The order ids the tab shows, one per row (a line-grain tab repeats an order per line)."""
        tab = SHEETS[profile][0]
        rows = self.google.sheets.values(self.files[profile], f"{tab}!A1:C", render_option="UNFORMATTED_VALUE")
        if not rows:
            return []
        header = rows[0]
        column = header.index("Order ID") if "Order ID" in header else header.index("Order")
        return [str(r[column]) for r in rows[1:] if len(r) > column and r[column] != ""]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_gunicorn(config: Config, port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    """gunicorn on 127.0.0.1:`port` with `config` as its environment; returns once /healthz answers."""
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        *("--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", "4", "--timeout", "120"),
        "backend.wsgi:app",
    ]
    return start_backend(command, config, port, log)


@contextmanager
def load_world(database_url: str, scratch: Path, *, workers: int = WORKERS) -> Iterator[World]:
    """Sandboxes, a migrated database with one connected and synced shop and three bound spreadsheets, gunicorn."""
    sandbox = TikTokShopSandbox(seed=10)
    tiktok = sandbox.start()
    port = free_port()
    try:
        with google_sandboxes() as google:
            key = google.identity.write_service_account_key(scratch / "sa.json", WRITER)
            config = config_for_tests(
                database_url,
                TIKTOK_APP_KEY=sandbox.app_key,
                TIKTOK_APP_SECRET=sandbox.app_secret,
                TIKTOK_API_BASE=tiktok.url,
                TIKTOK_AUTH_BASE=tiktok.url,
                PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
                SHEETS_API_ENDPOINT=google.sheets.sheets_endpoint,
                DRIVE_API_ENDPOINT=google.sheets.drive_endpoint,
                GOOGLE_APPLICATION_CREDENTIALS=str(key),
                TASKS_SECRET=SECRET,
            )
            app = create_app(config)
            db: Database = app.extensions["orderdeck.db"]
            db.migrate()
            shop = sandbox.add_shop("Load US", "US")
            with app.app_context():
                team_id, profiles, files = _seed(db, google, sandbox.issue_auth_code([shop.shop_id]))
            google.sheets.latency = LATENCY  # from here on, every Sheets and Drive call takes Google's round trip
            server = start_gunicorn(config, port, workers, scratch / "gunicorn.log")
            try:
                yield World(config.PUBLIC_BASE_URL, sandbox, google, db, shop.shop_id, team_id, files, profiles,
                            scratch / "gunicorn.log")  # fmt: skip
            finally:
                server.terminate()
                server.wait(timeout=30)
                app.extensions["orderdeck.tasks"].shutdown()
                db.dispose()
    finally:
        tiktok.stop()


def _seed(db: Database, google: GoogleSandboxes, auth_code: str) -> tuple[int, dict[str, Profile], dict[str, str]]:
    """The team, its shop (connected through the real consent exchange, then synced once) and two bound files."""
    platform = shops.Platform(runtime.config(), runtime.secret_box())
    with db.session() as session:
        team = teams.create_team(session, "Load Trading", ADMIN)
        for _tab, reader, role in SHEETS.values():
            teams.add_member(session, team, reader, role)
        team_id = team.id
    [shop] = shops.connect(db, platform, team_id, ConsentReturn(auth_code), name="tiktok")
    sync.sync_shop(db, platform, shop.id)  # nothing to fetch; the shop is now not due for five minutes
    files, profiles, bound = {}, {}, []
    with db.session() as session:
        team = session.get_one(Team, team_id)
        for profile, (tab, reader, _role) in SHEETS.items():
            sheet = google.sheets.create_spreadsheet(ADMIN, tab, sheets=[tab], time_zone="America/Los_Angeles")
            google.sheets.share(sheet.id, "writer", email=WRITER)
            google.sheets.share(sheet.id, "reader", email=reader)
            binding = bindings.bind(session, team, sheet.id, tab, profile, actor=ADMIN)
            files[profile], profiles[profile] = sheet.id, profile_for(session, team_id, profile)
            bound.append(binding.id)
    for binding_id in bound:  # as the bind route does: the tab is pushed (headers, protections) at once
        push_schedule.run(binding_id)
    return team_id, profiles, files


# -- the load -------------------------------------------------------------------------------------


@dataclass
class Sent:
    first_post: dict[str, float] = field(default_factory=dict)  # order id → when its first webhook left
    receipts: list[float] = field(default_factory=list)  # seconds per POST
    statuses: Counter[int] = field(default_factory=Counter)
    duplicates_acknowledged: int = 0
    resent: int = 0  # POSTs sent again after the connection failed (TikTok retries undelivered events)
    started: float = 0.0
    finished: float = 0.0

    @property
    def posts(self) -> int:
        return len(self.receipts)


def place_orders(world: World, webhooks: int) -> list[Delivery]:
    """New orders whose webhooks (one each, every 4th sent twice) add up to `webhooks` POSTs, in the order the
    orders were placed: TikTok announces an order as it is placed, so a newest-first tab takes each push's
    new orders as one block at its top (sent in the sandbox's random order, they landed among each other:
    hundreds of row inserts a push)."""
    orders = webhooks * world.sandbox.duplicate_every // (world.sandbox.duplicate_every + 1)
    placed = {str(o.order_id): o.create_time for o in world.sandbox.add_orders(world.shop_key, orders)}
    with world.sandbox.lock:
        batch, world.sandbox.outbox = world.sandbox.outbox, []
    return sorted(batch, key=lambda d: placed[str(json.loads(d.body)["data"]["order_id"])])


def send(deliveries: list[Delivery], key: str, secret: str, rate: float) -> Sent:
    """POST every delivery, signed, the i-th at start + i/rate, from SENDERS threads (each kept alive)."""
    sent = Sent()
    lock = threading.Lock()
    cursor = iter(range(len(deliveries)))
    sent.started = time.time() + 0.05

    def sender() -> None:
        with httpx.Client(timeout=30) as http:
            while True:
                with lock:
                    index = next(cursor, None)
                if index is None:
                    return
                delivery = deliveries[index]
                time.sleep(max(0.0, sent.started + index / rate - time.time()))
                order_id = str(json.loads(delivery.body)["data"]["order_id"])
                headers = {"Authorization": signature(key, secret, delivery.body), "Content-Type": "application/json"}
                began = time.time()
                # TikTok resends an event it could not deliver; a connection the server reset mid-request
                # (a keep-alive closed as the POST went out) is resent here the same way.
                for attempt in range(RESENDS + 1):
                    try:
                        response = http.post(delivery.address, content=delivery.body, headers=headers)
                        break
                    except httpx.TransportError:
                        if attempt == RESENDS:
                            raise
                        with lock:
                            sent.resent += 1
                        time.sleep(0.2 * (attempt + 1))
                took = time.time() - began
                with lock:
                    sent.receipts.append(took)
                    sent.statuses[response.status_code] += 1
                    sent.duplicates_acknowledged += bool(response.is_success and response.json().get("duplicate"))
                    sent.first_post[order_id] = min(began, sent.first_post.get(order_id, began))
                    sent.finished = max(sent.finished, began + took)

    threads = [threading.Thread(target=sender, name=f"load-sender-{n}") for n in range(SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sent


class Every(threading.Thread):
    """Calls `fn` every `seconds` until stopped (the cron, the sheet watcher)."""

    def __init__(self, seconds: float, fn: Any) -> None:
        super().__init__(daemon=True)
        self.seconds, self.fn, self.halt = seconds, fn, threading.Event()

    def run(self) -> None:
        while not self.halt.wait(self.seconds):
            self.fn()

    def stop(self) -> None:
        self.halt.set()
        self.join(timeout=30)


class SheetWatcher:
    """When each order first appeared in a tab: the instant of the batchUpdate that wrote it.

    Reads the tab only after the sandbox logged a new successful write to its file, so watching costs
    one read per push, not one per poll.
    """

    def __init__(self, world: World, profile: str) -> None:
        self.world, self.profile = world, profile
        self.marker = f"{world.files[profile]}:batchUpdate"
        self.scanned = 0
        self.seen: dict[str, float] = {}

    def look(self) -> None:
        log, end = self.world.google.sheets.log, len(self.world.google.sheets.log)
        fresh, self.scanned = log[self.scanned : end], end
        writes = [e.at for e in fresh if self.marker in e.path and e.status == 200]
        if writes:
            for order_id in self.world.sheet_orders(self.profile):
                self.seen.setdefault(order_id, max(writes))


@dataclass
class Outcome:
    sent: Sent
    orders: list[str]
    ingested_at: dict[str, float]
    seen_in_sheet: dict[str, float]
    finished_by_sweep: int
    rows: int
    distinct_orders: int
    webhook_rows: int
    distinct_notifications: int
    unprocessed: int
    events: int
    distinct_events: int
    sheets: dict[str, tuple[list[str], set[str]]]  # profile → (ids the tab shows, ids the database says)
    google: GoogleUse
    push_tasks: int = 0  # push tasks the workers ran (each a Cloud Task in production)
    push_tasks_idle: int = 0  # of which found the file's push running, or its budget still spent


@dataclass(frozen=True)
class GoogleUse:
    """What the writing identity asked of Google: refusals, and the most writes and reads in any minute."""

    refusals: int
    pushes: int
    writes_per_minute: int
    reads_per_minute: int

    @classmethod
    def of(cls, log: list[LoggedRequest]) -> GoogleUse:
        ours = [e for e in log if e.caller == WRITER and e.operation.startswith("sheets.")]
        writes = sorted(e.at for e in ours if e.method != "GET" and e.status != 429)
        reads = sorted(e.at for e in ours if e.method == "GET" and e.status != 429)
        pushes = sum(1 for e in ours if e.operation == "sheets.spreadsheets.batchUpdate" and e.status == 200)
        return cls(sum(1 for e in ours if e.status == 429), pushes, _busiest_minute(writes), _busiest_minute(reads))


def _busiest_minute(instants: list[float]) -> int:
    """The most of `instants` (sorted) in any 60 seconds."""
    busiest, start = 0, 0
    for end, at in enumerate(instants):
        while at - instants[start] >= 60:
            start += 1
        busiest = max(busiest, end - start + 1)
    return busiest


def run_load(world: World, webhooks: int = WEBHOOKS, rate: float = RATE, timeout: float = 120.0) -> Outcome:
    """Send the load, let the backend finish (the sweep when its executors go quiet), push until converged."""
    deliveries = place_orders(world, webhooks)
    orders = sorted({str(json.loads(d.body)["data"]["order_id"]) for d in deliveries})
    watcher = SheetWatcher(world, "customer_service")
    cron, watching = Every(PUSH_EVERY, lambda: world.task("/tasks/push-due")), Every(0.05, watcher.look)
    cron.start()
    watching.start()
    try:
        sent = send(deliveries, world.sandbox.app_key, world.sandbox.app_secret, rate)
        swept = _wait_for_orders(world, orders, timeout)
        _wait_for_sheets(world, timeout)
    finally:
        cron.stop()
        watching.stop()
    watcher.look()
    return _outcome(world, sent, orders, watcher.seen, swept)


def _counts(world: World, orders: list[str]) -> tuple[int, int]:
    with world.db.session() as session:
        stored = session.scalar(select(func.count()).select_from(Order).where(Order.external_id.in_(orders)))
        pending = session.scalar(select(func.count()).select_from(WebhookEvent).where(WebhookEvent.status == "pending"))
    return int(stored or 0), int(pending or 0)


def _shop_held(world: World) -> bool:
    """Whether a worker is draining the shop now (its lease taken and not expired; the one shop here)."""
    with world.db.session() as session:
        held = select(Lease.name).where(Lease.name.startswith("shop:"), Lease.expires_at > utcnow())
        return session.scalar(held.limit(1)) is not None


def _wait_for_orders(world: World, orders: list[str], timeout: float) -> int:
    """Wait until every order is stored and no event is pending; sweep once the executors went quiet.

    Returns how many events were still pending when the sweep was needed."""
    deadline = time.monotonic() + timeout
    swept, last, quiet_since = 0, (-1, -1), time.monotonic()
    while True:
        counts = _counts(world, orders)
        if counts == (len(orders), 0):
            return swept
        if counts != last:
            last, quiet_since = counts, time.monotonic()
        elif time.monotonic() - quiet_since > 1.0 and not _shop_held(world):  # the executors are idle
            swept += counts[1]
            world.task("/tasks/sync-due")
            quiet_since = time.monotonic()
        if time.monotonic() > deadline:
            raise TimeoutError(f"after {timeout} s: {counts[0]} of {len(orders)} orders stored, {counts[1]} pending")
        time.sleep(0.05)


def wanted_in_sheet(world: World, profile: str) -> set[str]:
    """The order ids the database says the profile's tab shows (its status filter; every order here is new)."""
    statuses = world.profiles[profile].row_filter.statuses
    with world.db.session() as session:
        query = select(Order.external_id)
        if statuses:  # as RowFilter.keeps: an order in its ON_HOLD hour counts as ON_HOLD
            query = query.where(Order.status.in_(statuses) | (Order.is_on_hold & ("ON_HOLD" in statuses)))
        return set(session.scalars(query))


def _wait_for_sheets(world: World, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with world.db.session() as session:
            dirty = session.scalar(select(func.count()).select_from(SheetBinding).where(SheetBinding.dirty))
        if not dirty and all(set(world.sheet_orders(p)) == wanted_in_sheet(world, p) for p in SHEETS):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"sheets did not converge in {timeout} s ({dirty} bindings dirty)")
        time.sleep(0.2)


def _outcome(world: World, sent: Sent, orders: list[str], seen: dict[str, float], swept: int) -> Outcome:
    with world.db.session() as session:
        ingested = {oid: at.timestamp() for oid, at in session.execute(select(Order.external_id, Order.ingested_at))}
        rows = int(session.scalar(select(func.count()).select_from(Order)) or 0)
        webhook_rows = int(session.scalar(select(func.count()).select_from(WebhookEvent)) or 0)
        notifications = int(session.scalar(select(func.count(func.distinct(WebhookEvent.notification_id)))) or 0)
        unprocessed = int(
            session.scalar(select(func.count()).select_from(WebhookEvent).where(WebhookEvent.status != "done")) or 0
        )
        transitions = session.execute(select(OrderEvent.order_id, OrderEvent.from_status, OrderEvent.to_status)).all()
    sheets = {p: (world.sheet_orders(p), wanted_in_sheet(world, p)) for p in SHEETS}
    use = GoogleUse.of(list(world.google.sheets.log))
    tasks = [line for line in world.log.read_text().splitlines() if "task /tasks/push-binding/" in line]
    idle = sum("is being worked on" in line or '"deferred_s"' in line for line in tasks)
    return Outcome(sent, orders, ingested, seen, swept, rows, len(ingested), webhook_rows, notifications,
                   unprocessed, len(transitions), len(set(transitions)), sheets, use, len(tasks), idle)  # fmt: skip


def run_gentle(world: World, count: int = GENTLE, every: float = GENTLE_EVERY, timeout: float = 60.0) -> list[float]:
    """One new order every `every` seconds: for each, seconds from its webhook's POST to the write that
    first showed it in the customer-service tab."""
    watcher = SheetWatcher(world, "customer_service")
    watcher.scanned = len(world.google.sheets.log)
    took = []
    for _ in range(count):
        began = time.monotonic()
        [order] = world.sandbox.add_orders(world.shop_key, 1)
        with world.sandbox.lock:
            batch, world.sandbox.outbox = world.sandbox.outbox, []
        sent = send(batch, world.sandbox.app_key, world.sandbox.app_secret, rate=100.0)
        order_id = str(order.order_id)
        deadline = time.monotonic() + timeout
        while order_id not in watcher.seen:
            if time.monotonic() > deadline:
                raise TimeoutError(f"order {order_id} did not reach the sheet in {timeout} s")
            time.sleep(0.05)
            watcher.look()
        took.append(watcher.seen[order_id] - sent.first_post[order_id])
        time.sleep(max(0.0, every - (time.monotonic() - began)))
    return took


# -- figures ----------------------------------------------------------------------------------------


def _p(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1] if len(values) > 1 else 0.0


def figures(outcome: Outcome, rate: float = RATE) -> dict[str, object]:
    sent = outcome.sent
    to_db = [(outcome.ingested_at[o] - sent.first_post[o]) * 1000 for o in outcome.orders]
    to_sheet = [
        (outcome.seen_in_sheet[o] - sent.first_post[o]) * 1000 for o in outcome.orders if o in outcome.seen_in_sheet
    ]
    receipts = [r * 1000 for r in sent.receipts]
    lost = len(set(outcome.orders) - set(outcome.ingested_at)) + len(set(outcome.orders) - set(outcome.seen_in_sheet))
    return {
        "webhooks": sent.posts,
        "resent_after_reset": sent.resent,
        "orders": len(outcome.orders),
        "workers": WORKERS,
        "target_webhooks_per_s": rate,
        "held_webhooks_per_s": round(sent.posts / (sent.finished - sent.started), 1),
        "receipt_p50_ms": round(_p(receipts, 0.5), 1),
        "receipt_p95_ms": round(_p(receipts, 0.95), 1),
        "to_database_p50_ms": round(_p(to_db, 0.5), 1),
        "to_database_p95_ms": round(_p(to_db, 0.95), 1),
        "to_sheet_p50_ms": round(_p(to_sheet, 0.5), 1),
        "to_sheet_p95_ms": round(_p(to_sheet, 0.95), 1),
        "sheets_call_latency_ms": LATENCY * 1000,
        "push_every_s": PUSH_EVERY,
        "pushes": outcome.google.pushes,
        "push_tasks": outcome.push_tasks,
        "push_tasks_idle": outcome.push_tasks_idle,
        "quota_refusals": outcome.google.refusals,
        "busiest_minute_writes": outcome.google.writes_per_minute,
        "busiest_minute_reads": outcome.google.reads_per_minute,
        "writes_left_per_minute": QUOTA - outcome.google.writes_per_minute,
        "finished_by_sweep": outcome.finished_by_sweep,
        "lost": lost,
        "duplicated": (outcome.rows - outcome.distinct_orders) + (outcome.events - outcome.distinct_events),
        "non_2xx": sum(n for status, n in sent.statuses.items() if status >= 300),
    }


def run(quick: bool = False, postgres: str | None = None, rate: float = RATE) -> dict[str, object]:
    """The load on a fresh PostgreSQL database, or a skip naming what is missing."""
    from bench.bench_sync import fresh_database, postgres_url  # noqa: PLC0415 - tests import this module without it

    server = postgres_url(postgres)
    if server is None:
        return {"skipped": "needs PostgreSQL: set DATABASE_URL or pass --postgres (scripts/test-postgres.sh)"}
    with (
        fresh_database(server) as url,
        tempfile.TemporaryDirectory(prefix="orderdeck-load-") as scratch,
        load_world(url, Path(scratch)) as world,
    ):
        result = figures(run_load(world, QUICK_WEBHOOKS if quick else WEBHOOKS, rate), rate)
        gentle = [t * 1000 for t in run_gentle(world, QUICK_GENTLE if quick else GENTLE)]
        result["gentle"] = {
            "orders": len(gentle),
            "every_s": GENTLE_EVERY,
            "to_sheet_p50_ms": round(_p(gentle, 0.5), 1),
            "to_sheet_p95_ms": round(_p(gentle, 0.95), 1),
        }
    result["measured_at"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_WEBHOOKS} webhooks instead of {WEBHOOKS}")
    parser.add_argument("--rate", type=float, default=RATE, help=f"webhooks a second (default {RATE:g})")
    parser.add_argument("--postgres", metavar="URL", help="PostgreSQL server (else DATABASE_URL)")
    args = parser.parse_args()
    print(json.dumps(run(quick=args.quick, postgres=args.postgres, rate=args.rate), indent=2))
