"""FIFO cost layers: which purchase each shipped unit of a SKU came from, and so what it cost.

Per pool (a seller SKU in a receiving warehouse) the events are replayed in time order:

- a layer (the opening stock at go-live, a purchase line on arrival, units returned) joins the queue;
- a shipped unit takes the oldest layer's cost; one shipped with no layer left (oversold) waits, its cost
  pending, and takes the next layer to arrive;
- a returned unit (a line cancelled after it shipped, or a return the seller accepted) goes back as a new
  layer, dated its return, at the cost it left with, so the next unit shipped after it may take that cost;
- then the units not shipped yet are estimated from what is left, oldest order first, and past the last
  layer from the purchases on their way (earliest expected first); beyond those their cost is pending.

A layer's cost is read when costing, never stored with the draw, so freight typed after the goods sold
changes the cost of every unit drawn from that layer (README: the ledger is restated).
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from backend.domain.fx import RateBook, pair_label
from backend.domain.profit import NO_RATES, Cogs, Component, CostBook

Pool = tuple[str, str]  # (seller SKU, warehouse id; "" for any)
PENDING = "cost pending"


@dataclass(frozen=True)
class Layer:
    pool: Pool
    at: datetime
    quantity: int
    unit_cost: Decimal | None  # None: not known yet (why in `source`)
    currency: str
    source: str


@dataclass(frozen=True)
class Draw:
    """Units of one pool an order takes: shipped `at`, or (None) not yet, queued by `rank`."""

    order_id: int
    pool: Pool
    units: int
    at: datetime | None
    rank: tuple[datetime, int]
    returned_at: datetime | None = None


@dataclass(frozen=True)
class Portion:
    units: int
    unit_cost: Decimal | None  # None: cost pending (never zero)
    currency: str
    source: str
    estimated: bool = False


@dataclass
class _Open:
    layer: Layer
    left: int


@dataclass
class _Pool:
    queue: deque[_Open] = field(default_factory=deque)
    waiting: deque[tuple[int, int]] = field(default_factory=deque)  # (draw index, units) shipped, no layer yet


def replay(layers: Iterable[Layer], draws: Sequence[Draw], upcoming: Iterable[Layer] = ()) -> list[tuple[Portion, ...]]:
    """Each draw's portions, aligned with `draws`; `upcoming` are purchases on their way (estimates only)."""
    events: list[tuple[datetime, int, int, Layer | Draw]] = [(layer.at, 0, i, layer) for i, layer in enumerate(layers)]
    for i, draw in enumerate(draws):
        if draw.at is not None:
            events.append((draw.at, 1, i, draw))
            if draw.returned_at is not None:
                events.append((draw.returned_at, 2, i, draw))
    pools: dict[Pool, _Pool] = defaultdict(_Pool)
    portions: list[list[Portion]] = [[] for _ in draws]
    for _at, kind, index, event in sorted(events, key=lambda e: e[:3]):
        if isinstance(event, Layer):
            _arrive(pools[event.pool], event, portions)
        elif kind == 1:
            _take(pools[event.pool], index, event.units, portions)
        else:
            _give_back(pools[event.pool], index, event, portions)
    for pool in pools.values():
        for index, units in pool.waiting:
            portions[index].append(Portion(units, None, "", f"oversold: {PENDING}"))
    ahead: dict[Pool, deque[_Open]] = defaultdict(deque)
    for layer in upcoming:
        ahead[layer.pool].append(_Open(layer, layer.quantity))
    later = sorted((d.rank, i) for i, d in enumerate(draws) if d.at is None)
    for _rank, index in later:
        draw = draws[index]
        left = _estimate(pools[draw.pool].queue, draw.units, portions[index])
        left = _estimate(ahead[draw.pool], left, portions[index])
        if left:
            portions[index].append(
                Portion(left, None, "", f"nothing in stock or on its way: {PENDING}", estimated=True)
            )
    return [tuple(p) for p in portions]


def _arrive(pool: _Pool, layer: Layer, portions: list[list[Portion]]) -> None:
    """A layer first serves units shipped while the shelf was empty, then waits in the queue."""
    left = layer.quantity
    while left and pool.waiting:
        index, units = pool.waiting.popleft()
        take = min(units, left)
        portions[index].append(Portion(take, layer.unit_cost, layer.currency, f"{layer.source}, arrived after"))
        left -= take
        if units > take:
            pool.waiting.appendleft((index, units - take))
    if left:
        pool.queue.append(_Open(layer, left))


def _take(pool: _Pool, index: int, units: int, portions: list[list[Portion]]) -> None:
    while units and pool.queue:
        head = pool.queue[0]
        take = min(units, head.left)
        portions[index].append(Portion(take, head.layer.unit_cost, head.layer.currency, head.layer.source))
        head.left -= take
        units -= take
        if not head.left:
            pool.queue.popleft()
    if units:
        pool.waiting.append((index, units))


def _give_back(pool: _Pool, index: int, draw: Draw, portions: list[list[Portion]]) -> None:
    """Returned units rejoin as a layer at the cost they left with; units still waiting simply stop waiting."""
    pool.waiting = deque((i, u) for i, u in pool.waiting if i != index)
    at = draw.returned_at or draw.rank[0]
    for portion in list(portions[index]):
        source = f"returned from order {draw.order_id} ({portion.source})"
        _arrive(pool, Layer(draw.pool, at, portion.units, portion.unit_cost, portion.currency, source), portions)


def _estimate(queue: deque[_Open], units: int, into: list[Portion]) -> int:
    while units and queue:
        head = queue[0]
        take = min(units, head.left)
        into.append(Portion(take, head.layer.unit_cost, head.layer.currency, head.layer.source, estimated=True))
        head.left -= take
        units -= take
        if not head.left:
            queue.popleft()
    return units


@dataclass(frozen=True)
class Costed:
    """What FIFO says about one order: per SKU the portions its (not returned) units took, and the units of its
    live lines that came back to stock (they cost the order nothing: the goods are on the shelf again)."""

    portions: Mapping[str, tuple[Portion, ...]]
    returned: Mapping[str, int] = field(default_factory=dict)

    @property
    def units(self) -> dict[str, int]:
        return {sku: sum(p.units for p in found) for sku, found in self.portions.items()}


@dataclass(frozen=True)
class FifoBook:
    """A team's FIFO costing: per order what its units drew, and per SKU the days layers arrived (a typed
    unit cost dated after the last arrival overrides landed cost until the next arrival or typed entry)."""

    orders: Mapping[int, Costed]
    arrivals: Mapping[str, tuple[date, ...]]
    currencies: frozenset[str] = frozenset()  # of the layers' costs (the ledger loads rates for them)

    def cogs(
        self,
        order_id: int,
        components: Iterable[Component],
        *,
        on: date,
        currency: str,
        typed: CostBook,
        rates: RateBook = NO_RATES,
        paid: date | None = None,
    ) -> Cogs:
        """The order's COGS: units FIFO drew at their layers' costs (or the typed cost overriding them), the
        rest by the typed unit cost of the order date; each converted at the rate of `paid`."""
        costed = self.orders.get(order_id, Costed({}))
        rest, drawn, back = [], dict(costed.units), dict(costed.returned)
        for part in components:
            count = part.count - min(part.count, back.get(part.seller_sku, 0))
            back[part.seller_sku] = back.get(part.seller_sku, 0) - (part.count - count)
            take = min(count, drawn.get(part.seller_sku, 0))
            drawn[part.seller_sku] = drawn.get(part.seller_sku, 0) - take
            if count > take:
                rest.append(Component(part.seller_sku, count - take))
        base = typed.cogs(rest, on, currency, rates, paid)
        total, missing, no_rate = base.amount, list(base.missing_skus), set(base.missing_rates)
        used = {c.pair: c for c in base.conversions}
        sources = [f"{part.seller_sku} {part.count}× typed cost" for part in rest if part.seller_sku not in missing]
        sources += [f"{sku} {units}× returned to stock" for sku, units in sorted(costed.returned.items())]
        for sku, drawn_from in sorted(costed.portions.items()):
            override = typed.unit_cost(sku, on)
            arrived = [d for d in self.arrivals.get(sku, ()) if d <= on]
            portions = drawn_from
            if override is not None and (not arrived or override.effective_from > max(arrived)):
                units = sum(p.units for p in drawn_from)
                portions = (Portion(units, override.unit_cost, override.currency, f"typed {override.effective_from}"),)
            for portion in portions:
                label = f"{sku} {portion.units}× {'est. ' if portion.estimated else ''}{portion.source}"
                sources.append(label)
                if portion.unit_cost is None:
                    missing.append(f"{sku} ({portion.source})")
                    continue
                conversion = rates.conversion(portion.currency, currency, paid or on)
                if conversion is None:
                    no_rate.add(pair_label(portion.currency, currency))
                    continue
                if conversion.base != conversion.quote:
                    used[conversion.pair] = conversion
                total += portion.unit_cost * portion.units * conversion.rate
        return Cogs(total, tuple(missing), tuple(sorted(no_rate)), tuple(used.values()), tuple(sources))
