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


class CaseType(StrEnum):
    """What a buyer (or the seller) asked for after the order: BigSeller's four after-sales types, less the
    abnormal return, which is a package problem (fulfilment) rather than a request."""

    CANCEL = "CANCEL"  # before shipping: cancel the order (or some of its lines) and refund
    REFUND = "REFUND"  # refund only, the buyer keeps or never got the goods
    RETURN_AND_REFUND = "RETURN_AND_REFUND"
    REPLACEMENT = "REPLACEMENT"


class CaseStatus(StrEnum):
    """Where an after-sales case stands, in one vocabulary for every channel (TikTok Shop's Return & Refund
    statuses and Shopee's return statuses map here; each case keeps its platform's own status beside)."""

    REQUESTED = "REQUESTED"  # the seller's first decision is due
    AWAITING_BUYER_SHIPMENT = "AWAITING_BUYER_SHIPMENT"  # approved; the buyer is to send the goods back
    BUYER_SHIPPED = "BUYER_SHIPPED"  # the parcel is on its way back: the seller accepts or rejects it
    REJECTED = "REJECTED"  # the seller refused the request (the buyer may appeal to the platform)
    PACKAGE_REJECTED = "PACKAGE_REJECTED"  # the seller refused the returned parcel
    APPROVED = "APPROVED"  # granted: the refund, cancellation or replacement is under way
    COMPLETED = "COMPLETED"  # refunded, cancelled or replaced
    CANCELLED = "CANCELLED"  # withdrawn by the buyer, or closed without a refund


class SellerStep(StrEnum):
    """Which decision a case waits for: the answer to the request, or the verdict on a returned parcel."""

    RESPOND = "RESPOND"
    RECEIVE_PACKAGE = "RECEIVE_PACKAGE"


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
