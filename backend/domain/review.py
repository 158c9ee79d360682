"""Order review flags: what a person should look at before an order is picked (pure).

Five flags, with their thresholds as data (schemas/review_flags.json): a possible duplicate (same
buyer and address within a window), an unusual quantity for the SKU, a buyer message, an address
changed after payment, and orders of the same buyer and address that could share one package
(TikTok combines at most 20 orders per package).
"""

from __future__ import annotations

import hashlib
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from backend.domain.status import OrderStatus

COMBINE_MAX = 20  # TikTok's limit of orders in one combined package
CLOSED = frozenset({OrderStatus.CANCELLED, OrderStatus.UNPAID})
TO_SHIP = frozenset({OrderStatus.AWAITING_SHIPMENT, OrderStatus.ON_HOLD})


@dataclass(frozen=True)
class ReviewRules:
    duplicate_window: timedelta
    quantity_multiplier: float
    quantity_minimum: int
    quantity_history: int

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> ReviewRules:
        unusual = doc["unusual_quantity"]
        return cls(
            duplicate_window=timedelta(hours=float(doc["duplicate_window_hours"])),
            quantity_multiplier=float(unusual["multiplier"]),
            quantity_minimum=int(unusual["minimum"]),
            quantity_history=int(unusual.get("min_orders", 5)),
        )


@dataclass(frozen=True)
class ReviewOrder:
    """What the flags read about one order; `address_key` is a fingerprint, never the address itself."""

    order_id: int
    external_id: str
    status: str
    created_at: datetime
    buyer: str
    address_key: str
    quantities: Mapping[str, int]
    buyer_message: str = ""
    address_changed: bool = False
    packages: frozenset[str] = frozenset()


def address_fingerprint(*parts: str | None) -> str:
    """A stable digest of name, phone and address, compared across orders without copying them."""
    normalized = "|".join(" ".join((p or "").casefold().split()) for p in parts)
    if not normalized.strip("|"):
        return ""
    return hashlib.sha256(normalized.encode()).hexdigest()[:32]


def _typical_quantities(orders: Iterable[ReviewOrder]) -> dict[str, list[int]]:
    seen: dict[str, list[int]] = defaultdict(list)
    for order in orders:
        if order.status not in CLOSED:
            for sku, quantity in order.quantities.items():
                seen[sku].append(quantity)
    return seen


def typical_quantities(history: Mapping[str, list[int]], rules: ReviewRules) -> dict[str, float]:
    """The median quantity per SKU, for SKUs ordered often enough to have a typical quantity."""
    return {sku: statistics.median(qs) for sku, qs in history.items() if len(qs) >= rules.quantity_history}


def unusual(sku: str, quantity: int, typical: Mapping[str, float], rules: ReviewRules) -> str | None:
    """The unusual-quantity flag for `quantity` units of `sku`, or None."""
    limit = max(rules.quantity_minimum, rules.quantity_multiplier * typical.get(sku, 0))
    return f"unusual quantity: {quantity} × {sku}" if quantity > limit else None


def review_flags(
    orders: Iterable[ReviewOrder], rules: ReviewRules, typical: Mapping[str, float] | None = None
) -> dict[int, tuple[str, ...]]:
    """Order id → its flags (labels as the sheet shows them), for every order given.

    `typical` is each SKU's typical quantity; by default it is worked out from the orders given (all of
    the recent ones). A caller reviewing only some orders passes it, worked out from all of them.
    """
    orders = list(orders)
    if typical is None:
        typical = typical_quantities(_typical_quantities(orders), rules)
    same_party: dict[tuple[str, str], list[ReviewOrder]] = defaultdict(list)
    for order in orders:
        if order.buyer and order.address_key and order.status not in CLOSED:
            same_party[(order.buyer, order.address_key)].append(order)
    flags: dict[int, tuple[str, ...]] = {}
    for order in orders:
        found: list[str] = []
        party = [o for o in same_party.get((order.buyer, order.address_key), ()) if o.order_id != order.order_id]
        if order.status not in CLOSED and any(
            abs(o.created_at - order.created_at) <= rules.duplicate_window for o in party
        ):
            found.append("possible duplicate")
        quantities = sorted(order.quantities.items())
        found += [flag for sku, quantity in quantities if (flag := unusual(sku, quantity, typical, rules))]
        if order.buyer_message.strip():
            found.append("buyer message")
        if order.address_changed:
            found.append("address changed after payment")
        if order.status in TO_SHIP:
            mates = [o for o in party if o.status in TO_SHIP and not o.packages & order.packages]
            if mates:
                found.append(
                    f"combine with {min(len(mates), COMBINE_MAX - 1)} other order{'s' if len(mates) > 1 else ''}"
                )
        flags[order.order_id] = tuple(found)
    return flags
