"""Background work without a home-made queue: sweeps find what the database says needs doing, and
each unit of work is a task path (`/tasks/sync-shop/7`) run by Cloud Tasks in production or by an
in-process executor locally. Every task is idempotent, so a lost or repeated task costs nothing.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import httpx
from flask import Flask, current_app
from googleapiclient.discovery import build

from backend import runtime
from backend.errors import NotFound, OrderDeckError, PlatformError
from backend.services import leases, notify, push_schedule, retention, shop_round, sync, tracking, webhooks
from backend.services.after_sales import alerts as after_sales_alerts

log = logging.getLogger(__name__)
PUSH_TASK = "/tasks/push-binding/"  # + the binding id: one spreadsheet's push
PUSH_WORKERS = 4  # pushes one process runs at once (each mostly waits on Google and the database)


def sync_due() -> dict[str, Any]:
    """Fan out: a sync for every shop that is due, and event processing for shops with pending webhooks."""
    db = runtime.database()
    due = sync.shops_due(db)
    pending = [s for s in webhooks.shops_with_pending_events(db) if s not in due]
    for shop_id in due:
        enqueue(f"/tasks/sync-shop/{shop_id}")
    for shop_id in pending:
        enqueue(f"/tasks/sync-shop/{shop_id}?webhooks=1")
    return {"sync": due, "webhooks": pending}


def sync_shop(shop_id: int, webhooks_only: bool = False) -> dict[str, Any]:
    """Process the shop's stored webhook events, then (unless only those were asked for) sync it, then
    push the spreadsheets showing the shop that changed (push_schedule: at once, or after the push that
    runs now, or when the Sheets budget has room).

    Pushes are asked for after every round of events that stored a change, not only at the end, so a
    stream of webhooks that keeps the round going does not hold the sheets back. A task that finds the
    shop's lease taken stops: the holder looks for pending events again after it lets go, so an event
    that arrived meanwhile is not left for the next sweep; a drain that stops at its last round with
    events pending asks for another drain of the shop for the same reason. A platform failure
    is recorded on the sync run and answered, not raised: the next sweep is the retry, so Cloud Tasks
    must not pile its own retries on top.
    """
    out: dict[str, Any] = {"shop": shop_id}
    try:
        done = shop_round.run(
            runtime.database(),
            runtime.platform(),
            shop_id,
            events_only=webhooks_only,
            after_round=lambda: _ask_pushes(shop_id),
            hand_on=lambda: enqueue(f"/tasks/sync-shop/{shop_id}?webhooks=1"),
        )
        out["webhooks"] = done.events
        if done.sync is not None:
            out |= {
                "sync": done.sync.summary(),
                "after_sales": done.after_sales.summary() if done.after_sales else "",
                "webhooks_after": done.events_after,
                "stock_skus": done.stock_skus,
                "settlement": done.settlement,
            }
    except leases.LeaseHeld as exc:
        out["skipped"] = exc.message
        return out  # the lease holder pushes when it is done
    except PlatformError as exc:
        log.warning("shop %s: the platform failed: %s", shop_id, exc)
        out["error"] = str(exc)
    out["push"] = _ask_pushes(shop_id)
    return out


def _ask_pushes(shop_id: int) -> list[int]:
    """Ask for a push of every spreadsheet with a changed tab showing the shop (one queued per spreadsheet)."""
    binding_ids = push_schedule.showing_shop(runtime.database(), shop_id)
    for binding_id in binding_ids:
        enqueue(f"{PUSH_TASK}{binding_id}")
    return binding_ids


def push_due() -> dict[str, Any]:
    ids = push_schedule.due(runtime.database())
    for binding_id in ids:
        enqueue(f"{PUSH_TASK}{binding_id}")
    return {"push": ids}


def push_binding(binding_id: int) -> dict[str, Any]:
    """Push the tab's spreadsheet (or defer it), then ask for the pushes that follow from it."""
    result, follow = push_schedule.run(binding_id)
    for step in follow:
        enqueue(f"{PUSH_TASK}{step.binding_id}", delay=step.delay)
    return {"binding": binding_id, "result": result, "next": [s.__dict__ for s in follow]}


def track_due() -> dict[str, Any]:
    """Fan out: a tracking round for every shop with a shipped order due a poll."""
    shops = tracking.shops_due(runtime.database())
    for shop_id in shops:
        enqueue(f"/tasks/track-shop/{shop_id}")
    return {"track": shops}


def track_shop(shop_id: int) -> dict[str, Any]:
    """Poll the carrier's events of the shop's due orders; a platform failure waits for the next sweep."""
    try:
        return {"shop": shop_id, **tracking.poll_shop(runtime.database(), runtime.platform(), shop_id)}
    except PlatformError as exc:
        log.warning("shop %s: tracking failed: %s", shop_id, exc.message)
        return {"shop": shop_id, "error": exc.message}


def notify_due() -> dict[str, Any]:
    """Enqueue what the notification sweeps find (each idempotent), then send what is due to Discord."""
    db = runtime.database()
    with db.session() as session:
        queued = {sweep.__name__: sweep(session) for sweep in NOTIFICATION_SWEEPS}
    with httpx.Client(timeout=10) as http:
        delivered = notify.deliver_due(db.sessions, http, runtime.secret_box())
    return {"queued": queued, "delivered": delivered.sent, "deferred": delivered.deferred}


def retention_due() -> dict[str, Any]:
    """Mask the personal data of orders whose team's retention ran out; the next push rewrites their rows."""
    with runtime.database().session() as session:
        report = retention.mask_expired(session)
    return {"masked": report.orders, "shops": sorted(report.shops)}


NOTIFICATION_SWEEPS = (
    notify.sla_alert_sweep,
    after_sales_alerts.deadline_sweep,
    notify.overdue_exception_sweep,
    notify.stale_sync_sweep,
    notify.daily_digest,
    notify.weekly_leaderboard,
    tracking.late_delivery_sweep,
)


@dataclass(frozen=True)
class Route:
    pattern: re.Pattern[str]
    run: Callable[[re.Match[str], dict[str, str]], dict[str, Any]]


# The task map: path → function. The /tasks blueprint and the local executor both dispatch here.
ROUTES: tuple[Route, ...] = (
    Route(re.compile(r"/tasks/sync-due"), lambda m, q: sync_due()),
    Route(re.compile(r"/tasks/sync-shop/(\d{1,9})"), lambda m, q: sync_shop(int(m[1]), q.get("webhooks") == "1")),
    Route(re.compile(r"/tasks/push-due"), lambda m, q: push_due()),
    Route(re.compile(r"/tasks/push-binding/(\d{1,9})"), lambda m, q: push_binding(int(m[1]))),
    Route(re.compile(r"/tasks/notify-due"), lambda m, q: notify_due()),
    Route(re.compile(r"/tasks/track-due"), lambda m, q: track_due()),
    Route(re.compile(r"/tasks/track-shop/(\d{1,9})"), lambda m, q: track_shop(int(m[1]))),
    Route(re.compile(r"/tasks/retention-due"), lambda m, q: retention_due()),
)


def run(path: str) -> dict[str, Any]:
    """Run a task path in the current app context."""
    route_path, _, query = path.partition("?")
    params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
    for route in ROUTES:
        match = route.pattern.fullmatch(route_path)
        if match:
            return route.run(match, params)
    raise NotFound(f"no task {route_path!r}")


class TaskQueue(Protocol):
    def enqueue(self, path: str, delay: float = 0.0) -> None: ...


class InlineTasks:
    """Runs tasks in small thread pools inside this process, each when its delay has passed; a path
    already waiting is not queued twice (the earlier of the two times is kept).

    Pushes have a pool of their own: a push waits on Google for seconds, and pushes of every
    spreadsheet at once must not leave a stream of webhook events unprocessed meanwhile (nor the
    reverse). It has room for PUSH_WORKERS at once: a round asks for every spreadsheet showing the shop
    in the process that ran it, and each push asks for its trailing one there too, so a team's
    spreadsheets (three in the load bench) would otherwise take turns, each change waiting a whole
    push of another file. Cloud Tasks runs each task on its own request, so it needs no such split.

    A path runs once at a time: asked for while it runs, it runs once more when that run ends. A stream
    of webhooks for one shop so costs one trailing round, not a round per webhook that finds the shop's
    lease taken and gives up (a third of the work of a 200-a-second flood).
    """

    def __init__(self, app: Flask, workers: int = 2, runner: Callable[[str], dict[str, Any]] = run) -> None:
        self._app = app
        self._runner = runner
        self._active: set[str] = set()  # paths running now
        self._again: set[str] = set()  # paths asked for while they ran: run once more when they end
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="orderdeck-task")
        self._pushes = ThreadPoolExecutor(max_workers=PUSH_WORKERS, thread_name_prefix="orderdeck-task-push")
        self._queued: dict[str, float] = {}  # path → when it is due (monotonic), until it starts running
        self._timers: list[tuple[float, int, str]] = []  # a heap of (due, sequence, path)
        self._sequence = itertools.count()
        self._running: set[Future[None]] = set()
        self._lock = threading.Condition()
        self._stopped = False
        self._clock = threading.Thread(target=self._release_due, name="orderdeck-task-clock", daemon=True)
        self._clock.start()

    def enqueue(self, path: str, delay: float = 0.0) -> None:
        due = time.monotonic() + max(delay, 0.0)
        with self._lock:
            if path in self._queued and self._queued[path] <= due:
                return
            self._queued[path] = due
            if delay <= 0:
                self._submit(path)
            else:
                heapq.heappush(self._timers, (due, next(self._sequence), path))
                self._lock.notify()

    def _submit(self, path: str) -> None:
        """Hand `path` to the pool (with the lock held), or, while it runs, once more after it."""
        if path in self._active:
            self._again.add(path)  # it stays in _queued until that run starts, so drain() waits for it
            return
        self._active.add(path)
        pool = self._pushes if path.startswith(PUSH_TASK) else self._pool
        future = pool.submit(self._run, path)
        self._running.add(future)
        future.add_done_callback(self._forget)

    def _release_due(self) -> None:
        """The clock thread: hands each delayed path to the pool when it is due (unless queued sooner since)."""
        with self._lock:
            while not self._stopped:
                if not self._timers:
                    self._lock.wait()
                    continue
                due, _, path = self._timers[0]
                wait = due - time.monotonic()
                if wait > 0:
                    self._lock.wait(wait)
                    continue
                heapq.heappop(self._timers)
                if self._queued.get(path) == due:
                    self._submit(path)

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._running.discard(future)

    def _run(self, path: str) -> None:
        with self._lock:
            self._queued.pop(path, None)
        try:
            with self._app.app_context():
                log.info("task %s: %s", path, json.dumps(self._runner(path), default=str))
        except OrderDeckError as exc:
            log.warning("task %s failed: %s", path, exc.message)
        except Exception:  # a task must never take the executor down; the next sweep retries
            log.exception("task %s crashed", path)
        finally:
            with self._lock:
                self._active.discard(path)
                if path in self._again:
                    self._again.discard(path)
                    if self._stopped:
                        self._queued.pop(path, None)
                    else:
                        self._submit(path)

    def drain(self, timeout: float = 60.0) -> None:
        """Wait until no task is queued, waiting for its time, or running, including tasks that running
        ones enqueue."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                pending = list(self._running)
                waiting = bool(self._queued)
            if not pending and not waiting:
                return
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{len(pending)} tasks still running after {timeout} s")
            if pending:
                wait(pending, timeout=max(0.0, min(0.1, deadline - time.monotonic())))
            else:
                time.sleep(0.02)

    def shutdown(self) -> None:
        with self._lock:
            self._stopped = True
            self._timers.clear()
            self._lock.notify()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._pushes.shutdown(wait=True, cancel_futures=True)


class CloudTasks:
    """App Engine tasks on a Cloud Tasks queue (`TASKS_QUEUE` = projects/P/locations/L/queues/Q).

    App Engine adds X-AppEngine-QueueName to the request and strips that header from outside traffic,
    which is what lets the /tasks routes trust the caller.
    """

    def __init__(self, queue: str) -> None:
        self._queue = queue
        self._service = build("cloudtasks", "v2", cache_discovery=False, static_discovery=True)

    def enqueue(self, path: str, delay: float = 0.0) -> None:
        task: dict[str, Any] = {"appEngineHttpRequest": {"httpMethod": "POST", "relativeUri": path}}
        if delay > 0:  # Cloud Tasks holds the task until then: no worker waits for it
            at = datetime.now(UTC) + timedelta(seconds=delay)
            task["scheduleTime"] = at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        self._service.projects().locations().queues().tasks().create(parent=self._queue, body={"task": task}).execute()


def init_app(app: Flask) -> None:
    settings = app.extensions["orderdeck.config"]
    queue: TaskQueue = CloudTasks(settings.TASKS_QUEUE) if settings.TASKS_BACKEND == "cloudtasks" else InlineTasks(app)
    app.extensions["orderdeck.tasks"] = queue


def enqueue(path: str, delay: float = 0.0) -> None:
    """Run a task path in the background, `delay` seconds from now."""
    queue: TaskQueue = current_app.extensions["orderdeck.tasks"]
    queue.enqueue(path, delay)
