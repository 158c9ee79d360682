"""The sandbox's Fulfillment and Logistics API: delivery options and their carriers, handover time slots,
shipping (one package or a batch, with TikTok's per-package errors), shipping documents as real PDFs at
URLs that expire after 24 hours, tracking events that advance on the sandbox clock (failed deliveries
included), and combining and splitting packages where the market allows it.

Error codes are the ones LK's scrapes of the docv2 pages list (ship-package-202309, batch-ship-packages,
get-package-shipping-document); where TikTok documents none (an expired slot) the closest one is used.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import Response, request

from backend.platforms.tiktok.errors import ON_HOLD_CODE
from backend.sandbox import documents
from backend.sandbox.tiktok import after_sales
from backend.sandbox.tiktok.render import recipient
from backend.sandbox.tiktok.routing import Ctx, SandboxError, api_route
from backend.sandbox.tiktok.world import DAY, HOUR, Order, Package, Shop, after_shipping, assign_tracking, delivery_fate

if TYPE_CHECKING:
    from backend.sandbox.tiktok_shop import TikTokShopSandbox

SHIPPABLE = frozenset({"AWAITING_SHIPMENT", "PARTIALLY_SHIPPING"})
BATCH_MAX = 50  # TikTok's batch size is UNCONFIRMED; the sandbox refuses more than this
DOCUMENT_TYPES = ("SHIPPING_LABEL", "PACKING_SLIP", "SHIPPING_LABEL_AND_PACKING_SLIP")
DOCUMENT_SIZES = ("A6", "A5")
DOCUMENT_FORMATS = ("PDF", "ZPL")
DOCUMENT_URL_SECONDS = DAY
PICKUP_WINDOWS = ((time(9), time(12)), (time(13), time(17)))  # local time, each day for three days
NOT_OWNED = "The order or package does not belong to the current seller."


# -- logistics --------------------------------------------------------------------------------------


def warehouses(ctx: Ctx) -> dict[str, Any]:
    return {"warehouses": [{"id": ctx.shop.warehouse_id, "name": f"{ctx.shop.name} warehouse", "is_default": True,
                            "type": "SALES_WAREHOUSE"}]}  # fmt: skip


def delivery_options(ctx: Ctx) -> dict[str, Any]:
    shop = ctx.shop
    if ctx.params["warehouse_id"] != shop.warehouse_id:
        raise SandboxError(36009004, "Invalid param: warehouse_id.")
    kinds = ((shop.seller_option_id, "SEND_BY_SELLER"), (shop.express_option_id, "SEND_BY_SELLER"),
             (shop.tiktok_option_id, "SHIPPED_BY_TIKTOK"))  # fmt: skip
    return {"delivery_options": [{"id": i, "name": shop.option_name(i), "type": t} for i, t in kinds]}


def shipping_providers(ctx: Ctx) -> dict[str, Any]:
    option = ctx.params["delivery_option_id"]
    if option not in (ctx.shop.seller_option_id, ctx.shop.express_option_id, ctx.shop.tiktok_option_id):
        raise SandboxError(36009004, "Invalid param: delivery_option_id.")
    offered = ctx.shop.option_carriers(option)
    if offered is None:
        raise SandboxError(21008117, "The delivery option is fulfilled by TikTok and has no shipping providers.")
    return {"shipping_providers": [{"id": i, "name": n} for i, n in offered.items()]}


# -- packages ---------------------------------------------------------------------------------------


def _package(ctx: Ctx, package_id: str | None = None) -> Package:
    package = ctx.shop.packages.get(package_id or ctx.params["package_id"])
    if package is None:
        raise SandboxError(21008111, NOT_OWNED)
    return package


def _shipped(package: Package, now: int) -> bool:
    return package.ship_time is not None and package.ship_time <= now


def package_detail(ctx: Ctx) -> dict[str, Any]:
    package = _package(ctx)
    shipped = _shipped(package, ctx.now)
    orders = [ctx.shop.orders[o] for o in package.order_ids]
    tag = "COMBINE" if len(orders) > 1 else ("SPLIT" if len(orders[0].package_ids()) > 1 else "DEFAULT")
    detail: dict[str, Any] = {
        "id": package.package_id,
        "order_ids": package.order_ids,
        "orders": [{"id": o} for o in package.order_ids],
        "delivery_option_id": package.delivery_option_id,
        "delivery_option_name": ctx.shop.option_name(package.delivery_option_id),
        "shipping_type": package.shipping_type,
        "package_status": "PROCESSING" if shipped else "TO_FULFILL",
        "split_and_combine_tag": tag,
        "tracking_number": package.tracking_number if shipped else "",
        "shipping_provider_id": package.provider_id if shipped else "",
        "shipping_provider_name": package.provider_name if shipped else "",
        "handover_method": package.handover_method,
    }
    if package.pickup_slot:
        detail["pickup_slot"] = {"start_time": package.pickup_slot[0], "end_time": package.pickup_slot[1]}
    return detail


def slots(shop: Shop, now: int) -> list[tuple[int, int]]:
    """Pickup windows of the next three days in the shop's time zone that have not ended yet."""
    zone = ZoneInfo(shop.market.time_zone)
    today = datetime.fromtimestamp(now, zone).date()
    found = []
    for day in range(3):
        date = today + timedelta(days=day)
        for start, end in PICKUP_WINDOWS:
            window = (
                int(datetime.combine(date, start, zone).timestamp()),
                int(datetime.combine(date, end, zone).timestamp()),
            )
            if window[1] > now:
                found.append(window)
    return found


def handover_time_slots(ctx: Ctx) -> dict[str, Any]:
    package = _package(ctx)
    if package.shipping_type != "TIKTOK":
        raise SandboxError(11034002, "The package is not shipped by TikTok: it has no handover time slots.")
    return {
        "can_pickup": True,
        "can_drop_off": True,
        "can_van_collection": False,
        "drop_off_point_url": f"https://shop.tiktok.example/drop-off?zip={ctx.shop.market.city[0].replace(' ', '+')}",
        "pickup_slots": [{"start_time": s, "end_time": e, "avaliable": True} for s, e in slots(ctx.shop, ctx.now)],
    }


def _provider(shop: Shop, package: Package, provider_id: object) -> str:
    offered = shop.option_carriers(package.delivery_option_id) or {}
    if provider_id not in offered:
        raise SandboxError(21011022, "The shipping provider is not offered for this delivery option.")
    return str(provider_id)


def _ship(ctx: Ctx, package: Package, body: dict[str, Any]) -> None:
    """Ship one package as TikTok does, or raise its error; nothing changes when it is refused."""
    shop = ctx.shop
    orders = [shop.orders[o] for o in package.order_ids]
    statuses = {o.status_at(ctx.now) for o in orders}
    if _shipped(package, ctx.now):
        raise SandboxError(21011040, "Package has already been shipped.")
    if "ON_HOLD" in statuses:
        raise SandboxError(ON_HOLD_CODE, "The order is ON_HOLD (buyer remorse period) and cannot be shipped yet.")
    if "CANCELLED" in statuses:
        raise SandboxError(21011041, "The order has been cancelled.")
    if not statuses <= SHIPPABLE:
        raise SandboxError(21011002, f"The package cannot be shipped in status {', '.join(sorted(statuses))}.")
    if package.shipping_type == "SELLER":
        shipment = body.get("self_shipment") or {}
        if not shipment.get("tracking_number"):
            raise SandboxError(36009004, "Invalid param: self_shipment.tracking_number is required.")
        package.provider_id = _provider(shop, package, shipment.get("shipping_provider_id"))
        package.provider_name = (shop.option_carriers(package.delivery_option_id) or {})[package.provider_id]
        package.tracking_number = str(shipment["tracking_number"])
        package.ship_time = ctx.now
    else:
        method = body.get("handover_method")
        if method not in ("PICKUP", "DROP_OFF"):
            raise SandboxError(36009004, "Invalid param: handover_method must be PICKUP or DROP_OFF.")
        slot = _slot(ctx, body) if method == "PICKUP" else None
        if any(o.address_fault for o in orders):
            raise SandboxError(11021009, "The recipient address cannot be used by the carrier: update it and retry.")
        if package.label_fault:
            raise SandboxError(11021015, "The shipping label could not be created. Please retry later.")
        package.handover_method, package.pickup_slot = str(method), slot
        assign_tracking(ctx.sb.rng, shop, package, ctx.now)
    for order in orders:
        after_sales.shipped(ctx.sb, shop, order, ctx.now)
        collected = max(package.pickup_slot[0], ctx.now) + HOUR if package.pickup_slot else None
        _after_ship(ctx, order, collected)
    ctx.sb.emit(shop, "PACKAGE_UPDATE", {"package_list": [{"package_id": package.package_id,
                "order_id_list": package.order_ids}], "update_time": ctx.now})  # fmt: skip


def _slot(ctx: Ctx, body: dict[str, Any]) -> tuple[int, int]:
    raw = body.get("pickup_slot") or {}
    if not raw.get("start_time") or not raw.get("end_time"):
        raise SandboxError(21011054, "A pickup slot is required for the PICKUP handover method.")
    slot = (int(raw["start_time"]), int(raw["end_time"]))
    if slot[1] <= ctx.now:
        raise SandboxError(21011053, "The shipment time is outside of the pick-up time slot.")
    if slot not in slots(ctx.shop, ctx.now):
        raise SandboxError(36009004, "Invalid param: pickup_slot is not one of the package's handover time slots.")
    return slot


def _after_ship(ctx: Ctx, order: Order, collected: int | None) -> None:
    """Replace the rest of the order's plan: shipped now, then collected, delivered, completed."""
    packages = [ctx.shop.packages[p] for p in order.package_ids()]
    done = [p for p in packages if _shipped(p, ctx.now)]
    for pending in (p for p in packages if p not in done):
        pending.ship_time = None  # the seller ships through the API now, not on the sandbox's schedule
    order.plan = [(w, s) for w, s in order.plan if w < ctx.now]
    if len(done) < len(packages):
        order.plan.append((ctx.now, "PARTIALLY_SHIPPING"))
    else:
        order.plan += delivery_fate(order, after_shipping(ctx.sb.rng, ctx.now, collected))
    order.touched = ctx.now
    ctx.sb._order_event(ctx.shop, order, ctx.now)


def ship_package(ctx: Ctx) -> dict[str, Any]:
    _ship(ctx, _package(ctx), ctx.body)
    return {}


def batch_ship(ctx: Ctx) -> dict[str, Any]:
    """Ship up to BATCH_MAX packages; each failure is an entry of `errors`, the others ship (code 0)."""
    wanted = ctx.body.get("packages")
    if not isinstance(wanted, list) or not 1 <= len(wanted) <= BATCH_MAX:
        raise SandboxError(36009004, f"Invalid param: packages must hold 1 to {BATCH_MAX} packages.")
    errors = []
    for item in wanted:
        package_id = str(item.get("id") or "") if isinstance(item, dict) else ""
        try:
            _ship(ctx, _package(ctx, package_id), item)
        except SandboxError as exc:
            errors.append({"code": exc.code, "message": exc.message, "detail": {"package_id": package_id}})
    return {"errors": errors}


def update_shipping_info(ctx: Ctx) -> dict[str, Any]:
    package = _package(ctx)
    if package.shipping_type != "SELLER" or not _shipped(package, ctx.now):
        raise SandboxError(21011003, "Shipping info can only be updated on a shipped seller-shipped package.")
    if not ctx.body.get("tracking_number"):
        raise SandboxError(36009004, "Invalid param: tracking_number is required.")
    package.provider_id = _provider(ctx.shop, package, ctx.body.get("shipping_provider_id"))
    package.provider_name = (ctx.shop.option_carriers(package.delivery_option_id) or {})[package.provider_id]
    package.tracking_number = str(ctx.body["tracking_number"])
    for order_id in package.order_ids:
        ctx.shop.orders[order_id].touched = ctx.now
    return {}


# -- shipping documents -----------------------------------------------------------------------------


def _signature(sb: TikTokShopSandbox, package_id: str, query: dict[str, str]) -> str:
    base = "|".join([package_id, *(f"{k}={query[k]}" for k in sorted(query))])
    return hmac.new(sb.app_secret.encode(), base.encode(), hashlib.sha256).hexdigest()[:32]


def shipping_documents(ctx: Ctx) -> dict[str, Any]:
    package = _package(ctx)
    if package.shipping_type != "TIKTOK":
        raise SandboxError(11034002, "The package is not shipped by TikTok: print your own carrier's label.")
    if not _shipped(package, ctx.now):
        raise SandboxError(21023035, "Please arrange shipment before retrieving the shipping document.")
    query = {
        "type": ctx.args.get("document_type", "SHIPPING_LABEL"),
        "size": ctx.args.get("document_size", "A6"),
        "format": ctx.args.get("document_format", "PDF"),
    }
    for name, allowed in (("type", DOCUMENT_TYPES), ("size", DOCUMENT_SIZES), ("format", DOCUMENT_FORMATS)):
        if query[name] not in allowed:
            raise SandboxError(36009004, f"Invalid param: document_{name} must be one of {', '.join(allowed)}.")
    query["expires"] = str(ctx.now + DOCUMENT_URL_SECONDS)
    query["sig"] = _signature(ctx.sb, package.package_id, query)
    ctx.sb.documents_issued += 1
    url = f"{request.host_url}sandbox/documents/{package.package_id}?{urlencode(query)}"
    return {"doc_url": url, "tracking_number": package.tracking_number}


def _label_lines(shop: Shop, package: Package, kind: str) -> list[str]:
    orders = [shop.orders[o] for o in package.order_ids]
    address = recipient(shop, orders[0])
    lines: list[str] = []
    if kind != "PACKING_SLIP":
        lines += [
            f"TikTok Shipping - {package.provider_name}",
            f"Tracking {package.tracking_number}",
            f"Package {package.package_id}",
            f"Ship to: {address['name']}",
            str(address["full_address"]),
            f"{address['postal_code']} {address['region_code']}",
        ]
    if kind != "SHIPPING_LABEL":
        lines += [f"Packing slip - package {package.package_id}"]
        for order in orders:
            lines += [f"Order {order.order_id}"] + [
                f"  {ln.sku.seller_sku} {ln.sku.product_name}" for ln in order.lines
            ]
    return lines


def document(sb: TikTokShopSandbox, package_id: str) -> Response:
    """What a doc_url serves: the document while its signed URL lasts, TikTok CDN-style 403 afterwards."""
    query = {k: request.args.get(k, "") for k in ("type", "size", "format", "expires")}
    signed = hmac.compare_digest(_signature(sb, package_id, query), request.args.get("sig", ""))
    with sb.lock:
        if not signed or not query["expires"].isdigit():
            return Response("<Error><Code>AccessDenied</Code></Error>", 403, mimetype="application/xml")
        if int(query["expires"]) <= sb.now():
            return Response("<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>", 403,
                            mimetype="application/xml")  # fmt: skip
        shop = next(s for s in sb.shops.values() if package_id in s.packages)
        lines = _label_lines(shop, shop.packages[package_id], query["type"])
        sb.documents_served += 1
    if query["format"] == "ZPL":
        return Response(documents.zpl(lines), mimetype="text/plain")
    return Response(documents.pdf(lines, query["size"]), mimetype="application/pdf")


# -- tracking ---------------------------------------------------------------------------------------


def tracking_events(shop: Shop, order: Order, now: int) -> list[tuple[int, str]]:
    """The carrier's scans of an order so far, oldest first, read off its plan on the sandbox clock."""
    packages = [shop.packages[p] for p in order.package_ids() if p in shop.packages]
    shipped = [p for p in packages if _shipped(p, now)]
    if not shipped:
        return []
    carrier = shipped[0].provider_name
    events: list[tuple[int, str]] = []
    for package in shipped:
        handed = "handed to TikTok Shipping" if package.shipping_type == "TIKTOK" else "tracking uploaded by the seller"
        events.append((package.ship_time or now, f"Shipping label created, {handed}"))
    collected = order.time_of("IN_TRANSIT", 2**62)
    if collected is None:
        return [e for e in events if e[0] <= now]
    events.append((collected, f"Picked up by {carrier}"))
    delivered = order.time_of("DELIVERED", 2**62)
    end = delivered if delivered is not None else collected + 2 * DAY  # the first failed attempt
    gap = 3 * DAY if int(order.order_id[-2]) % 4 == 0 else DAY  # a parcel on a long leg goes quiet
    hub = collected + gap
    while hub < end - 6 * HOUR:
        events.append((hub, f"In transit: arrived at {carrier} sort facility"))
        hub += gap
    if delivered is not None:
        events += [(delivered - 6 * HOUR, "Out for delivery"), (delivered, "Delivered, left at front door")]
    elif order.delivery_fault:
        events += [
            (collected + 2 * DAY, "Delivery attempt failed: recipient not available"),
            (collected + 3 * DAY, "Delivery attempt failed: recipient not available"),
            (collected + 4 * DAY, "Returned to sender"),
        ]
    return sorted(e for e in events if e[0] <= now)


def tracking(ctx: Ctx) -> dict[str, Any]:
    order = ctx.shop.orders.get(ctx.params["order_id"])
    if order is None or order.create_time > ctx.now:
        raise SandboxError(21008111, NOT_OWNED)
    rows = [{"description": d, "update_time_millis": w * 1000} for w, d in tracking_events(ctx.shop, order, ctx.now)]
    return {"tracking": list(reversed(rows))}  # newest first


# -- combining and splitting (SEA and LATAM, before shipping) ---------------------------------------


def _open_single(shop: Shop, order: Order, now: int) -> Package | None:
    """The order's one package, if it is still to ship and holds this order alone."""
    if order.status_at(now) != "AWAITING_SHIPMENT" or len(order.package_ids()) != 1:
        return None
    package = shop.packages[order.package_ids()[0]]
    return package if len(package.order_ids) == 1 and not _shipped(package, now) else None


def _groups(shop: Shop, now: int) -> dict[str, list[str]]:
    """Pre-generated combinable package id → order ids: one buyer's open orders with the same option."""
    by_buyer: dict[tuple[str, str], list[str]] = {}
    for order in shop.orders.values():
        package = _open_single(shop, order, now)
        if package is not None and order.create_time <= now:
            by_buyer.setdefault((order.user_id, package.delivery_option_id), []).append(order.order_id)
    return {"98" + sorted(ids)[0][2:]: sorted(ids) for ids in by_buyer.values() if len(ids) > 1}


def _combining(ctx: Ctx) -> None:
    if not ctx.shop.market.combines:
        raise SandboxError(21011035, "Combining and splitting packages is not supported in this market.")


def combinable(ctx: Ctx) -> dict[str, Any]:
    _combining(ctx)
    groups = [{"id": i, "order_ids": ids} for i, ids in sorted(_groups(ctx.shop, ctx.now).items())]
    return {"combinable_packages": groups, "next_page_token": "", "total_count": len(groups)}


def _new_package(ctx: Ctx, like: Package, order_ids: list[str]) -> Package:
    package = Package(ctx.sb.ids.new("11"), order_ids, like.shipping_type, like.delivery_option_id)
    ctx.shop.packages[package.package_id] = package
    return package


def _repack(ctx: Ctx, package: Package, lines: set[str]) -> None:
    for order_id in package.order_ids:
        order = ctx.shop.orders[order_id]
        for line in order.lines:
            if line.line_id in lines:
                line.package_id = package.package_id
        order.combined = len(package.order_ids) > 1
        order.touched = ctx.now


def _announce(ctx: Ctx, packages: list[Package], kind: str) -> None:
    listed = [{"package_id": p.package_id, "order_id_list": p.order_ids} for p in packages]
    data = {"sc_type": kind, "role_type": "SELLER", "update_time": ctx.now, "package_list": listed}
    ctx.sb.emit(ctx.shop, "PACKAGE_UPDATE", data)


def combine(ctx: Ctx) -> dict[str, Any]:
    _combining(ctx)
    groups = _groups(ctx.shop, ctx.now)
    made, errors = [], []
    for wanted in ctx.body.get("combinable_packages") or ():
        group_id, order_ids = str(wanted.get("id", "")), sorted(str(o) for o in wanted.get("order_ids") or ())
        if groups.get(group_id) is None or not set(order_ids) <= set(groups[group_id]) or len(order_ids) < 2:
            errors.append({"code": 21011031, "message": "Order does not belong to pre_pkg.",
                           "detail": {"package_id": group_id}})  # fmt: skip
            continue
        orders = [ctx.shop.orders[o] for o in order_ids]
        old = [ctx.shop.packages[o.package_ids()[0]] for o in orders]
        package = _new_package(ctx, old[0], order_ids)
        for gone in old:
            del ctx.shop.packages[gone.package_id]
        _repack(ctx, package, {ln.line_id for o in orders for ln in o.lines})
        made.append(package)
    _announce(ctx, made, "COMBINE")
    return {"packages": [{"id": p.package_id, "order_ids": p.order_ids} for p in made], "errors": errors}


def uncombine(ctx: Ctx) -> dict[str, Any]:
    _combining(ctx)
    package = _package(ctx)
    leaving = [str(o) for o in ctx.body.get("order_ids") or package.order_ids]
    if _shipped(package, ctx.now) or len(package.order_ids) < 2 or not set(leaving) <= set(package.order_ids):
        raise SandboxError(21011031, "Order does not belong to pre_pkg.")
    made = []
    for order_id in leaving:
        order = ctx.shop.orders[order_id]
        single = _new_package(ctx, package, [order_id])
        _repack(ctx, single, {ln.line_id for ln in order.lines})
        package.order_ids.remove(order_id)
        made.append(single)
    if len(package.order_ids) == 1:
        ctx.shop.orders[package.order_ids[0]].combined = False
    if not package.order_ids:
        del ctx.shop.packages[package.package_id]
    else:
        made.append(package)
    _announce(ctx, made, "UNCOMBINE")
    return {"packages": [{"id": p.package_id, "order_ids": p.order_ids} for p in made]}


def _can_split(shop: Shop, order: Order, now: int) -> tuple[bool, str]:
    if _open_single(shop, order, now) is None:
        return False, "The order is shipped, combined or already split."
    if len({ln.sku.sku_id for ln in order.lines}) < 2:
        return False, "Only orders with more than one SKU can be split here."
    return True, ""


def split_attributes(ctx: Ctx) -> dict[str, Any]:
    _combining(ctx)
    found = []
    for order_id in [i for i in ctx.args.get("order_ids", "").split(",") if i][:50]:
        order = ctx.shop.orders.get(order_id)
        if order is None:
            raise SandboxError(21008111, NOT_OWNED)
        can, reason = _can_split(ctx.shop, order, ctx.now)
        found.append({"order_id": order_id, "can_split": can, "reason": reason, "must_split": False})
    return {"split_attributes": found}


def split(ctx: Ctx) -> dict[str, Any]:
    _combining(ctx)
    order = ctx.shop.orders.get(ctx.params["order_id"])
    if order is None:
        raise SandboxError(21008111, NOT_OWNED)
    can, reason = _can_split(ctx.shop, order, ctx.now)
    groups = ctx.body.get("splittable_groups") or []
    lines = {ln.line_id: ln for ln in order.lines}
    wanted = [set(str(i) for i in g.get("order_line_item_ids") or ()) for g in groups]
    if not can or len(groups) < 2:
        raise SandboxError(21011035, f"split order not allowed. {reason}".strip())
    if set().union(*wanted) != set(lines) or sum(len(w) for w in wanted) != len(lines):
        raise SandboxError(36009004, "Invalid param: every line item must be in exactly one splittable group.")
    if any(len({lines[i].sku.sku_id for i in w}) != 1 for w in wanted) and ctx.shop.market.combines:
        raise SandboxError(21011035, "split order not allowed. Split at SKU level only.")
    old = ctx.shop.packages.pop(order.package_ids()[0])
    made = []
    for group, line_ids in zip(groups, wanted, strict=True):
        package = _new_package(ctx, old, [order.order_id])
        _repack(ctx, package, line_ids)
        made.append({"id": package.package_id, "splittable_group_id": str(group.get("id", ""))})
    _announce(ctx, [ctx.shop.packages[p["id"]] for p in made], "SPLIT")
    return {"packages": made}


ROUTES = (
    api_route("GET", "/logistics/202309/warehouses", warehouses),
    api_route("GET", "/logistics/202309/warehouses/{warehouse_id}/delivery_options", delivery_options),
    api_route("GET", "/logistics/202309/delivery_options/{delivery_option_id}/shipping_providers", shipping_providers),
    api_route("GET", "/fulfillment/202309/packages/{package_id}", package_detail),
    api_route("GET", "/fulfillment/202309/packages/{package_id}/handover_time_slots", handover_time_slots),
    api_route("POST", "/fulfillment/202309/packages/ship", batch_ship),
    api_route("POST", "/fulfillment/202309/packages/{package_id}/ship", ship_package),
    api_route("POST", "/fulfillment/202309/packages/{package_id}/shipping_info/update", update_shipping_info),
    api_route("GET", "/fulfillment/202309/packages/{package_id}/shipping_documents", shipping_documents),
    api_route("GET", "/fulfillment/202309/orders/{order_id}/tracking", tracking),
    api_route("GET", "/fulfillment/202309/combinable_packages/search", combinable),
    api_route("POST", "/fulfillment/202309/packages/combine", combine),
    api_route("POST", "/fulfillment/202309/packages/{package_id}/uncombine", uncombine),
    api_route("GET", "/fulfillment/202309/orders/split_attributes", split_attributes),
    api_route("POST", "/fulfillment/202309/orders/{order_id}/split", split),
)
