"""FIFO costing for the ledger: a team's cost layers (opening stock, arrived purchases) and the units its orders
draw, replayed by backend/domain/layers.py.

Only SKUs with an opening stock row are costed this way, from the day after their go-live (`as_of`): units
shipped until then keep the typed unit cost of their order date, as do SKUs never bought through OrderDeck.
A unit ships when its package (else the order) was handed over; a line cancelled after it shipped came back
(it rejoins as a layer when the order was cancelled). An opening stock nobody counted is taken to be what
ships before the SKU's first purchase arrives.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import event, select
from sqlalchemy.orm import Session, selectinload

from backend.domain.layers import Costed, Draw, FifoBook, Layer, Pool, Portion, replay
from backend.domain.profit import CANCELLED_STATUS, UNPAID_STATUS, CostBook, line_components
from backend.domain.purchasing import ON_THE_WAY, LineStatus, line_status
from backend.domain.stock import PICKABLE_STATUSES, UNSHIPPED_LINE_STATUSES, pool_of
from backend.models import Consolidation, OpeningStock, Order, PurchaseLine, PurchaseOrder, Shop, Team
from backend.services.analytics import team_zone

SHIPPED_ORDER_STATUSES = frozenset({"AWAITING_COLLECTION", "IN_TRANSIT", "DELIVERED", "COMPLETED"})
NEVER = datetime.max.replace(tzinfo=UTC)
CACHE = "orderdeck.fifo_books"


def fifo_books(session: Session, team_ids: Collection[int], typed: Mapping[int, CostBook]) -> dict[int, FifoBook]:
    """The FIFO book of each team that tracks purchases (has opening stock); others have none.

    A push costs the ledger tab and the reports batch by batch, so a book is kept for the session until it
    writes anything or its transaction ends (the query below flushes pending writes first, which clears it).
    """
    tracking = set(session.scalars(select(OpeningStock.team_id).where(OpeningStock.team_id.in_(team_ids)).distinct()))
    kept = _kept(session)
    for team_id in sorted(tracking - set(kept)):
        kept[team_id] = _Builder(session, session.get_one(Team, team_id), typed.get(team_id, CostBook(()))).book()
    return {t: kept[t] for t in tracking}


def _kept(session: Session) -> dict[int, FifoBook]:
    found: dict[int, FifoBook] | None = session.info.get(CACHE)
    if found is None:
        found = session.info[CACHE] = {}
        for name in ("after_flush", "after_transaction_end"):
            event.listen(session, name, _forget)
    return found


def _forget(session: Session, *_args: object) -> None:
    session.info.get(CACHE, {}).clear()


class _Builder:
    def __init__(self, session: Session, team: Team, typed: CostBook) -> None:
        self.session, self.team, self.typed = session, team, typed
        self.zone = team_zone(team)
        self.openings = list(session.scalars(select(OpeningStock).where(OpeningStock.team_id == team.id)))
        self.go_live: dict[Pool, date] = {(o.seller_sku, o.warehouse_id): o.as_of for o in self.openings}
        self.first_day = {sku: min(d for (s, _), d in self.go_live.items() if s == sku) for sku, _ in self.go_live}

    def start(self, day: date) -> datetime:
        return datetime.combine(day, time(), self.zone).astimezone(UTC)

    def book(self) -> FifoBook:
        purchases, upcoming = self._purchases()
        shelves = sorted(set(self.go_live) | {layer.pool for layer in purchases})
        by_sku: dict[str, list[str]] = defaultdict(list)
        for sku, warehouse in shelves:
            by_sku[sku].append(warehouse)
        known = dict.fromkeys(shelves)
        purchases = [_in_pool(layer, known, by_sku) for layer in purchases]
        upcoming = [_in_pool(layer, known, by_sku) for layer in upcoming]
        draws = self._draws(known, by_sku)
        # Openings first: a purchase arriving the day after go-live queues behind the opening stock.
        layers = self._openings(draws, purchases) + purchases
        portions = replay(layers, draws, sorted(upcoming, key=lambda layer: layer.at))
        taken: dict[int, dict[str, list[Portion]]] = defaultdict(lambda: defaultdict(list))
        for draw, found in zip(draws, portions, strict=True):
            if draw.returned_at is None:
                taken[draw.order_id][draw.pool[0]].extend(found)
        arrivals: dict[str, set[date]] = defaultdict(set)
        for layer in layers:
            arrivals[layer.pool[0]].add(layer.at.astimezone(self.zone).date())
        return FifoBook(
            {order: Costed({sku: tuple(p) for sku, p in skus.items()}) for order, skus in taken.items()},
            {sku: tuple(sorted(days)) for sku, days in arrivals.items()},
            frozenset(layer.currency for layer in [*layers, *upcoming] if layer.currency),
        )

    def _purchases(self) -> tuple[list[Layer], list[Layer]]:
        """Arrived purchase lines after their SKU's go-live (layers), and those still on their way."""
        rows = self.session.execute(
            select(PurchaseLine, PurchaseOrder, Consolidation)
            .join(PurchaseOrder, PurchaseOrder.id == PurchaseLine.order_id)
            .outerjoin(Consolidation, Consolidation.id == PurchaseLine.consolidation_id)
            .where(PurchaseLine.team_id == self.team.id, PurchaseLine.seller_sku.in_(self.first_day))
        )
        arrived, coming = [], []
        for line, order, shipment in rows:
            status = line_status(line.status, shipment.status if shipment else None)
            sku = line.seller_sku or ""
            warehouse = shipment.warehouse_id if shipment and shipment.warehouse_id else line.warehouse_id
            key = f"{order.platform}:{order.supplier_order_no}/{line.line_no}"
            source = key if line.landed_unit_cost is not None else f"{key}: {line.landed_problem}"
            units = line.quantity_received if line.quantity_received is not None else line.quantity_ordered
            layer = Layer((sku, warehouse), NEVER, units, line.landed_unit_cost, order.currency or "", source)
            day = shipment.arrived_on if shipment and status is LineStatus.ARRIVED else line.arrived_on
            if status is LineStatus.ARRIVED and day is not None and day > self.first_day[sku]:
                arrived.append(replace(layer, at=self.start(day)))
            elif status in ON_THE_WAY:
                due = (shipment.expected_on if shipment else None) or line.expected_on
                coming.append(replace(layer, at=self.start(due) if due else NEVER))
        return arrived, coming

    def _draws(self, known: Mapping[Pool, object], by_sku: Mapping[str, list[str]]) -> list[Draw]:
        """The units of every order shipped after its SKU's go-live, or waiting to ship, per pool."""
        shops = select(Shop.id).where(Shop.team_id == self.team.id)
        since = self.start(min(self.first_day.values()))
        query = (
            select(Order)
            .where(
                Order.shop_id.in_(shops), (Order.platform_update_time >= since) | Order.status.in_(PICKABLE_STATUSES)
            )
            .options(selectinload(Order.lines), selectinload(Order.packages))
        )
        units: dict[tuple[int, Pool, datetime | None, datetime | None], int] = defaultdict(int)
        ranks: dict[int, tuple[datetime, int]] = {}
        for order in self.session.scalars(query):
            if order.status == UNPAID_STATUS:
                continue
            ranks[order.id] = (order.paid_at or order.platform_create_time, order.id)
            shipped_at = {p.external_id: p.shipped_at for p in order.packages if p.shipped_at}
            for line in order.lines:
                moment = _moments(order, line.display_status or "", bool(line.tracking_number),
                                  shipped_at.get(line.package_external_id or ""))  # fmt: skip
                if moment is None:
                    continue
                at, back = moment
                for part in line_components(line.seller_sku, line.sku_id, line.combined_listing_skus):
                    if part.seller_sku not in self.first_day:
                        continue
                    shelf = pool_of(part.seller_sku, order.warehouse_id or "", known, by_sku)
                    pool = (part.seller_sku, order.warehouse_id or "" if shelf is None else shelf)
                    live = self.start(self.go_live.get(pool, self.first_day[part.seller_sku]) + timedelta(days=1))
                    if at is None or at >= live:
                        units[(order.id, pool, at, back)] += part.count
        return [Draw(order, pool, n, at, ranks[order], back) for (order, pool, at, back), n in units.items()]

    def _openings(self, draws: list[Draw], purchases: list[Layer]) -> list[Layer]:
        """The opening layers at the typed cost of the go-live day; one nobody counted covers what ships
        (or waits to ship, before any purchase arrived) until the pool's first purchase arrives."""
        layers = []
        for opening in self.openings:
            pool = (opening.seller_sku, opening.warehouse_id)
            quantity = opening.quantity
            if quantity is None:
                first = min((layer.at for layer in purchases if layer.pool == pool), default=NEVER)
                quantity = sum(d.units for d in draws if d.pool == pool and (d.at or NEVER) < first)
            cost = self.typed.unit_cost(opening.seller_sku, opening.as_of)
            source = f"opening stock {opening.as_of}" + ("" if cost else ": no unit cost typed for that day")
            layers.append(Layer(pool, self.start(opening.as_of + timedelta(days=1)), quantity,
                                cost.unit_cost if cost else None, cost.currency if cost else "", source))  # fmt: skip
        return layers


def _moments(
    order: Order, line_status_now: str, tracked: bool, package_shipped: datetime | None
) -> tuple[datetime | None, datetime | None] | None:
    """When a unit left (None: not yet, it waits to ship) and when it came back; None: it takes no stock."""
    left = package_shipped or order.rts_at or order.collection_at or order.delivery_at or order.platform_update_time
    if line_status_now == CANCELLED_STATUS:
        return (left, order.cancel_at or order.platform_update_time) if tracked or package_shipped else None
    if tracked or package_shipped or line_status_now not in UNSHIPPED_LINE_STATUSES:
        return left, None
    if order.status in SHIPPED_ORDER_STATUSES:
        return left, None
    if order.status in PICKABLE_STATUSES or order.is_on_hold:
        return None, None
    return None


def _in_pool(layer: Layer, known: Mapping[Pool, object], by_sku: Mapping[str, list[str]]) -> Layer:
    """The layer on the shelf its receiving warehouse feeds (as allocation finds shelves)."""
    sku, warehouse = layer.pool
    shelf = pool_of(sku, warehouse, known, by_sku)
    return replace(layer, pool=(sku, warehouse if shelf is None else shelf))
