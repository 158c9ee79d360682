"""One round of keeping a shop current: stored webhooks, the sync of orders and after-sales cases, what
arrived meanwhile, stock counts and the daily settlement walk. The scheduled task and
`flask --app backend sync` both run it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from backend.db import Database
from backend.errors import OrderDeckError
from backend.services import finance, leases, logistics, stock, sync, webhooks
from backend.services.after_sales import sync as after_sales
from backend.services.shops import Platform

SETTLE_EVERY = timedelta(hours=24)
ROUNDS = 20  # rounds of stored events one drain takes on before it hands the shop on


@dataclass
class RoundReport:
    events: int = 0
    sync: sync.SyncReport | None = None
    after_sales: after_sales.CaseSyncReport | None = None
    events_after: int = 0
    stock_skus: int = 0
    settlement: str = ""
    logistics: str = ""


def drain_events(
    db: Database,
    platform: Platform,
    shop_id: int,
    after_round: Callable[[], object] | None = None,
    hand_on: Callable[[], object] | None = None,
) -> int:
    """Process the shop's stored webhook events, again while new ones arrived during the last round.

    `after_round` runs after each round that stored a change (the task asks for the pushes there), so a
    stream of events that keeps the drain going does not keep the sheets waiting for its end. The shop's
    lease is taken per round: when another worker took it between rounds, that worker drains what is
    left and this drain ends with what it handled; only a first round that finds it taken raises LeaseHeld.
    A drain stops after ROUNDS rounds (a task must end); `hand_on` then runs if events are still pending,
    so the task asks for another drain instead of leaving them for the sweep (the other workers' tasks
    found the shop taken and ended, counting on this one).
    """
    handled = 0
    for done in range(ROUNDS):
        if not webhooks.has_pending(db, shop_id):
            break
        try:
            report = webhooks.process_pending(db, platform, shop_id)
        except leases.LeaseHeld:
            if not done:
                raise
            break
        handled += report.processed + report.ignored + report.failed
        if report.changed_orders and after_round is not None:
            after_round()
        if report.retry_later and not report.processed:
            break  # the platform is failing right now; the sweep retries later
    else:
        if hand_on is not None and webhooks.has_pending(db, shop_id):
            hand_on()
    if handled:
        after_sales.reasons_due(db, platform, shop_id)  # a case a webhook brought offers its reasons at once
    return handled


def settle_daily(db: Database, platform: Platform, shop_id: int) -> str:
    """Walk the shop's settlements once a day (TikTok's statements are generated daily at 00:00 UTC).

    The day's gate is a lease nobody releases on success: across every process and instance, the
    first round of a shop after it expires does the walk.
    """
    gate = f"settle:shop:{shop_id}"
    if not leases.try_acquire(db, gate, "daily-settlement", SETTLE_EVERY):
        return "not due"
    try:
        report = finance.settle(db, platform, shop_id)
    except OrderDeckError:
        leases.release(db, gate, "daily-settlement")  # try again on the next round
        raise
    return f"{report.statements} statements"


def run(
    db: Database,
    platform: Platform,
    shop_id: int,
    *,
    full: bool = False,
    events_only: bool = False,
    settle: bool = True,
    on_page: Callable[[sync.SyncProgress], None] | None = None,
    after_round: Callable[[], object] | None = None,
    hand_on: Callable[[], object] | None = None,
) -> RoundReport:
    """Raises LeaseHeld when another worker has the shop (its holder re-checks events after letting go).

    `settle=False` leaves the daily finance walk to the scheduler (the command line only syncs);
    `after_round` runs after each round of events that stored a change, `hand_on` when a drain stopped
    at its last round with events still pending (see drain_events).
    """
    report = RoundReport(events=drain_events(db, platform, shop_id, after_round, hand_on))
    if events_only:
        return report
    report.sync = sync.sync_shop(db, platform, shop_id, full=full, on_page=on_page)
    report.after_sales = after_sales.sync_cases(db, platform, shop_id, full=full)
    report.events_after = drain_events(db, platform, shop_id, after_round, hand_on)
    report.stock_skus = stock.refresh_inventory(db, platform, shop_id)
    report.logistics = logistics.refresh_if_due(db, platform, shop_id)
    report.settlement = settle_daily(db, platform, shop_id) if settle else "left to the scheduler"
    return report
