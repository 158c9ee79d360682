"""The Shopee sandbox's world: markets, shops with items and models, orders moving on the clock, money.

Each order carries a plan (Shopee status transitions at instants); its status, update_time, packages
and escrow are read off the plan at the sandbox clock's "now", so moving the clock moves every order
through UNPAID → READY_TO_SHIP → PROCESSED → SHIPPED → TO_CONFIRM_RECEIVE → COMPLETED (or IN_CANCEL →
CANCELLED, or TO_RETURN) deterministically, as the v2.0 Data Definition guide lists them.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from backend.sandbox.plan import Planned
from backend.sandbox.tiktok.world import DAY, HOUR, Ids

DAYS_TO_SHIP = 3
# Channels: Shopee's own logistics (integrated: it arranges pickup and the tracking number) and one the
# seller ships with its own carrier ("non-integrated": the seller types the tracking number).
INTEGRATED = "integrated"
NON_INTEGRATED = "non_integrated"
HANDED_OVER = frozenset({"PROCESSED", "SHIPPED", "TO_CONFIRM_RECEIVE", "TO_RETURN", "COMPLETED"})
MESSAGES = ("", "", "", "Please pack carefully, it's a gift", "Tolong kirim cepat ya", '=HYPERLINK("http://x")')


@dataclass(frozen=True)
class Market:
    region: str
    currency: str
    decimals: int
    price_range: tuple[int, int]
    shipping_fee: Decimal
    channels: tuple[tuple[str, str], ...]  # (name, kind)
    city: tuple[str, str]


MARKETS = {
    "MY": Market("MY", "MYR", 2, (15, 120), Decimal("4.90"),
                 (("Shopee Xpress", INTEGRATED), ("J&T Express", INTEGRATED), ("Seller Own Fleet", NON_INTEGRATED)),
                 ("Kuala Lumpur", "Wilayah Persekutuan")),
    "SG": Market("SG", "SGD", 2, (5, 60), Decimal("1.99"),
                 (("Shopee Xpress", INTEGRATED), ("Ninja Van", NON_INTEGRATED)), ("Singapore", "Singapore")),
    "PH": Market("PH", "PHP", 2, (199, 1999), Decimal("45.00"),
                 (("SPX Express", INTEGRATED), ("Seller Own Fleet", NON_INTEGRATED)), ("Quezon City", "Metro Manila")),
    "ID": Market("ID", "IDR", 0, (25_000, 350_000), Decimal(9000),
                 (("SPX Standard", INTEGRATED), ("Kurir Toko", NON_INTEGRATED)), ("Jakarta Selatan", "DKI Jakarta")),
}  # fmt: skip


def money(value: Decimal, market: Market) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-market.decimals), rounding=ROUND_HALF_UP)


@dataclass
class Model:
    item_id: int
    model_id: int
    item_name: str
    model_name: str
    item_sku: str
    model_sku: str
    price: Decimal


@dataclass
class Line:
    model: Model
    quantity: int
    discounted: Decimal  # per unit, after the seller's discount


@dataclass
class Package:
    package_number: str
    lines: list[Line]
    handed_over: int | None = None  # when it left the seller (PROCESSED), planned or actual
    tracking_number: str = ""


@dataclass
class Order(Planned):
    order_sn: str
    shop_id: int
    create_time: int
    plan: list[tuple[int, str]]
    lines: list[Line]
    packages: list[Package]
    channel: tuple[str, str]
    buyer_user_id: int
    buyer_username: str
    message: str
    shipping_fee: Decimal
    cancel: tuple[str, str] | None = None  # (by, reason)
    refund: Decimal = Decimal(0)  # given back after a return
    program_fee: bool = False  # a fee the escrow formula's "…" covers (fbs_fee)
    touched: int = 0
    note: str = ""


@dataclass
class Return:
    return_sn: str
    order_sn: str
    create_time: int
    plan: list[tuple[int, str]]  # REQUESTED → ACCEPTED → CLOSED
    reason: str
    refund: Decimal

    def status_at(self, now: int) -> str:
        return next((status for when, status in reversed(self.plan) if when <= now), "REQUESTED")

    def update_time(self, now: int) -> int:
        return max(when for when, _ in self.plan if when <= now)

    def due_date(self) -> int:
        """When Shopee accepts the request for a seller who did not answer (its first planned step)."""
        return next(when for when, status in self.plan if status != "REQUESTED")


@dataclass
class Shop:
    shop_id: int
    name: str
    market: Market
    models: list[Model]
    orders: dict[str, Order] = field(default_factory=dict)
    returns: dict[str, Return] = field(default_factory=dict)
    on_hand: dict[int, int] = field(default_factory=dict)  # model id → units on the shelf
    is_cb: bool = True

    def reserved(self, model_id: int, now: int) -> int:
        """Units held by paid orders not yet handed over (Shopee's reserved stock)."""
        held = 0
        for order in self.orders.values():
            if order.status_at(now) in ("READY_TO_SHIP", "RETRY_SHIP", "IN_CANCEL"):
                for package in order.packages:
                    if package.handed_over is None or package.handed_over > now:
                        held += sum(line.quantity for line in package.lines if line.model.model_id == model_id)
        return held


def new_shop(rng: random.Random, ids: Ids, name: str, region: str) -> Shop:
    market = MARKETS[region]
    models = []
    for n in range(10):
        item_id = int(ids.new("3")[:11])
        for size in ("S", "L"):
            price = money(Decimal(rng.randrange(*market.price_range)) + Decimal("0.90"), market)
            models.append(
                Model(item_id, int(ids.new("9")[:11]), f"{name} item {n + 1}", f"Size {size}",
                      f"{region}-SP{n + 1:02d}", f"{region}-SP{n + 1:02d}-{size}", price)
            )  # fmt: skip
    on_hand = {m.model_id: 150 + 5 * i for i, m in enumerate(models)}
    return Shop(int(ids.new("8")[:9]), name, market, models, on_hand=on_hand)


def order_sn(rng: random.Random, created: int) -> str:
    """Shopee's order numbers: the day as yymmdd, then eight capitals and digits."""
    day = datetime.fromtimestamp(created, UTC).strftime("%y%m%d")
    return day + "".join(rng.choices(string.ascii_uppercase + string.digits, k=8))


def after_handover(rng: random.Random, handed: int) -> list[tuple[int, str]]:
    shipped = handed + rng.randrange(4 * HOUR, DAY)
    delivered = shipped + rng.randrange(2 * DAY, 5 * DAY)
    return [
        (handed, "PROCESSED"),
        (shipped, "SHIPPED"),
        (delivered, "TO_CONFIRM_RECEIVE"),
        (delivered + 3 * DAY, "COMPLETED"),
    ]


FATES = ("normal", "unpaid_timeout", "buyer_cancel", "seller_cancel", "return")


def _plan(rng: random.Random, created: int, fate: str) -> tuple[list[tuple[int, str]], tuple[str, str] | None]:
    plan = [(created, "UNPAID")]
    if fate == "unpaid_timeout":
        return [*plan, (created + DAY, "CANCELLED")], ("system", "Unpaid order auto-cancelled")
    paid = created + rng.randrange(60, 20 * 60)
    plan.append((paid, "READY_TO_SHIP"))
    if fate == "buyer_cancel":
        asked = paid + rng.randrange(HOUR, 5 * HOUR)
        return [*plan, (asked, "IN_CANCEL"), (asked + HOUR, "CANCELLED")], ("buyer", "Change of mind")
    if fate == "seller_cancel":
        return [*plan, (paid + rng.randrange(HOUR, DAY), "CANCELLED")], ("seller", "Out of Stock")
    rest = after_handover(rng, paid + rng.randrange(2 * HOUR, 30 * HOUR))
    if fate == "return":
        delivered = rest[2][0]
        rest = [*rest[:3], (delivered + DAY, "TO_RETURN"), (delivered + 4 * DAY, "COMPLETED")]
    return plan + rest, None


def make_order(rng: random.Random, ids: Ids, shop: Shop, created: int, *, fate: str, split: bool) -> Order:
    market = shop.market
    chosen = rng.sample(shop.models, rng.choice((1, 1, 1, 2, 3)))
    discount = rng.choice((Decimal(0), Decimal(0), Decimal("0.1")))
    lines = [Line(m, rng.choice((1, 1, 2, 3)), money(m.price * (1 - discount), market)) for m in chosen]
    split = split and len(lines) > 1
    numbers = [f"OFG{ids.new('1')[:15]}" for _ in range(2 if split else 1)]
    packages = [Package(numbers[0], lines[:1] if split else lines)] + (
        [Package(numbers[1], lines[1:])] if split else []
    )
    plan, cancel = _plan(rng, created, fate)
    handed = next((when for when, status in plan if status == "PROCESSED"), None)
    if handed is not None:
        for index, package in enumerate(packages):
            package.handed_over = handed - (3 * HOUR if split and index == 0 else 0)
    channel = market.channels[rng.randrange(len(market.channels))]
    sub_total = sum((line.discounted * line.quantity for line in lines), Decimal(0))
    order = Order(
        order_sn=order_sn(rng, created),
        shop_id=shop.shop_id,
        create_time=created,
        plan=plan,
        lines=lines,
        packages=packages,
        channel=channel,
        buyer_user_id=int(ids.new("5")[:9]),
        buyer_username=f"buyer{rng.randrange(10**6):06d}",
        message=rng.choice(MESSAGES),
        shipping_fee=Decimal(0) if sub_total >= market.price_range[1] else market.shipping_fee,
        cancel=cancel,
        refund=money(lines[0].discounted, market) if fate == "return" else Decimal(0),
        program_fee=rng.random() < 0.2,
    )
    for package in packages:
        if package.handed_over is not None:
            assign_tracking(rng, order, package, package.handed_over)
    shop.orders[order.order_sn] = order
    if fate == "return":
        delivered = next(when for when, status in plan if status == "TO_RETURN")
        shop.returns[order.order_sn] = Return(
            f"R{order.order_sn}", order.order_sn, delivered,
            [(delivered, "REQUESTED"), (delivered + DAY, "ACCEPTED"), (delivered + 3 * DAY, "CLOSED")],
            "NOT_RECEIVED", order.refund,
        )  # fmt: skip
    return order


def assign_tracking(rng: random.Random, order: Order, package: Package, when: int) -> None:
    """What Shopee's integrated logistics hands out when a package is arranged (the seller's own carrier
    brings its number through ship_order instead)."""
    package.handed_over = when
    if not package.tracking_number:
        prefix = "".join(ch for ch in order.channel[0].upper() if ch.isalpha())[:3]
        package.tracking_number = f"{prefix}{rng.randrange(10**11, 10**12)}"


def seed_orders(rng: random.Random, ids: Ids, shop: Shop, count: int, *, now: int, history_days: int = 30) -> None:
    """`count` orders: the first few pinned to the statuses tests and the demo need, the rest spread over
    `history_days` (a tenth in the last six hours); with `history_days=0` all placed in the last 5 minutes."""
    pinned = [
        (30, "normal", False),
        (3 * HOUR, "normal", False),
        (3 * HOUR, "normal", True),
        (20 * DAY, "return", False),
    ]
    for index in range(count):
        if history_days == 0:
            age, fate, split = rng.randrange(0, 300), "normal", False
        elif index < len(pinned):
            age, fate, split = pinned[index]
        else:
            recent = rng.random() < 0.1
            age = rng.randrange(60, 6 * HOUR) if recent else rng.randrange(6 * HOUR, history_days * DAY)
            fate = rng.choices(FATES, weights=(86, 4, 4, 3, 3))[0]
            split = rng.random() < 0.05
        make_order(rng, ids, shop, now - age, fate=fate, split=split)
