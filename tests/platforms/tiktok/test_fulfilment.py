"""TikTok's fulfilment calls through the adapter, against the sandbox over HTTP: handover slots, batch shipping
with per-package problems, real PDF documents at expiring URLs, carriers per delivery option, tracking on
the sandbox clock, and combining and splitting where the market allows it."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import httpx
import pytest
from pypdf import PdfReader

from backend.errors import NotOffered, NotShippedYet, PlatformRejected
from backend.platforms.fulfilment import DocumentKind, Handover, HandoverMethod, PickupSlot, ShipProblem, TrackingKind
from backend.platforms.tiktok.adapter import TikTokShop
from backend.sandbox.tiktok.world import DAY, HOUR

if TYPE_CHECKING:
    from collections.abc import Callable

    from backend.sandbox.tiktok.world import Order
    from backend.sandbox.tiktok_shop import TikTokShopSandbox
    from tests.platforms.conftest import Connection

DROP_OFF = Handover(HandoverMethod.DROP_OFF)


def shop_of(connection: Connection) -> TikTokShop:
    return TikTokShop(connection.client, connection.shop.shop_ref)


def ready(connection: Connection, count: int, *, tiktok: bool = True) -> list[Order]:
    return connection.sandbox.add_ready_orders(connection.shop.shop_id, count, tiktok_shipped=tiktok)


def package_of(order: Order) -> str:
    return order.package_ids()[0]


def label_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content), strict=True).pages)


def test_a_picked_up_package_ships_once_and_its_label_is_a_pdf_with_the_buyers_address(us: Connection) -> None:
    shop = shop_of(us)
    [order] = ready(us, 1)
    package = package_of(order)
    with pytest.raises(NotShippedYet, match="mark it ready"):
        shop.shipping_document(order.order_id, package, kind=DocumentKind.LABEL, size="A6", format="PDF")
    choices = shop.handover_choices(package)
    assert choices.pickup and choices.drop_off and choices.slots
    assert all(slot.end > datetime.now(UTC) for slot in choices.slots)

    [shipped] = shop.ship_packages([(package, Handover(HandoverMethod.PICKUP, choices.slots[-1]))])
    again = shop.ship_packages([(package, DROP_OFF)])

    assert shipped.shipped and again[0].problem is ShipProblem.ALREADY_SHIPPED
    status = us.client.get_orders(us.shop.shop_ref, [order.order_id]).orders[0].status
    assert status == "AWAITING_COLLECTION"
    label = shop.shipping_document(order.order_id, package, kind=DocumentKind.LABEL, size="A6", format="PDF")
    assert label.media_type == "application/pdf" and label.tracking_number
    text = label_text(label.content)
    assert label.tracking_number in text and "Ship to:" in text and package in text
    slip = shop.shipping_document(order.order_id, package, kind=DocumentKind.PACKING_SLIP, size="A5", format="PDF")
    assert "Packing slip" in label_text(slip.content) and "Ship to:" not in label_text(slip.content)
    zpl = shop.shipping_document(order.order_id, package, kind=DocumentKind.LABEL, size="A6", format="ZPL")
    assert zpl.content.startswith(b"^XA") and zpl.media_type == "text/plain"


def test_tiktoks_document_urls_expire_after_24_hours_so_each_fetch_asks_for_a_fresh_one(us: Connection) -> None:
    shop = shop_of(us)
    [order] = ready(us, 1)
    shop.ship_packages([(package_of(order), DROP_OFF)])
    url = us.client.shipping_document(us.shop.shop_ref, package_of(order)).url
    assert httpx.get(url).headers["content-type"] == "application/pdf"

    us.sandbox.advance(DAY + 60)

    assert httpx.get(url).status_code == 403
    issued = us.sandbox.documents_issued
    fresh = shop.shipping_document(order.order_id, package_of(order), kind=DocumentKind.LABEL, size="A6", format="PDF")
    assert fresh.content.startswith(b"%PDF") and us.sandbox.documents_issued == issued + 1


def test_a_batch_ships_what_it_can_and_names_each_problem(us: Connection) -> None:
    shop = shop_of(us)
    orders = ready(us, 60)
    sandbox, shop_id = us.sandbox, us.shop.shop_id
    sandbox.break_address(shop_id, orders[3].order_id)
    sandbox.break_label(shop_id, package_of(orders[7]))
    gone = PickupSlot(datetime.now(UTC) - timedelta(hours=5), datetime.now(UTC) - timedelta(hours=2))
    requests = [(package_of(o), DROP_OFF) for o in orders]
    requests[9] = (package_of(orders[9]), Handover(HandoverMethod.PICKUP, gone))
    requests[11] = (package_of(orders[11]), Handover(HandoverMethod.PICKUP))
    sandbox.reset_counters()

    outcomes = {o.package_id: o for o in shop.ship_packages(requests)}

    assert sandbox.counters.by_path["/fulfillment/202309/packages/ship"] == 2  # 50 + 10
    problems = {i: outcomes[package_of(o)].problem for i, o in enumerate(orders) if outcomes[package_of(o)].problem}
    assert problems == {
        3: ShipProblem.ADDRESS,
        7: ShipProblem.LABEL,
        9: ShipProblem.SLOT_EXPIRED,
        11: ShipProblem.SLOT_MISSING,
    }
    assert "address" in outcomes[package_of(orders[3])].message


def test_carriers_are_those_of_the_packages_delivery_option_and_a_retired_one_disappears(
    sandbox: TikTokShopSandbox, us: Connection
) -> None:
    shop, world = shop_of(us), sandbox.shops[us.shop.shop_id]
    standard = {c.name for c in shop.carriers(world.seller_option_id)}
    express = {c.name for c in shop.carriers(world.express_option_id)}
    assert standard == {"USPS", "UPS", "FedEx"} and express == standard | {"DHL Express"}
    options = {o.name: o.seller_ships for o in shop.delivery_options(world.warehouse_id)}
    assert options == {"Standard shipping": True, "Express shipping": True, "Shipped by TikTok": False}
    with pytest.raises(PlatformRejected):
        shop.carriers(world.tiktok_option_id)

    sandbox.retire_carrier(world.shop_id, "UPS")

    assert {c.name for c in shop.carriers(world.express_option_id)} == {"USPS", "FedEx", "DHL Express"}


def test_tracking_advances_on_the_clock_and_a_failed_delivery_returns_to_sender(us: Connection) -> None:
    shop = shop_of(us)
    delivered, failed = ready(us, 2)
    shop.ship_packages([(package_of(delivered), DROP_OFF), (package_of(failed), DROP_OFF)])
    us.sandbox.fail_delivery(us.shop.shop_id, failed.order_id)
    assert [e.kind for e in shop.tracking(delivered.order_id)] == [TrackingKind.INFO]

    us.sandbox.advance(8 * DAY)

    kinds = [e.kind for e in shop.tracking(delivered.order_id)]
    assert kinds[1] is TrackingKind.PICKED_UP and kinds[-2:] == [TrackingKind.OUT_FOR_DELIVERY, TrackingKind.DELIVERED]
    events = shop.tracking(failed.order_id)
    assert [e.kind for e in events][-3:] == [TrackingKind.FAILED_ATTEMPT, TrackingKind.FAILED_ATTEMPT,
                                            TrackingKind.RETURNED]  # fmt: skip
    assert events == sorted(events, key=lambda e: e.at)
    statuses = {o.order_id: o.status for o in us.client.get_orders(us.shop.shop_ref, [delivered.order_id,
                failed.order_id]).orders}  # fmt: skip
    assert statuses == {delivered.order_id: "DELIVERED", failed.order_id: "IN_TRANSIT"}


def test_combining_and_splitting_where_tiktok_allows_it(
    sandbox: TikTokShopSandbox, connect: Callable[[list[str]], Connection], us: Connection
) -> None:
    with pytest.raises(NotOffered, match="does not combine"):
        shop_of(us).combinable()
    my = connect([sandbox.add_shop("Acme MY", "MY", orders=0).shop_id])
    shop = shop_of(my)
    first, second, third = ready(my, 3)
    sandbox.same_buyer(my.shop.shop_id, [first.order_id, second.order_id])

    [group] = shop.combinable()
    assert set(group.order_ids) == {first.order_id, second.order_id}
    [combined] = shop.combine(group)
    assert sandbox.shops[my.shop.shop_id].packages[combined].order_ids == sorted(group.order_ids)
    assert len(shop.uncombine(combined, [first.order_id])) == 2

    advice = {a.order_id: a for a in shop.split_advice([third.order_id])}
    if not advice[third.order_id].can_split:
        assert "SKU" in advice[third.order_id].reason
        return
    by_sku: dict[str, list[str]] = {}
    for line in third.lines:
        by_sku.setdefault(line.sku.sku_id, []).append(line.line_id)
    assert len(shop.split(third.order_id, list(by_sku.values()))) == len(by_sku)


def test_the_pickup_slots_are_the_next_three_days_windows_still_open(us: Connection) -> None:
    [order] = ready(us, 1)
    slots = shop_of(us).handover_choices(package_of(order)).slots
    assert 4 <= len(slots) <= 6
    assert all(timedelta(hours=3) <= s.end - s.start <= timedelta(hours=4) for s in slots)
    assert slots[-1].start - datetime.now(UTC) < timedelta(days=3) + timedelta(hours=HOUR // 3600)
