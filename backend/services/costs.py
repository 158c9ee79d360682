"""SKU unit costs with effective dates: CSV import, single edits, and which orders a change touches.

A cost applies from its `effective_from` until the SKU's next entry, so a cost entered for a past
date changes exactly the orders dated inside that window; their sheets are marked for the next push.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.catalog import currencies
from backend.domain.phrases import Phrase, joined
from backend.domain.profit import line_components
from backend.errors import InvalidInput
from backend.models import Order, OrderLine, Shop, SkuCost, Team
from backend.services.ingest import mark_bindings_dirty
from backend.services.ledger import order_date

COLUMNS = ("seller_sku", "unit_cost", "currency", "effective_from")
COST_PLACES = 4  # what the Money column keeps


@dataclass(frozen=True)
class CostRow:
    seller_sku: str
    unit_cost: Decimal
    currency: str
    effective_from: date


@dataclass
class CostChanges:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    affected_order_ids: list[int] = field(default_factory=list)
    dirty_bindings: int = 0


def cost_row(seller_sku: str, unit_cost: str, currency: str, effective_from: str) -> CostRow:
    """Validate one cost as typed (a CSV row or a sheet cell); the message says what to type instead."""
    problems: list[str] = []
    sku = seller_sku.strip()
    if not sku or len(sku) > 128:
        problems.append("seller_sku is required (at most 128 characters)")
    try:
        cost = Decimal(unit_cost.strip())
    except ArithmeticError:
        cost = Decimal("NaN")
    if not cost.is_finite() or cost < 0 or -cost.as_tuple().exponent > COST_PLACES:  # type: ignore[operator]
        problems.append(
            Phrase("unit_cost {cost!r} must be a number ≥ 0 with at most {places} decimals", cost=unit_cost,
                   places=COST_PLACES)
        )  # fmt: skip
    code = currency.strip().upper()
    if code not in currencies():
        problems.append(
            Phrase("currency {currency!r} is not an ISO 4217 currency code: use one such as USD, GBP or CNY",
                   currency=currency)
        )  # fmt: skip
    try:
        day = date.fromisoformat(effective_from.strip())
    except ValueError:
        problems.append(Phrase("effective_from {day!r} must be a date as YYYY-MM-DD", day=effective_from))
        day = date.min
    if problems:
        raise InvalidInput(joined(problems))
    return CostRow(sku, cost, code, day)


def parse_costs_csv(text: str) -> list[CostRow]:
    """Every row of a cost CSV, or one error listing every bad line by its line number."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        raise InvalidInput(
            Phrase(
                "line 1: missing column(s) {missing}; expected {expected}",
                missing=", ".join(missing),
                expected=", ".join(COLUMNS),
            )
        )
    rows: list[CostRow] = []
    problems: list[str] = []
    seen: dict[tuple[str, date], int] = {}
    for record in reader:
        number = reader.line_num
        try:
            row = cost_row(*(record.get(c) or "" for c in COLUMNS))
        except InvalidInput as exc:
            problems.append(Phrase("line {number}: {problem}", number=number, problem=exc.message))
            continue
        key = (row.seller_sku, row.effective_from)
        if key in seen:
            problems.append(
                Phrase(
                    "line {number}: {sku} from {day} repeats line {first}",
                    number=number,
                    sku=row.seller_sku,
                    day=row.effective_from,
                    first=seen[key],
                )
            )
        seen[key] = number
        rows.append(row)
    if problems:
        raise InvalidInput(Phrase("no costs imported: {problems}", problems=joined(problems)), lines=problems)
    return rows


def import_costs(session: Session, team: Team, text: str, *, actor: str) -> CostChanges:
    """Import a cost CSV all or nothing (caller commits)."""
    return upsert_costs(session, team, parse_costs_csv(text), actor=actor)


def upsert_costs(session: Session, team: Team, rows: Sequence[CostRow], *, actor: str) -> CostChanges:
    """Create or change costs keyed on (SKU, effective_from); marks the affected orders' sheets dirty."""
    changes = CostChanges()
    skus = {r.seller_sku for r in rows}
    stored = {
        (c.seller_sku, c.effective_from): c
        for c in session.scalars(select(SkuCost).where(SkuCost.team_id == team.id, SkuCost.seller_sku.in_(skus)))
    }
    changed: list[CostRow] = []
    for row in rows:
        cost = stored.get((row.seller_sku, row.effective_from))
        if cost is None:
            cost = SkuCost(team_id=team.id, seller_sku=row.seller_sku, effective_from=row.effective_from)
            session.add(cost)
            stored[(row.seller_sku, row.effective_from)] = cost
            changes.created += 1
        elif (cost.unit_cost, cost.currency) == (row.unit_cost, row.currency):
            changes.unchanged += 1
            continue
        else:
            changes.updated += 1
        cost.unit_cost, cost.currency, cost.entered_by = row.unit_cost, row.currency, actor
        changed.append(row)
    session.flush()
    windows = cost_windows(changed, stored)
    affected = affected_orders(session, team.id, windows)
    changes.affected_order_ids = sorted(affected)
    for shop_id in sorted(set(affected.values())):
        orders = [order_id for order_id, shop in affected.items() if shop == shop_id]
        changes.dirty_bindings += mark_bindings_dirty(session, team.id, shop_id, orders)
    return changes


def cost_windows(
    changed: Iterable[CostRow], entries: Iterable[tuple[str, date]]
) -> dict[str, list[tuple[date, date | None]]]:
    """SKU → [from, until) date ranges a change governs: up to the SKU's next entry, or open-ended."""
    starts: dict[str, list[date]] = {}
    for sku, day in entries:
        starts.setdefault(sku, []).append(day)
    windows: dict[str, list[tuple[date, date | None]]] = {}
    for row in changed:
        later = [d for d in starts.get(row.seller_sku, ()) if d > row.effective_from]
        windows.setdefault(row.seller_sku, []).append((row.effective_from, min(later, default=None)))
    return windows


def affected_orders(
    session: Session, team_id: int, windows: dict[str, list[tuple[date, date | None]]]
) -> dict[int, int]:
    """Order id → shop id of the team's orders that use one of the SKUs (bundles included) on a date in its window."""
    if not windows:
        return {}
    earliest = min(start for spans in windows.values() for start, _ in spans) - timedelta(days=1)
    rows = session.execute(
        select(
            Order.id,
            Order.shop_id,
            Order.platform_create_time,
            Shop.time_zone,
            OrderLine.seller_sku,
            OrderLine.sku_id,
            OrderLine.combined_listing_skus,
        )
        .join(Shop, Order.shop_id == Shop.id)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(Shop.team_id == team_id, Order.platform_create_time >= datetime.combine(earliest, time(), UTC))
    )
    found: dict[int, int] = {}
    for order_id, shop_id, created, zone, seller_sku, sku_id, combined in rows:
        day = order_date(created, zone)
        for part in line_components(seller_sku, sku_id, combined):
            if any(
                start <= day and (until is None or day < until) for start, until in windows.get(part.seller_sku, ())
            ):
                found[order_id] = shop_id
    return found
