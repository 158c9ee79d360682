"""Noisy neighbours (issue 14, class 2): one team hammers the Google identity two teams share, the other pushes.

Two teams write their sheets as the same service account, in the same Cloud project. The quiet team
changes an order and pushes its customer-service tab every QUIET_EVERY seconds. The hammering team,
meanwhile, asks for bind challenges and tries binds it never proved (each costs a Sheets read),
creates spreadsheets, presses Sync now, types into its sheet as fast as it can (each edit asks for a push
of its tabs), and pushes its own three spreadsheets, from thirteen threads (its push limit raised by the
operator, so only the Sheets budget holds its pushes back). Everything
goes over HTTP to gunicorn (two workers on PostgreSQL, one on SQLite) against the TikTok and Google
sandboxes. The identity's read quota is set to READS_PER_MINUTE in the limits table, so the two teams
contend within seconds however slow the machine.

Figures: the quiet team's push latency (p50 / p95 / max) while the other team hammers and then alone,
its budget waits (0 is the promise), the hammering team's pushes put off by the budget and its 429s per
route, and 429s from Google itself (0: the budget keeps every team under the quota). On a shared 2-core
machine the latencies mostly measure CPU: the budget promise is about waits, not seconds.

    .venv/bin/python bench/bench_fairness.py [--quick] [--postgres URL]

tests/security/test_noisy_neighbours.py runs the same scenario and checks the outcome, not the times.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as a plain script

import httpx
from sqlalchemy import select, update

from backend import create_app, runtime
from backend.db import Database
from backend.models import Order, Team
from backend.platforms.base import ConsentReturn
from backend.sandbox.sheets import GoogleSandboxes, google_sandboxes
from backend.sandbox.tiktok_shop import TikTokShopSandbox
from backend.services import bindings, limits, shops, teams
from backend.services.ingest import mark_bindings_dirty
from bench.bench_load import free_port
from bench.bench_sync import backend_config, fresh_database, postgres_url
from bench.serving import start_backend

logging.getLogger("werkzeug").setLevel(logging.WARNING)
WRITER = "orderdeck-writer@orderdeck-sandbox.iam.gserviceaccount.com"
SECRET = "fairness-task-secret"
QUIET_EVERY = 8.0  # seconds between the starts of the quiet team's pushes
QUIET_PUSHES, QUICK_PUSHES = 4, 2  # the hammering lasts as long as these take
HAMMER_FILES = 3
THREADS = {"binds": 4, "creates": 4, "pushes": 3, "edits": 2}  # the hammering team's callers, per kind of call
# The identity's Sheets reads a minute, set in the limits table for the scenario (Google allows 60), so
# the teams contend within seconds even on a slow machine: the quiet team's pushes (two reads each, one
# every QUIET_EVERY) stay within its half, and the hammering team wants far more than the other half.
READS_PER_MINUTE = 24
# The hammering team's edit calls a minute (the default allows 240), so it meets that limit within seconds
# however slow the machine (under this load an edit takes up to seconds on PostgreSQL).
EDITS_PER_MINUTE = 8
LIMITED_PATHS = ("/addon/bindings", "/addon/spreadsheets", "/addon/sync", "/addon/bind/challenge", "/addon/edits")
NOTE = str(bindings.builtin_profiles()["customer_service"].index_of("note") + 1)  # its 1-based note column
SPAN_CLEARS = 75.0  # seconds after which the budget no longer counts what was spent before


@dataclass
class Side:
    name: str
    team_id: int
    admin: str
    support: str
    shop_id: int
    files: list[str] = field(default_factory=list)
    bindings: list[int] = field(default_factory=list)


@dataclass
class World:
    url: str
    audience: str
    db: Database
    google: GoogleSandboxes
    quiet: Side
    hammer: Side
    log: Path

    def task(self, path: str) -> dict[str, Any]:
        response = httpx.post(f"{self.url}{path}", headers={"X-OrderDeck-Task-Secret": SECRET}, timeout=180)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def addon(self, path: str, email: str, body: dict[str, Any]) -> httpx.Response:
        token = self.google.identity.mint_id_token(self.audience, email)
        return httpx.post(f"{self.url}{path}", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def _side(db: Database, tiktok: TikTokShopSandbox, name: str, domain: str) -> Side:
    """A team with a support member and one connected shop with 25 orders (not yet synced)."""
    admin, support = f"founder@{domain}", f"cs@{domain}"
    with db.session() as session:
        team = teams.create_team(session, name, admin)
        teams.add_member(session, team, support, "support")
        team_id = team.id
    shop = tiktok.add_shop(f"{name} US", "US", orders=25)
    consent = ConsentReturn(tiktok.issue_auth_code([shop.shop_id]))
    [connected] = shops.connect(db, shops.Platform(runtime.config(), runtime.secret_box()), team_id, consent,
                                name="tiktok")  # fmt: skip
    return Side(name, team_id, admin, support, connected.id)


def _bind_files(world: World, side: Side, count: int) -> None:
    for n in range(count):
        sheet = world.google.sheets.create_spreadsheet(side.admin, f"{side.name} service {n}")
        world.google.sheets.share(sheet.id, "writer", email=WRITER)
        world.google.sheets.share(sheet.id, "writer", email=side.support)
        with world.db.session() as session:
            team = session.get_one(Team, side.team_id)
            side.bindings.append(bindings.bind(session, team, sheet.id, "Service", "customer_service").id)
        side.files.append(sheet.id)


@contextmanager
def fairness_world(database_url: str, scratch: Path) -> Iterator[World]:
    """Sandboxes; gunicorn (two workers on PostgreSQL, one on SQLite) on a migrated database with two teams
    that write as one service account, each shop synced and its tabs filled once."""
    tiktok = TikTokShopSandbox(seed=14)
    tiktok_server = tiktok.start()
    port = free_port()
    try:
        with google_sandboxes() as google:
            key = google.identity.write_service_account_key(scratch / "sa.json", WRITER)
            config = backend_config(
                database_url,
                tiktok_server.url,
                tiktok.app_key,
                tiktok.app_secret,
                PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
                GOOGLE_APPLICATION_CREDENTIALS=str(key),
                TASKS_SECRET=SECRET,
                **google.settings(),
            )
            app = create_app(config)
            db: Database = app.extensions["orderdeck.db"]
            db.migrate()
            with app.app_context():
                quiet = _side(db, tiktok, "Quiet Goods", "quiet.test")
                hammer = _side(db, tiktok, "Hammer Trading", "hammer.test")
            workers = 2 if db.engine.dialect.name == "postgresql" else 1
            command = [
                str(Path(sys.executable).parent / "gunicorn"),
                *("--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", "16", "--timeout", "180"),
                "backend.wsgi:app",
            ]
            server = start_backend(command, config, port, scratch / "gunicorn.log")
            try:
                world = World(config.PUBLIC_BASE_URL or "", config.ADDON_AUDIENCE, db, google, quiet, hammer,
                              scratch / "gunicorn.log")  # fmt: skip
                for side, files in ((quiet, 1), (hammer, HAMMER_FILES)):
                    world.task(f"/tasks/sync-shop/{side.shop_id}")
                    _bind_files(world, side, files)
                    for binding_id in side.bindings:
                        world.task(f"/tasks/push-binding/{binding_id}")  # the first fill
                with db.session() as session:  # the operator trusts the hammering team with many pushes
                    limits.set_limit(session, "push.team", 10_000, 60, team_name=hammer.name, actor="bench")
                    limits.set_limit(session, "sheets.read.user", READS_PER_MINUTE, 60, actor="bench")
                    limits.set_limit(session, "edit_cells.member", EDITS_PER_MINUTE, 60, team_name=hammer.name,
                                     actor="bench")  # fmt: skip
                yield world
            finally:
                server.terminate()
                server.wait(timeout=60)
                app.extensions["orderdeck.tasks"].shutdown()
                db.dispose()
    finally:
        tiktok.stop_webhook_pump()
        tiktok_server.stop()


@dataclass
class Outcome:
    quiet_pushes: list[dict[str, Any]] = field(default_factory=list)  # push summaries, each with "seconds"
    hammer_statuses: Counter[tuple[str, int]] = field(default_factory=Counter)  # (route, status) → count
    hammer_429s: list[dict[str, Any]] = field(default_factory=list)  # route, Retry-After, JSON retry_after
    hammer_push_waits: int = 0  # Sheets requests of its pushes that waited for a later window
    hammer_pushes: int = 0
    hammer_deferred: int = 0  # pushes put off (scheduled later): its share of the budget was spent
    google_429s: int = 0


def _change_an_order(world: World, side: Side, n: int) -> None:
    """TikTok changed one of the side's orders (the buyer added a message): its tabs have a row to write."""
    with world.db.session() as session:
        first = session.scalars(select(Order.id).where(Order.shop_id == side.shop_id).order_by(Order.id)).first()
        session.execute(update(Order).where(Order.id == first).values(buyer_message=f"Change {n}"))
        mark_bindings_dirty(session, side.team_id, side.shop_id)


def _quiet(world: World, pushes: int, outcome: Outcome, done: threading.Event) -> None:
    side = world.quiet
    for n in range(1, pushes + 1):
        _change_an_order(world, side, n)
        started = time.perf_counter()
        result = world.task(f"/tasks/push-binding/{side.bindings[0]}")["result"]
        outcome.quiet_pushes.append({**result, "seconds": time.perf_counter() - started})
        if n < pushes:
            time.sleep(max(0.0, QUIET_EVERY - (time.perf_counter() - started)))
    done.set()


def _sidebar(world: World, outcome: Outcome, lock: threading.Lock, path: str, body: dict[str, Any]) -> httpx.Response:
    """One sidebar call as the hammering team's admin, its status (and any 429's retry time) noted."""
    answer = world.addon(path, world.hammer.admin, body)
    with lock:
        outcome.hammer_statuses[(path, answer.status_code)] += 1
        if answer.status_code == 429:
            wait = answer.json()["error"].get("detail", {}).get("retry_after")
            outcome.hammer_429s.append(
                {"route": path, "header": answer.headers.get("Retry-After"), "retry_after": wait}
            )
    return answer


def _hammer_binds(world: World, done: threading.Event, outcome: Outcome, lock: threading.Lock) -> None:
    """Challenges it never writes into the file: every bind's proof read fails."""
    file_id = world.hammer.files[0]
    while not done.is_set():
        challenge = _sidebar(world, outcome, lock, "/addon/bind/challenge", {"spreadsheet_id": file_id})
        if challenge.status_code == 200:
            body = {
                "spreadsheet_id": file_id,
                "challenge": challenge.json()["value"],
                "tab": "X",
                "profile": "sla_watch",
            }
            _sidebar(world, outcome, lock, "/addon/bindings", body)


def _hammer_creates(world: World, done: threading.Event, outcome: Outcome, lock: threading.Lock) -> None:
    while not done.is_set():
        body = {"title": "Again", "audience": "support", "profile": "customer_service"}
        _sidebar(world, outcome, lock, "/addon/spreadsheets", body)
        _sidebar(world, outcome, lock, "/addon/sync", {})


def _hammer_edits(world: World, done: threading.Event, outcome: Outcome, lock: threading.Lock) -> None:
    """A note typed into one row of its first file, again and again: each call is one edit event."""
    side = world.hammer
    with world.db.session() as session:
        key = session.scalars(select(Order.external_id).where(Order.shop_id == side.shop_id).order_by(Order.id)).first()
    rounds = 0
    while not done.is_set():
        rounds += 1
        row = {"row": 2, "key": key, "cells": {NOTE: f"Typed {rounds}"}}
        body = {"spreadsheet_id": side.files[0], "tab": "Service", "rows": [row]}
        _sidebar(world, outcome, lock, "/addon/edits", body)


def _hammer_pushes(world: World, done: threading.Event, outcome: Outcome, lock: threading.Lock) -> None:
    """Every round has a change to write, so its pushes want the identity's reads and writes however slow the
    machine is (pushes of unchanged tabs would cost it almost nothing and never meet its share)."""
    rounds = 0
    while not done.is_set():
        rounds += 1
        _change_an_order(world, world.hammer, rounds)
        for binding_id in world.hammer.bindings:
            result = world.task(f"/tasks/push-binding/{binding_id}")["result"]
            with lock:
                outcome.hammer_pushes += 1
                outcome.hammer_push_waits += int(result.get("budget_waits", 0))
                outcome.hammer_deferred += "deferred_s" in result  # put off until its share has room


def run_scenario(world: World, pushes: int, *, hammer: bool = True) -> Outcome:
    """The quiet team pushes `pushes` times, while (with `hammer`) the other team hammers the shared identity."""
    outcome = Outcome()
    before = world.google.sheets.counters["status:429"]
    done, lock = threading.Event(), threading.Lock()
    threads = [threading.Thread(target=_quiet, args=(world, pushes, outcome, done))]
    if hammer:
        loops = {"binds": _hammer_binds, "creates": _hammer_creates, "pushes": _hammer_pushes, "edits": _hammer_edits}
        threads += [
            threading.Thread(target=loop, args=(world, done, outcome, lock))
            for kind, loop in loops.items()
            for _ in range(THREADS[kind])
        ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outcome.google_429s = world.google.sheets.counters["status:429"] - before
    return outcome


def _latency(pushes: list[dict[str, Any]]) -> dict[str, float]:
    times = sorted(p["seconds"] * 1000 for p in pushes)
    p95 = statistics.quantiles(times, n=100, method="inclusive")[94] if len(times) > 1 else times[0]
    return {"p50_ms": round(statistics.median(times), 1), "p95_ms": round(p95, 1), "max_ms": round(times[-1], 1)}


def run(quick: bool = False, postgres: str | None = None) -> dict[str, object]:
    pushes = QUICK_PUSHES if quick else QUIET_PUSHES
    results: dict[str, object] = {}
    servers = {"sqlite": None, "postgresql": postgres_url(postgres)}
    for label, server in servers.items():
        if label == "postgresql" and server is None:
            continue
        with (
            fresh_database(server) as url,
            tempfile.TemporaryDirectory(prefix="orderdeck-bench-") as scratch,
            fairness_world(url, Path(scratch)) as world,
        ):
            crowded = run_scenario(world, pushes)
            time.sleep(SPAN_CLEARS)
            alone = run_scenario(world, pushes, hammer=False)
        results[label] = {
            "quiet_alone": _latency(alone.quiet_pushes),
            "quiet_while_hammered": _latency(crowded.quiet_pushes),
            "quiet_pushes": len(crowded.quiet_pushes),
            "quiet_budget_waits": sum(p["budget_waits"] for p in crowded.quiet_pushes),
            "hammer_pushes": crowded.hammer_pushes,
            "hammer_pushes_put_off": crowded.hammer_deferred,
            "hammer_budget_waits": crowded.hammer_push_waits,
            "hammer_429": {
                path: sum(n for (p, status), n in crowded.hammer_statuses.items() if p == path and status == 429)
                for path in LIMITED_PATHS
            },
            "google_429s": crowded.google_429s,
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_PUSHES} quiet pushes: a smoke check")
    parser.add_argument("--postgres", metavar="URL", help="also bench on this PostgreSQL server")
    args = parser.parse_args()
    for database, figures in run(quick=args.quick, postgres=args.postgres).items():
        assert isinstance(figures, dict)
        for name, value in figures.items():
            print(f"{database:<10} {name:<22} {value}")


if __name__ == "__main__":
    main()
