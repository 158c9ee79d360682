"""Importing a seller centre's order export through the same idempotent ingest the API sync uses.

The shop's platform picks the reader (TikTok's Seller Center CSV, Shopee's Seller Centre .xlsx).

An export is a snapshot someone downloaded at some point, so it must never undo what the API
delivered later: an order the API stored at or after the export's own latest milestone is skipped.
When the export is newer than the API's copy (sync was down, say), it updates what the export knows
— status, milestones, money, tracking — and keeps what only the API knows: the per-unit line item
ids, product ids, SLA deadlines and the API payload.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from backend.db import Database
from backend.errors import NotFound
from backend.models import FailedItem, Order, OrderLine, Package, Shop, SyncRun, utcnow
from backend.platforms import registry
from backend.platforms.base import PlatformLineItem, PlatformOrder, PlatformRecipient, PlatformSla, packages_from_lines
from backend.platforms.exports import RAW_KEY, ParsedExport, RowError
from backend.services import leases
from backend.services.ingest import IngestResult, column_lengths, ingest_orders, mark_bindings_dirty
from backend.services.sync import shop_lease

BATCH_SIZE = 500
LEASE_TTL = timedelta(minutes=5)
SLA_FIELDS = tuple(PlatformSla.__dataclass_fields__)
# Where an export's text is kept, "table.column" → the most characters it holds: each platform's reader
# fails a row with a longer cell (named by line) and imports the rest (exports.check_lengths).
KEPT_LENGTHS = {
    f"{model.__tablename__}.{column}": length
    for model in (Order, OrderLine, Package)
    for column, length in column_lengths(model).items()
}


@dataclass
class ImportReport:
    shop_id: int
    run_id: int
    data_rows: int
    result: IngestResult = field(default_factory=IngestResult)
    api_newer: int = 0
    bad_rows: list[RowError] = field(default_factory=list)

    def summary(self) -> str:
        r = self.result
        text = (
            f"new {r.new}, updated {r.updated}, unchanged {r.unchanged}, "
            f"skipped (API newer) {self.api_newer}, bad rows {len(self.bad_rows)}"
        )
        # An order a newer export already stored: rare enough to mention only when it happens.
        return text + (f", skipped (newer export already imported) {r.stale}" if r.stale else "")


def import_orders(db: Database, shop_id: int, path_or_stream: str | Path | IO[str] | IO[bytes]) -> ImportReport:
    """Import one export into one shop; raises ExportUnreadable if the file cannot be read at all."""
    with db.session() as session:
        shop = session.get(Shop, shop_id)
        if shop is None:
            raise NotFound(f"no shop with id {shop_id}")
        time_zone, currency, channel = shop.time_zone, shop.currency, registry.channel(shop.platform)
    parsed = channel.parse_export(path_or_stream, time_zone=time_zone, currency=currency, max_lengths=KEPT_LENGTHS)
    # The shop's sync lease: no sync can store an order between our freshness check and our write.
    with leases.held(db, shop_lease(shop_id), leases.new_holder(), LEASE_TTL) as lease:
        report = _start(db, shop_id, parsed)
        for start in range(0, len(parsed.orders), BATCH_SIZE):
            _store_batch(db, report, parsed.orders[start : start + BATCH_SIZE])
            lease.renew()
    with db.session() as session:
        run = session.get(SyncRun, report.run_id)
        assert run is not None
        run.status, run.finished_at = "ok", utcnow()
    return report


def _start(db: Database, shop_id: int, parsed: ParsedExport) -> ImportReport:
    """Open the run and record every bad row against it, before any order is written."""
    with db.session() as session:
        run = SyncRun(shop_id=shop_id, kind="csv", failed_count=len(parsed.errors))
        session.add(run)
        session.flush()
        for error in parsed.errors:
            session.add(
                FailedItem(
                    shop_id=shop_id,
                    sync_run_id=run.id,
                    external_id=error.order_id or None,
                    source="csv",
                    reason=f"line {error.line}: {error.message}",
                    payload={"line": error.line, "row": dict(error.cells)},
                )
            )
    return ImportReport(shop_id=shop_id, run_id=run.id, data_rows=parsed.data_rows, bad_rows=list(parsed.errors))


def _store_batch(db: Database, report: ImportReport, orders: Sequence[PlatformOrder]) -> None:
    """One batch, one transaction: freshness check against the API, ingest, dirty bindings, counters."""
    with db.session() as session:
        shop = session.get(Shop, report.shop_id)
        assert shop is not None
        ready, api_newer = _against_api(session, shop.id, orders)
        result = ingest_orders(session, shop, ready, source="csv", actor="csv")
        if result.changed:
            mark_bindings_dirty(session, shop.team_id, shop.id, result.changed)
        run = session.get(SyncRun, report.run_id)
        assert run is not None
        run.new_count += result.new
        run.updated_count += result.updated
        run.unchanged_count += result.unchanged + result.stale + api_newer
    report.result.add(result)
    report.api_newer += api_newer


def _against_api(session: Session, shop_id: int, orders: Sequence[PlatformOrder]) -> tuple[list[PlatformOrder], int]:
    """Drop export orders the API delivered at or after the export's time; merge the rest into API orders."""
    stored = {
        o.external_id: o
        for o in session.scalars(
            select(Order)
            .where(Order.shop_id == shop_id, Order.external_id.in_([o.order_id for o in orders]), Order.source == "api")
            .options(selectinload(Order.lines))
        )
    }
    ready: list[PlatformOrder] = []
    skipped = 0
    for incoming in orders:
        order = stored.get(incoming.order_id)
        if order is None:
            ready.append(incoming)
        elif order.platform_update_time > incoming.update_time or (
            # Same second: only this very export (already merged) may pass, to count as unchanged.
            order.platform_update_time == incoming.update_time and order.raw.get(RAW_KEY) != incoming.raw[RAW_KEY]
        ):
            skipped += 1
        else:
            ready.append(_onto_api_order(incoming, order))
    return ready, skipped


def _onto_api_order(incoming: PlatformOrder, order: Order) -> PlatformOrder:
    """The export's news on top of what only the API knows, so ingest keeps the API's lines and deadlines."""
    api_raw = {k: v for k, v in order.raw.items() if k != RAW_KEY}
    items = _api_line_ids(incoming.line_items, order.lines)
    return replace(
        incoming,
        sla=PlatformSla(**{name: getattr(order, name.removesuffix("_time") + "_at") for name in SLA_FIELDS}),
        paid_time=incoming.paid_time or order.paid_at,
        rts_time=incoming.rts_time or order.rts_at,
        collection_time=incoming.collection_time or order.collection_at,
        delivery_time=incoming.delivery_time or order.delivery_at,
        buyer_user_id=order.buyer_user_id or "",
        shipping_type=order.shipping_type or "",
        warehouse_id=order.warehouse_id or "",
        fulfillment_type=incoming.fulfillment_type or order.fulfillment_type or "",
        delivery_option_name=incoming.delivery_option_name or order.delivery_option_name or "",
        line_items=items,
        packages=tuple(
            replace(p, shipping_provider_id=p.shipping_provider_id or order.shipping_provider_id)
            for p in packages_from_lines(items)
        ),
        recipient=incoming.recipient or _stored_recipient(order),
        raw={**api_raw, RAW_KEY: incoming.raw[RAW_KEY]},
    )


def _api_line_ids(items: Sequence[PlatformLineItem], lines: Sequence[OrderLine]) -> tuple[PlatformLineItem, ...]:
    """Give each export unit the id of the API's unit of the same SKU, in order; extra units keep theirs."""
    pools: dict[str, list[OrderLine]] = {}
    for line in lines:
        pools.setdefault(line.sku_id, []).append(line)
        if line.seller_sku:
            pools.setdefault(f"seller:{line.seller_sku}", []).append(line)
    taken: set[int] = set()
    result = []
    for item in items:
        pool = pools.get(item.sku_id) if item.sku_id else pools.get(f"seller:{item.seller_sku}")
        match = next((candidate for candidate in pool or () if candidate.id not in taken), None)
        if match is None:
            result.append(item)
            continue
        taken.add(match.id)
        result.append(
            replace(
                item,
                line_id=match.external_id,
                sku_id=match.sku_id,
                product_id=match.product_id or "",
                is_gift=match.is_gift,
                package_id=item.package_id or match.package_external_id,
            )
        )
    return tuple(result)


def _stored_recipient(order: Order) -> PlatformRecipient | None:
    if not (order.recipient_name or order.recipient_phone or order.recipient_address):
        return None
    return PlatformRecipient(
        name=order.recipient_name or "",
        first_name="",
        last_name="",
        phone_number=order.recipient_phone or "",
        full_address=order.recipient_address or "",
        address_lines=(),
        postal_code=order.recipient_postal_code or "",
        region_code=order.recipient_region_code or "",
        city="",
        state="",
    )
