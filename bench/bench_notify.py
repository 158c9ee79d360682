"""SLA sweep, Discord delivery and analytics at a busy seller's volume.

Seeds 20,000 to-ship orders with dispatch deadlines spread over the next 30 hours (plus a ready-to-ship
event each, for analytics), then times: the first SLA sweep (enqueues every due tier), a repeat
sweep (must enqueue nothing: the per-minute cost), delivering 2,000 messages to the local Discord
fake, and the analytics tab over the same orders.
"""

from __future__ import annotations

import logging
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as a plain script

import httpx
from sqlalchemy import delete, func, insert, select

from backend.config import TEST_ENCRYPTION_KEY
from backend.db import Database
from backend.models import Notification, Order, OrderEvent, Team
from backend.sandbox.discord import DiscordFake, start_discord, webhook_url
from backend.secrets import SecretBox
from backend.services import notify
from backend.services.analytics import analytics_tab
from bench.fixtures import team_with_shop, timed

ORDERS = 20_000
DELIVER = 2_000
NOW = datetime(2026, 3, 11, 12, 0, tzinfo=UTC)


def _seed(db: Database, box: SecretBox, url: str) -> int:
    rng = random.Random(11)
    with db.session() as session:
        team, shop = team_with_shop(session, "Bench", "bench", name="Bench shop")
        notify.add_channel(session, box, team, name="bench", url=url, actor="bench", allow_loopback=True)
        rows = []
        for n in range(ORDERS):
            created = NOW - timedelta(hours=rng.uniform(1, 40))
            rows.append(
                {
                    "shop_id": shop.id,
                    "external_id": f"B{n:08d}",
                    "status": "AWAITING_SHIPMENT",
                    "platform_update_time": created,
                    "platform_create_time": created,
                    "paid_at": created,
                    "rts_sla_at": NOW + timedelta(minutes=rng.uniform(1, 30 * 60)),
                    "currency": "GBP",
                    "raw": {},
                }
            )
        session.execute(insert(Order), rows)
        ids = session.scalars(select(Order.id).where(Order.shop_id == shop.id)).all()
        events = [
            {
                "order_id": order_id,
                "kind": "status",
                "to_status": "AWAITING_COLLECTION",
                "occurred_at": NOW - timedelta(minutes=rng.uniform(1, 600)),
                "actor": f"packer{order_id % 7}@bench.test",
            }
            for order_id in ids
        ]
        session.execute(insert(OrderEvent), events)
        return team.id


def run() -> dict[str, object]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one access-log line per message otherwise
    box = SecretBox(TEST_ENCRYPTION_KEY)
    fake, server = start_discord(DiscordFake(limit=1_000_000, window=1.0))
    results: dict[str, object] = {
        "orders": ORDERS,
        "database": "DATABASE_URL" if os.environ.get("DATABASE_URL") else "sqlite",
    }
    try:
        with tempfile.TemporaryDirectory() as scratch:
            db = Database(os.environ.get("DATABASE_URL") or f"sqlite:///{scratch}/bench.db")
            db.migrate()
            team_id = _seed(db, box, webhook_url(server, fake.create_webhook()))
            with db.session() as session:
                results["enqueued"] = timed("first_sweep", results, lambda: notify.sla_alert_sweep(session, NOW))
            with db.session() as session:
                results["repeat_enqueued"] = timed(
                    "repeat_sweep", results, lambda: notify.sla_alert_sweep(session, NOW)
                )
            with httpx.Client() as http:
                sent = 0
                started = time.perf_counter()
                while sent < DELIVER:
                    sent += notify.deliver_due(db.sessions, http, box, now=NOW, limit=200).sent
                elapsed = time.perf_counter() - started
            results["delivered"] = sent
            results["deliver_s"] = round(elapsed, 3)
            results["messages_per_s"] = round(sent / elapsed)
            with db.session() as session:
                tab = timed("analytics_tab", results, lambda: analytics_tab(session, team_id, NOW, period="day"))
                results["analytics_rows"] = len(tab.table)
                results["pending_left"] = session.scalar(
                    select(func.count()).select_from(Notification).where(Notification.status == "pending")
                )
                session.execute(delete(Team).where(Team.id == team_id))  # leave a given DATABASE_URL clean
            db.dispose()
    finally:
        server.stop()
    return results


def main() -> None:
    r = run()
    print(
        f"SLA sweep over {r['orders']} to-ship orders on {r['database']}: first {r['first_sweep_s']} s "
        f"({r['enqueued']} enqueued), repeat {r['repeat_sweep_s']} s ({r['repeat_enqueued']} enqueued); "
        f"delivery {r['delivered']} messages in {r['deliver_s']} s = {r['messages_per_s']}/s to the local fake; "
        f"analytics tab {r['analytics_tab_s']} s ({r['analytics_rows']} rows)"
    )


if __name__ == "__main__":
    main()
