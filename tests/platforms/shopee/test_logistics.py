"""What Shopee's logistics API lets OrderDeck do, through the adapter against the sandbox: tracking events and
the air waybill (created, checked, downloaded) between arranging shipment and pickup; the rest is read-only."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from backend.domain.status import OrderStatus
from backend.errors import NotOffered, NotShippedYet
from backend.platforms.fulfilment import DocumentKind, Handover, HandoverMethod, TrackingKind
from backend.sandbox.shopee.world import NON_INTEGRATED
from tests.platforms.shopee.conftest import Connection
from tests.platforms.shopee.test_client import synced


def test_an_arranged_order_prints_its_air_waybill_and_an_unarranged_one_says_to_arrange_it(my: Connection) -> None:
    orders = synced(my)
    waiting = next(sn for sn, o in orders.items() if o.status == OrderStatus.AWAITING_SHIPMENT)
    with pytest.raises(NotShippedYet, match="not arranged"):
        my.shopee.shipping_document(
            waiting, orders[waiting].packages[0].package_id, kind=DocumentKind.LABEL, size="A6", format="PDF"
        )
    sn = next(
        sn
        for sn, o in orders.items()
        if o.status == OrderStatus.AWAITING_SHIPMENT and my.shop.orders[sn].channel[1] == NON_INTEGRATED
    )
    package = orders[sn].packages[0].package_id
    my.shopee.ship(order_id=sn, package_id=package, carrier="Seller Own Fleet", tracking_number="SOF777001")

    label = my.shopee.shipping_document(sn, package, kind=DocumentKind.LABEL, size="A6", format="PDF")

    assert label.tracking_number == "SOF777001"
    assert "SOF777001" in PdfReader(io.BytesIO(label.content)).pages[0].extract_text()
    with pytest.raises(NotOffered, match="air waybills"):
        my.shopee.shipping_document(sn, package, kind=DocumentKind.PACKING_SLIP, size="A6", format="PDF")


def test_tracking_reads_shopees_events_and_delivery(my: Connection) -> None:
    orders = synced(my)
    done = next(sn for sn, o in orders.items() if o.status == OrderStatus.COMPLETED)
    events = my.shopee.tracking(done)
    assert events == sorted(events, key=lambda e: e.at)
    assert events[-1].kind is TrackingKind.DELIVERED and TrackingKind.IN_TRANSIT in {e.kind for e in events}


def test_what_shopees_api_does_not_offer_is_refused_as_read_only(my: Connection) -> None:
    for call in (
        lambda: my.shopee.carriers("30000"),
        lambda: my.shopee.handover_choices("x"),
        lambda: my.shopee.ship_packages([("x", Handover(HandoverMethod.DROP_OFF))]),
        my.shopee.combinable,
    ):
        with pytest.raises(NotOffered, match="Seller Centre"):
            call()
