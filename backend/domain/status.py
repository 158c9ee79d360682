"""OrderDeck's one order-status vocabulary, which every sales channel's adapter maps onto.

The values are TikTok Shop's order statuses (Order API 202309, `status` of Get Order Detail), the
finer of the two channels' lifecycles: it separates the buyer-remorse hold (ON_HOLD), an order shipped
in part (PARTIALLY_SHIPPING) and a package handed over but not yet collected (AWAITING_COLLECTION).
Keeping TikTok's spellings means rows stored before there was a second channel need no rewrite. Each
adapter's table says how its own statuses land here (Shopee's: platforms/shopee/mapping.py).
"""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    UNPAID = "UNPAID"
    ON_HOLD = "ON_HOLD"  # paid, in the buyer's cancellation hour: do not pick
    AWAITING_SHIPMENT = "AWAITING_SHIPMENT"
    PARTIALLY_SHIPPING = "PARTIALLY_SHIPPING"
    AWAITING_COLLECTION = "AWAITING_COLLECTION"  # shipped by the seller, waiting for the carrier
    IN_TRANSIT = "IN_TRANSIT"
    DELIVERED = "DELIVERED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


class ShippingType(StrEnum):
    """Who brings the tracking number: the seller (typed into a sheet) or the platform's own logistics."""

    SELLER = "SELLER"
    PLATFORM = "PLATFORM"
