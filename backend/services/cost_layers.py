"""FIFO costing for the ledger: a team's cost layers (opening stock, arrived purchases) and the units its orders
draw, replayed by backend/domain/layers.py.

Only SKUs with an opening stock row are costed this way, from the day after their go-live (`as_of`): units
shipped until then keep the typed unit cost of their order date, as do SKUs never bought through OrderDeck.
A unit ships when its package (else the order) was handed over; a line cancelled after it shipped came back
(it rejoins as a layer when the order was cancelled), and so did the units of a return-and-refund case the
platform granted, which it does once the seller accepted the returned parcel (they rejoin when the case was
granted). A refund-only case leaves the goods with the buyer: nothing comes back. An opening stock nobody
counted is taken to be what ships before the SKU's first purchase arrives.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session, selectinload

from backend.domain.after_sales import case_lines
from backend.domain.layers import Costed, Draw, FifoBook, Layer, Pool, Portion, replay
from backend.domain.profit import CANCELLED_STATUS, UNPAID_STATUS, CostBook, line_components
from backend.domain.purchasing import ON_THE_WAY, LineStatus, line_status
from backend.domain.status import CaseStatus, CaseType
from backend.domain.stock import PICKABLE_STATUSES, UNSHIPPED_LINE_STATUSES, pool_of
from backend.models import (
    AfterSaleCase,
    Consolidation,
    OpeningStock,
    Order,
    OrderLine,
    Package,
    PurchaseLine,
    PurchaseOrder,
    Shop,
    Team,
    order_packages,
)
from backend.services.analytics import team_zone

# What FIFO reads of an order and of each of its lines.
ORDER_FACTS = (
    Order.id, Order.updated_at, Order.status, Order.is_on_hold, Order.warehouse_id, Order.paid_at,
    Order.platform_create_time, Order.platform_update_time, Order.rts_at, Order.collection_at, Order.delivery_at,
    Order.cancel_at,
)  # fmt: skip
LINE_FACTS = (
    OrderLine.order_id, OrderLine.seller_sku, OrderLine.sku_id, OrderLine.combined_listing_skus,
    OrderLine.display_status, OrderLine.tracking_number, OrderLine.package_external_id,
)  # fmt: skip
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
        self.returned: dict[int, Counter[str]] = defaultdict(Counter)  # order → SKU → units back on the shelf

    def start(self, day: date) -> datetime:
        return datetime.combine(day, time(), self.zone).astimezone(UTC)

    def book(self) -> FifoBook:
        purchases, upcoming = self._purchases()
        # A purchase naming no receiving warehouse feeds the SKU's one shelf: it adds none of its own.
        shelves = sorted(set(self.go_live) | {layer.pool for layer in purchases if layer.pool[1]})
        by_sku: dict[str, list[str]] = defaultdict(list)
        for sku, warehouse in shelves:
            by_sku[sku].append(warehouse)
        known = dict.fromkeys(shelves)
        purchases = [_in_pool(layer, known, by_sku) for layer in purchases]
        upcoming = [_in_pool(layer, known, by_sku) for layer in upcoming]
        draws = self._draws(known, by_sku)
        # Openings first: a purchase arriving the day after go-live queues behind the opening stock.
        layers = self._openings(draws, purchases) + purchases
        portions = _replayed(
            (_database(self.session), self.team.id), layers, draws, sorted(upcoming, key=lambda layer: layer.at)
        )
        taken: dict[int, dict[str, list[Portion]]] = defaultdict(lambda: defaultdict(list))
        for draw, found in zip(draws, portions, strict=True):
            if draw.returned_at is None:
                taken[draw.order_id][draw.pool[0]].extend(found)
        for order_id in self.returned:
            taken.setdefault(order_id, defaultdict(list))
        arrivals: dict[str, set[date]] = defaultdict(set)
        for layer in layers:
            arrivals[layer.pool[0]].add(layer.at.astimezone(self.zone).date())
        return FifoBook(
            {
                order: Costed({sku: tuple(p) for sku, p in skus.items()}, dict(self.returned.get(order, {})))
                for order, skus in taken.items()
            },
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
        orders = self._order_facts()
        units: dict[tuple[int, Pool, datetime | None, datetime | None], int] = defaultdict(int)
        starts: dict[Pool, datetime] = {}  # when FIFO starts on each shelf: the day after its go-live
        for facts in orders.values():
            order = facts.order
            for line in facts.lines:
                package = facts.shipped_at.get(line.package_external_id or "")
                moment = _moments(order, line.display_status or "", bool(line.tracking_number), package)
                if moment is None:
                    continue
                at, back = moment
                for part in line_components(line.seller_sku, line.sku_id, line.combined_listing_skus):
                    if part.seller_sku not in self.first_day:
                        continue
                    shelf = pool_of(part.seller_sku, order.warehouse_id or "", known, by_sku)
                    pool = (part.seller_sku, order.warehouse_id or "" if shelf is None else shelf)
                    live = starts.get(pool)
                    if live is None:
                        day = self.go_live.get(pool, self.first_day[part.seller_sku]) + timedelta(days=1)
                        live = starts[pool] = self.start(day)
                    if at is None or at >= live:
                        units[(order.id, pool, at, back)] += part.count
        ranks = {o.order.id: (o.order.paid_at or o.order.platform_create_time, o.order.id) for o in orders.values()}
        self._give_back(units)
        return [Draw(order, pool, n, at, ranks[order], back) for (order, pool, at, back), n in units.items()]

    def _order_facts(self) -> dict[int, _OrderFacts]:
        """What FIFO reads of every order it costs, as plain columns (building thousands of ORM orders was most
        of a ledger calculation). Kept between calculations: only orders whose row changed since (a sync of a
        changed order always writes it) are read again, with their lines and packages."""
        shops = select(Shop.id).where(Shop.team_id == self.team.id)
        since = self.start(min(self.first_day.values()))
        in_scope = (
            Order.shop_id.in_(shops),
            (Order.platform_update_time >= since) | Order.status.in_(PICKABLE_STATUSES),
            Order.status != UNPAID_STATUS,
        )
        key = (_database(self.session), self.team.id)
        kept = _FACTS.get(key, {})
        stamps = {i: at for i, at in self.session.execute(select(Order.id, Order.updated_at).where(*in_scope))}
        facts = {i: kept[i] for i, stamp in stamps.items() if i in kept and kept[i].stamp == stamp}
        stale = [i for i in stamps if i not in facts]
        for start in range(0, len(stale), CHUNK):
            chunk = stale[start : start + CHUNK]
            lines: dict[int, list[Any]] = defaultdict(list)
            for line in self.session.execute(select(*LINE_FACTS).where(OrderLine.order_id.in_(chunk))):
                lines[line.order_id].append(line)
            shipped: dict[int, dict[str, datetime]] = defaultdict(dict)
            for order_id, external_id, at in self.session.execute(
                select(order_packages.c.order_id, Package.external_id, Package.shipped_at)
                .join(Package, Package.id == order_packages.c.package_id)
                .where(order_packages.c.order_id.in_(chunk), Package.shipped_at.is_not(None))
            ):
                shipped[order_id][external_id] = at
            for order in self.session.execute(select(*ORDER_FACTS).where(Order.id.in_(chunk))):
                facts[order.id] = _OrderFacts(order.updated_at, order, tuple(lines[order.id]), shipped[order.id])
        _FACTS[key] = facts
        return facts

    def _give_back(self, units: dict[tuple[int, Pool, datetime | None, datetime | None], int]) -> None:
        """Moves the units returned through an after-sales case, earliest shipped first, from the draw that
        shipped them to a returned one (never more than the order shipped before the return)."""
        returns = self._returns()
        of_order = {order_id for order_id, *_ in returns}
        shipped: dict[tuple[int, str], list[tuple[int, Pool, datetime | None, datetime | None]]] = defaultdict(list)
        for key in units:
            if key[0] in of_order and key[2] is not None and key[3] is None:
                shipped[(key[0], key[1][0])].append(key)
        for order_id, sku, count, back in returns:
            for key in sorted(shipped[(order_id, sku)], key=lambda k: k[2] or NEVER):
                moved = min(count, units[key]) if (key[2] or NEVER) <= back else 0
                if moved:
                    units[key] -= moved
                    units[(order_id, key[1], key[2], back)] += moved
                    self.returned[order_id][sku] += moved
                    count -= moved  # noqa: PLW2901 (what is left of this return to place)
        for key in [k for k, n in units.items() if not n]:
            del units[key]

    def _returns(self) -> list[tuple[int, str, int, datetime]]:
        """(order, SKU, units, when) of each granted return-and-refund case: the parcel came back to stock."""
        granted = [CaseStatus.APPROVED, CaseStatus.COMPLETED]
        cases = self.session.scalars(
            select(AfterSaleCase)
            .join(Shop, Shop.id == AfterSaleCase.shop_id)
            .where(
                Shop.team_id == self.team.id,
                AfterSaleCase.order_id.is_not(None),
                AfterSaleCase.type == CaseType.RETURN_AND_REFUND,
                AfterSaleCase.status.in_(granted),
            )
            .options(selectinload(AfterSaleCase.events))
        )
        found = []
        for case in cases:
            back = min(
                (e.occurred_at for e in case.events if e.to_status in granted), default=case.platform_update_time
            )
            for line in case_lines(case.items):
                if line.seller_sku in self.first_day and case.order_id is not None:
                    found.append((case.order_id, line.seller_sku, line.quantity, back))
        return found

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


@dataclass(frozen=True)
class _OrderFacts:
    stamp: datetime  # the order row's updated_at when read
    order: Any  # a row of ORDER_FACTS
    lines: tuple[Any, ...]  # rows of LINE_FACTS
    shipped_at: Mapping[str, datetime]  # package external id → when it shipped


CHUNK = 900  # ids per IN (…): under SQLite's bound-parameter limit
# Per (database, team): the orders' facts as last read, and each pool's last replay with what it replayed.
_FACTS: dict[tuple[str, int], dict[int, _OrderFacts]] = {}


def forget_kept() -> None:
    """Drop what FIFO keeps between calculations, as a new process starts (bench/bench_fifo.py)."""
    _FACTS.clear()
    _REPLAYED.clear()


def _database(session: Session) -> str:
    return session.get_bind().engine.url.render_as_string()


# Per (database, team): each pool's last replay and the layers and draws it was replayed from.
_Inputs = tuple[tuple[Layer, ...], tuple[Draw, ...], tuple[Layer, ...]]
_REPLAYED: dict[tuple[str, int], dict[Pool, tuple[_Inputs, tuple[tuple[Portion, ...], ...]]]] = {}


def _replayed(
    key: tuple[str, int], layers: Sequence[Layer], draws: Sequence[Draw], upcoming: Sequence[Layer]
) -> list[tuple[Portion, ...]]:
    """`replay` pool by pool (pools never share a unit), reusing the last result of every pool whose layers,
    draws and arrivals are the same as then: a change replays only the pools it touched."""
    parts: dict[Pool, tuple[list[Layer], list[int], list[Layer]]] = defaultdict(lambda: ([], [], []))
    for layer in layers:
        parts[layer.pool][0].append(layer)
    for index, draw in enumerate(draws):
        parts[draw.pool][1].append(index)
    for layer in upcoming:
        parts[layer.pool][2].append(layer)
    before = _REPLAYED.get(key, {})
    now: dict[Pool, tuple[_Inputs, tuple[tuple[Portion, ...], ...]]] = {}
    portions: list[tuple[Portion, ...]] = [()] * len(draws)
    for pool, (in_pool, indexes, coming) in parts.items():
        inputs = (tuple(in_pool), tuple(draws[i] for i in indexes), tuple(coming))
        kept = before.get(pool)
        found = kept[1] if kept is not None and kept[0] == inputs else tuple(replay(*inputs))
        now[pool] = (inputs, found)
        for index, drawn in zip(indexes, found, strict=True):
            portions[index] = drawn
    _REPLAYED[key] = now
    return portions


def _moments(
    order: Any, line_status_now: str, tracked: bool, package_shipped: datetime | None
) -> tuple[datetime | None, datetime | None] | None:
    """When a unit left (None: not yet, it waits to ship) and when it came back; None: it takes no stock.
    `order` is a row of ORDER_FACTS."""
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
