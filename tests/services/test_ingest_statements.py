"""A sync's store step costs a fixed number of SQL statements per page, whatever the page's size.

What a seller notices as a first sync (or a big backfill) that keeps its pace: a query per order would
make a 100-order page take twice the round trips of a 50-order one. Counted, not timed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy import event, func, select

from backend import runtime
from backend.domain.status import OrderStatus
from backend.models import Order, OrderEvent, Shop, SyncRun, utcnow
from backend.platforms.base import OrderPageResult, PlatformOrder
from backend.services import shops, sync
from backend.services.ingest import prepare
from backend.services.shops import Platform
from tests.conftest import Live


@contextmanager
def counted(live: Live) -> Iterator[list[str]]:
    """Every statement the app's engine sends (an executemany counts once, as one round of the driver)."""
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(live.db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(live.db.engine, "before_cursor_execute", record)


def page_of(orders: list[PlatformOrder]) -> OrderPageResult:
    return OrderPageResult(orders=tuple(orders), failures=(), next_page_token="", total_count=len(orders))


def store(live: Live, shop_id: int, report: sync.SyncReport, orders: list[PlatformOrder]) -> int:
    """Statements one page of `orders` costs through the sync's own per-page transaction."""
    with counted(live) as statements:
        sync._store_page(live.db, shop_id, report, page_of(orders), prepare(orders))
    return len(statements)


def shipped(orders: list[PlatformOrder]) -> list[PlatformOrder]:
    """The same orders a minute later, in transit: each one an update with a status change."""
    return [replace(o, status=OrderStatus.IN_TRANSIT, update_time=o.update_time + timedelta(minutes=1)) for o in orders]


def test_a_page_of_100_orders_costs_the_statements_of_a_page_of_50(live: Live) -> None:
    [shop_id] = live.connect_shop(orders=150)
    with live.app.app_context():
        platform = Platform(runtime.config(), runtime.secret_box())
    with live.db.session() as session:
        shop = session.get(Shop, shop_id)
        assert shop is not None
        run = SyncRun(shop_id=shop_id, kind="full", window_from=sync.EPOCH, window_to=utcnow())
        session.add(run)
        session.flush()
        report = sync.SyncReport(shop_id=shop_id, run_id=run.id)
    with shops.client_for(live.db, platform, shop) as client:
        fetched = [o for page in client.iter_order_pages(updated_from=sync.EPOCH) for o in page.orders]
    assert len(fetched) == 150
    few, many = fetched[:50], fetched[50:]

    new = store(live, shop_id, report, few), store(live, shop_id, report, many)
    again = store(live, shop_id, report, few), store(live, shop_id, report, many)
    changed = store(live, shop_id, report, shipped(few)), store(live, shop_id, report, shipped(many))

    # ± 2: a page may or may not move the watermark or meet orders a webhook already brought
    for (small, large), most in (new, 16), (again, 10), (changed, 16):
        assert abs(small - large) <= 2 and max(small, large) <= most
    # and the store step did its work: every order once, each in transit once (from its first status or a change)
    assert (report.result.new, report.result.unchanged, report.result.updated) == (150, 150, 150)
    with live.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Order).where(Order.shop_id == shop_id)) == 150
        moves = select(func.count()).select_from(OrderEvent).where(OrderEvent.to_status == OrderStatus.IN_TRANSIT)
        assert session.scalar(moves) == 150


def test_small_platform_pages_are_stored_a_hundred_orders_a_transaction_and_resume_where_the_last_one_ends(
    live: Live,
) -> None:
    """Shopee's spans come ~20 orders a page; each page's statements and commit cost the same whatever its
    size, so the sync joins consecutive small pages. The watermark still moves only past what is stored."""
    [shop_id] = live.connect_shop(orders=250)
    with live.app.app_context():
        platform = Platform(runtime.config(), runtime.secret_box())
    with live.db.session() as session:
        shop = session.get_one(Shop, shop_id)
    with shops.client_for(live.db, platform, shop) as client:
        fetched = sorted((o for p in client.iter_order_pages(updated_from=sync.EPOCH) for o in p.orders),
                         key=lambda o: o.update_time)  # fmt: skip
    spans = [fetched[start : start + 20] for start in range(0, 250, 20)]  # 13 pages, the last of 10
    ends = [span[-1].update_time + timedelta(seconds=1) for span in spans]
    pages = [replace(page_of(span), resume_from=end) for span, end in zip(spans, ends, strict=True)]
    pages.append(page_of([]))  # a last window with nothing in it says nothing of where to resume

    stored = list(sync.ahead(iter(pages), live.db.engine.dialect))

    assert [len(page.orders) for page, _ in stored] == [100, 100, 50]
    assert [page.resume_from for page, _ in stored] == [ends[4], ends[9], ends[12]]
    assert [len(prepared.batch) for _, prepared in stored] == [100, 100, 50]
    with live.db.session() as session:
        run = SyncRun(shop_id=shop_id, kind="full", window_from=sync.EPOCH, window_to=utcnow())
        session.add(run)
        session.flush()
        report = sync.SyncReport(shop_id=shop_id, run_id=run.id)
    for page, prepared in stored:
        sync._store_page(live.db, shop_id, report, page, prepared)
    with live.db.session() as session:
        assert session.get_one(Shop, shop_id).sync_watermark == ends[12]
        assert session.scalar(select(func.count()).select_from(Order).where(Order.shop_id == shop_id)) == 250
