"""The Shopee sandbox's HTTP face: Shopee's checks in order, a route table, Shopee's envelope.

Checks, as the "API calls" guide lists the common parameters: partner_id, a timestamp within 5
minutes, `sign` by the API's level (public, shop, merchant), then the access token for that shop or
merchant. Errors answer `{request_id, error, message, response: {}}` with Shopee's error names.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Flask, Response, request

from backend.platforms.shopee.signing import Level, base_string, level_of, sign
from backend.sandbox import documents
from backend.sandbox.shopee.render import escrow_amount, escrow_income, needs_tracking_from_seller, render_order
from backend.sandbox.shopee.world import (
    INTEGRATED,
    NON_INTEGRATED,
    Order,
    Package,
    Shop,
    after_handover,
    assign_tracking,
)
from backend.sandbox.tiktok.records import LoggedRequest
from backend.sandbox.tiktok.world import DAY, HOUR

if TYPE_CHECKING:
    from backend.sandbox.shopee.sandbox import Grant, ShopeeSandbox

WINDOW_SECONDS = 15 * 24 * 3600
PAGE_SIZE_MAX = 100
BATCH_MAX = 50
TIMESTAMP_SKEW = 300


class SandboxError(Exception):
    def __init__(self, error: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.error, self.message, self.status = error, message, status


@dataclass
class Ctx:
    sb: ShopeeSandbox
    shop_or_none: Shop | None
    merchant_id: str
    args: dict[str, str]
    body: dict[str, Any]
    now: int

    @property
    def shop(self) -> Shop:
        assert self.shop_or_none is not None
        return self.shop_or_none


Handler = Callable[[Ctx], dict[str, Any] | Response]  # a Response: a file Shopee serves as itself


def _int(ctx: Ctx, name: str, *, required: bool = True, default: int = 0) -> int:
    raw = ctx.args.get(name, "")
    if not raw:
        if required:
            raise SandboxError("error_param", f"Wrong parameters, detail: {name} is required.")
        return default
    if not raw.isdigit():
        raise SandboxError("error_param", f"Wrong parameters, detail: {name} must be an integer.")
    return int(raw)


def _page_size(ctx: Ctx) -> int:
    size = _int(ctx, "page_size")
    if not 1 <= size <= PAGE_SIZE_MAX:
        raise SandboxError("error_param", f"Wrong parameters, detail: page_size must be 1 to {PAGE_SIZE_MAX}.")
    return size


def _range(ctx: Ctx, low: str, high: str, error: str) -> tuple[int, int]:
    start, end = _int(ctx, low), _int(ctx, high)
    if not start < end or end - start > WINDOW_SECONDS:
        raise SandboxError(error, "Start time must be earlier than end time and diff in 15days.")
    return start, end


# -- shop, merchant, pushes ------------------------------------------------------------------------


def shop_info(ctx: Ctx) -> dict[str, Any]:
    shop = ctx.shop
    return {"shop_name": shop.name, "region": shop.market.region, "status": "NORMAL", "is_cb": shop.is_cb,
            "is_sip": False, "auth_time": ctx.now, "expire_time": ctx.now + 365 * 86400}  # fmt: skip


def merchant_info(ctx: Ctx) -> dict[str, Any]:
    merchant = ctx.sb.merchants[ctx.merchant_id]
    return {"merchant_name": merchant, "is_cnsc": True, "merchant_region": "CN", "currency": "CNY"}


def set_push_config(ctx: Ctx) -> dict[str, Any]:
    url = ctx.body.get("callback_url")
    codes = ctx.body.get("set_push_config_on") or []
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise SandboxError("error_param", "Wrong parameters, detail: callback_url is invalid.")
    if not isinstance(codes, list) or not all(isinstance(c, int) and not isinstance(c, bool) for c in codes):
        raise SandboxError("error_param", "Wrong parameters, detail: set_push_config_on must be a list of codes.")
    ctx.sb.callback_url = url
    ctx.sb.push_codes |= set(codes)
    return {}


# -- orders ------------------------------------------------------------------------------------------


def _visible(ctx: Ctx) -> list[Order]:
    return [o for o in ctx.shop.orders.values() if o.create_time <= ctx.now]


def order_list(ctx: Ctx) -> dict[str, Any]:
    field_name = ctx.args.get("time_range_field", "")
    if field_name not in ("create_time", "update_time"):
        raise SandboxError(
            "error_param", "Wrong parameters, detail: time_range_field must be create_time or update_time."
        )
    start, end = _range(ctx, "time_from", "time_to", "order.order_list_invalid_time")
    size, wanted = _page_size(ctx), ctx.args.get("order_status")
    offset = int(ctx.args["cursor"]) if ctx.args.get("cursor", "").isdigit() else 0
    rows = [
        o.order_sn
        for o in _visible(ctx)
        if start <= (o.create_time if field_name == "create_time" else o.update_time(ctx.now)) <= end
        and (not wanted or o.status_at(ctx.now) == wanted)
    ]
    rows.sort()  # Shopee does not promise update-time order; the sandbox lists by order number
    page, more = rows[offset : offset + size], offset + size < len(rows)
    return {
        "more": more,
        "next_cursor": str(offset + size) if more else "",
        "order_list": [{"order_sn": sn} for sn in page],
    }


def _order(ctx: Ctx, order_sn: str) -> Order:
    order = ctx.shop.orders.get(order_sn)
    if order is None or order.create_time > ctx.now:
        raise SandboxError("error_not_found", f"order_sn {order_sn} is not found in this shop.", 404)
    return order


def order_detail(ctx: Ctx) -> dict[str, Any]:
    numbers = [n for n in ctx.args.get("order_sn_list", "").split(",") if n]
    if not 1 <= len(numbers) <= BATCH_MAX:
        raise SandboxError("error_param", f"Wrong parameters, detail: order_sn_list must hold 1 to {BATCH_MAX} orders.")
    wanted = set(filter(None, ctx.args.get("response_optional_fields", "").split(",")))
    orders = [render_order(ctx.shop, _order(ctx, n), ctx.now, wanted) for n in numbers]
    return {"order_list": [order | ctx.sb.damage.get(order["order_sn"], {}) for order in orders]}


# -- logistics ---------------------------------------------------------------------------------------


def _package_of(order: Order, number: str) -> int:
    if not number:
        return 0
    for index, package in enumerate(order.packages):
        if package.package_number == number:
            return index
    raise SandboxError("error_param", f"Wrong parameters, detail: package_number {number} is not in this order.")


def channel_list(ctx: Ctx) -> dict[str, Any]:
    channels = [
        {"logistics_channel_id": 30000 + i, "logistics_channel_name": name, "enabled": True, "cod_enabled": False,
         "fee_type": "SIZE_INPUT", "mask_channel_id": 0}
        for i, (name, _) in enumerate(ctx.shop.market.channels)
    ]  # fmt: skip
    return {"logistics_channel_list": channels}


def shipping_parameter(ctx: Ctx) -> dict[str, Any]:
    order = _order(ctx, ctx.args.get("order_sn", ""))
    _package_of(order, ctx.args.get("package_number", ""))
    if order.status_at(ctx.now) not in ("READY_TO_SHIP", "RETRY_SHIP"):
        raise SandboxError("logistics.package_can_not_ship", "The order is not ready to ship.")
    if needs_tracking_from_seller(order):
        return {"info_needed": {"non_integrated": ["tracking_no"]}}
    return {"info_needed": {"pickup": ["address_id", "pickup_time_id"], "dropoff": []},
            "pickup": {"address_list": [{"address_id": 1, "time_slot_list": [{"pickup_time_id": "1"}]}]}}  # fmt: skip


def ship_order(ctx: Ctx) -> dict[str, Any]:
    order = _order(ctx, str(ctx.body.get("order_sn", "")))
    index = _package_of(order, str(ctx.body.get("package_number") or ""))
    kinds = [k for k in ("pickup", "dropoff", "non_integrated") if k in ctx.body]
    if len(kinds) != 1:
        raise SandboxError("logistics.ship_order_only_support_one_type", "Only one of pickup, dropoff, non_integrated.")
    if order.status_at(ctx.now) not in ("READY_TO_SHIP", "RETRY_SHIP"):
        raise SandboxError("logistics.package_can_not_ship", "The order is not ready to ship.")
    wanted = NON_INTEGRATED if kinds[0] == "non_integrated" else INTEGRATED
    if order.channel[1] != wanted:
        raise SandboxError("logistics.invalid_shipping_method", f"This order's channel does not support {kinds[0]}.")
    package = order.packages[index]
    if wanted == NON_INTEGRATED:
        tracking = str((ctx.body.get("non_integrated") or {}).get("tracking_number") or "")
        if not tracking:
            raise SandboxError("error_param", "Wrong parameters, detail: non_integrated.tracking_number is required.")
        package.tracking_number = tracking
    for other in order.packages:
        assign_tracking(ctx.sb.rng, order, other, ctx.now)
    order.plan = [(w, s) for w, s in order.plan if w < ctx.now] + after_handover(ctx.sb.rng, ctx.now)
    order.touched = ctx.now
    ctx.sb.order_push(ctx.shop, order, ctx.now)
    ctx.sb.push(ctx.shop, 4, {"ordersn": order.order_sn, "package_number": package.package_number,
                              "tracking_no": package.tracking_number})  # fmt: skip
    return {}


def mass_tracking_number(ctx: Ctx) -> dict[str, Any]:
    wanted = ctx.body.get("package_list")
    if not isinstance(wanted, list) or not 1 <= len(wanted) <= BATCH_MAX:
        raise SandboxError("error_param", f"Wrong parameters, detail: package_list must hold 1 to {BATCH_MAX}.")
    packages = {p.package_number: p for o in _visible(ctx) for p in o.packages}
    success, fail = [], []
    for row in wanted:
        number = str(row.get("package_number", "")) if isinstance(row, dict) else ""
        package = packages.get(number)
        if package is None or package.handed_over is None or package.handed_over > ctx.now:
            fail.append({"package_number": number, "fail_error": "logistics.package_not_ready", "fail_message": ""})
        else:
            success.append({"package_number": number, "tracking_number": package.tracking_number,
                            "first_mile_tracking_number": "", "hint": ""})  # fmt: skip
    return {"success_list": success, "fail_list": fail}


# -- tracking and shipping documents (get_tracking_info; the air waybill in three steps, printable only
# between ship_order and the carrier's pickup, OM) -------------------------------------------------------


def tracking_events(order: Order, now: int) -> list[tuple[int, str, str]]:
    """(when, description, logistics_status) of an order's parcel so far, oldest first."""
    handed = order.time_of("PROCESSED", now)
    if handed is None:
        return []
    events = [(handed, "Seller has arranged shipment", "LOGISTICS_REQUEST_CREATED")]
    shipped = order.time_of("SHIPPED", now)
    if shipped is not None:
        events.append((shipped, "Parcel has been picked up by the courier", "LOGISTICS_PICKUP_DONE"))
        delivered = order.time_of("TO_CONFIRM_RECEIVE", 2**62)
        hub = shipped + DAY
        while delivered is None or hub < delivered - 6 * HOUR:
            if hub > now:
                break
            events.append((hub, "Parcel has arrived at the sorting centre", "LOGISTICS_PICKUP_DONE"))
            hub += DAY
        if delivered is not None:
            events.append((delivered, "Parcel has been delivered", "LOGISTICS_DELIVERY_DONE"))
    return sorted(e for e in events if e[0] <= now)


def tracking_info(ctx: Ctx) -> dict[str, Any]:
    order = _order(ctx, ctx.args.get("order_sn", ""))
    events = tracking_events(order, ctx.now)
    info = [{"update_time": w, "description": d, "logistics_status": s} for w, d, s in reversed(events)]
    status = events[-1][2] if events else "LOGISTICS_NOT_START"
    return {"order_sn": order.order_sn, "logistics_status": status, "tracking_info": info}


def _document_package(ctx: Ctx, row: Any) -> tuple[Order, Package]:
    if not isinstance(row, dict):
        raise SandboxError("error_param", "Wrong parameters, detail: order_list holds objects.")
    order = _order(ctx, str(row.get("order_sn", "")))
    number = str(row.get("package_number") or order.packages[0].package_number)
    package = next((p for p in order.packages if p.package_number == number), None)
    if package is None:
        raise SandboxError("error_param", f"Wrong parameters, detail: package_number {number} is not in this order.")
    return order, package


def _printable(ctx: Ctx, order: Order) -> str:
    """Why the air waybill cannot be printed now ("" when it can): after ship_order, before pickup."""
    status = order.status_at(ctx.now)
    if status in ("READY_TO_SHIP", "RETRY_SHIP", "UNPAID"):
        return "logistics.shipping_document_should_print_after_arrange_shipment"
    return "" if status == "PROCESSED" else "logistics.can_not_print_after_pickup"


def _rows(ctx: Ctx) -> list[Any]:
    rows = ctx.body.get("order_list")
    if not isinstance(rows, list) or not 1 <= len(rows) <= BATCH_MAX:
        raise SandboxError("error_param", f"Wrong parameters, detail: order_list must hold 1 to {BATCH_MAX} orders.")
    return rows


def create_document(ctx: Ctx) -> dict[str, Any]:
    results = []
    for row in _rows(ctx):
        order, package = _document_package(ctx, row)
        problem = _printable(ctx, order)
        if not problem:
            ctx.sb.documents[(order.order_sn, package.package_number)] = str(
                row.get("shipping_document_type") or "THERMAL_AIR_WAYBILL"
            )
        results.append({"order_sn": order.order_sn, "package_number": package.package_number,
                        "fail_error": problem, "fail_message": problem.replace("_", " ")})  # fmt: skip
    return {"result_list": results}


def document_result(ctx: Ctx) -> dict[str, Any]:
    results = []
    for row in _rows(ctx):
        order, package = _document_package(ctx, row)
        ready = (order.order_sn, package.package_number) in ctx.sb.documents
        results.append({"order_sn": order.order_sn, "package_number": package.package_number,
                        "status": "READY" if ready else "FAILED",
                        "fail_error": "" if ready else "logistics.shipping_document_not_created"})  # fmt: skip
    return {"result_list": results}


def download_document(ctx: Ctx) -> Response:
    """The air waybills of the listed packages as one PDF (Shopee serves the file itself, not an envelope)."""
    pages = []
    for row in _rows(ctx):
        order, package = _document_package(ctx, row)
        kind = ctx.sb.documents.get((order.order_sn, package.package_number))
        if kind is None or _printable(ctx, order):
            raise SandboxError("logistics.shipping_document_not_ready", "Create the shipping document first.")
        pages.append(
            [
                f"Shopee - {order.channel[0]}",
                f"Tracking {package.tracking_number}",
                f"Order {order.order_sn} / {package.package_number}",
                f"Ship to: {order.buyer_username}",
            ]
        )
    if len(pages) != 1:
        raise SandboxError("error_param", "Wrong parameters, detail: the sandbox downloads one package at a time.")
    return Response(documents.pdf(pages[0], "A6"), mimetype="application/pdf")


# -- products, money, returns --------------------------------------------------------------------------


def model_list(ctx: Ctx) -> dict[str, Any]:
    item_id = _int(ctx, "item_id")
    models = [m for m in ctx.shop.models if m.item_id == item_id]
    if not models:
        raise SandboxError("error_item_not_found", "Item_id is not found.", 404)
    rows = []
    for m in models:
        reserved = ctx.shop.reserved(m.model_id, ctx.now)
        available = max(ctx.shop.on_hand.get(m.model_id, 0) - reserved, 0)
        rows.append({
            "model_id": m.model_id, "model_sku": m.model_sku,
            "price_info": [{"current_price": float(m.price), "original_price": float(m.price)}],
            "stock_info_v2": {"summary_info": {"total_reserved_stock": reserved, "total_available_stock": available},
                              "seller_stock": [{"location_id": "", "stock": available}]},
        })  # fmt: skip
    return {"tier_variation": [], "model": rows}


def _released(ctx: Ctx, order: Order) -> int | None:
    completed = order.time_of("COMPLETED", ctx.now)
    return completed + 3600 if completed is not None and completed + 3600 <= ctx.now else None


def escrow_list(ctx: Ctx) -> dict[str, Any]:
    start, end = _range(ctx, "release_time_from", "release_time_to", "error_param")
    size, page = _page_size(ctx), _int(ctx, "page_no", required=False, default=1)
    rows = sorted(
        (released, o.order_sn)
        for o in _visible(ctx)
        if (released := _released(ctx, o)) is not None and start <= released <= end
    )
    chosen = rows[(page - 1) * size : page * size]
    escrows = [
        {"order_sn": sn, "payout_amount": float(escrow_amount(ctx.shop, ctx.shop.orders[sn], ctx.now)),
         "escrow_release_time": released}
        for released, sn in chosen
    ]  # fmt: skip
    return {"escrow_list": escrows, "more": page * size < len(rows)}


def escrow_detail(ctx: Ctx) -> dict[str, Any]:
    order = _order(ctx, ctx.args.get("order_sn", ""))
    if order.time_of("READY_TO_SHIP", ctx.now) is None:
        raise SandboxError("error_param", "Wrong parameters, detail: the order is not paid.")
    return {"order_sn": order.order_sn, "buyer_user_name": order.buyer_username,
            "return_order_sn_list": [r.return_sn for r in ctx.shop.returns.values() if r.order_sn == order.order_sn],
            "order_income": escrow_income(ctx.shop, order, ctx.now)}  # fmt: skip


def return_list(ctx: Ctx) -> dict[str, Any]:
    size, page = _page_size(ctx), _int(ctx, "page_no", required=False)
    fields = [f for f in ("create_time", "update_time") if ctx.args.get(f"{f}_from") or ctx.args.get(f"{f}_to")]
    spans = {f: _range(ctx, f"{f}_from", f"{f}_to", "error_param") for f in fields}
    rows = []
    for ret in ctx.shop.returns.values():
        if ret.create_time > ctx.now:
            continue
        times = {"create_time": ret.create_time, "update_time": ret.update_time(ctx.now)}
        if all(low <= times[f] <= high for f, (low, high) in spans.items()):
            rows.append(ret)
    rows.sort(key=lambda r: r.return_sn)
    chosen = rows[page * size : (page + 1) * size]
    market = ctx.shop.market
    returns = [
        {"return_sn": r.return_sn, "order_sn": r.order_sn, "status": r.status_at(ctx.now), "reason": r.reason,
         "refund_amount": float(r.refund), "currency": market.currency, "create_time": r.create_time,
         "update_time": r.update_time(ctx.now), "return_solution": 0}
        for r in chosen
    ]  # fmt: skip
    return {"more": (page + 1) * size < len(rows), "return": returns}


def _return(ctx: Ctx, return_sn: str) -> Any:
    found = next((r for r in ctx.shop.returns.values() if r.return_sn == return_sn), None)
    if found is None or found.create_time > ctx.now:
        raise SandboxError("error_not_found", f"Wrong parameters, detail: return_sn {return_sn!r} is not found.")
    return found


def return_detail(ctx: Ctx) -> dict[str, Any]:
    """The return with what the list leaves out: its items and `due_date`, when Shopee decides for the seller."""
    ret = _return(ctx, ctx.args.get("return_sn", ""))
    order = ctx.shop.orders[ret.order_sn]
    status = ret.status_at(ctx.now)
    items = [
        {"item_id": line.model.item_id, "model_id": line.model.model_id, "name": line.model.item_name,
         "item_sku": line.model.model_sku, "variation_sku": line.model.model_sku, "amount": 1,
         "item_price": float(line.discounted)}
        for line in order.lines[:1]
    ]  # fmt: skip
    return {"return_sn": ret.return_sn, "order_sn": ret.order_sn, "status": status, "reason": ret.reason,
            "text_reason": "", "refund_amount": float(ret.refund), "currency": ctx.shop.market.currency,
            "create_time": ret.create_time, "update_time": ret.update_time(ctx.now), "return_solution": 0,
            "due_date": ret.due_date() if status == "REQUESTED" else 0, "item": items}  # fmt: skip


def return_confirm(ctx: Ctx) -> dict[str, Any]:
    """The seller accepts the request (v2.returns.confirm): ACCEPTED now, CLOSED once refunded."""
    ret = _return(ctx, str(ctx.body.get("return_sn") or ""))
    if ret.status_at(ctx.now) != "REQUESTED":
        raise SandboxError(
            "returns.status_not_allowed", f"The return is {ret.status_at(ctx.now)}; it cannot be confirmed."
        )
    ret.plan = [(w, s) for w, s in ret.plan if w <= ctx.now] + [(ctx.now, "ACCEPTED"), (ctx.now + 2 * 86400, "CLOSED")]
    return {"return_sn": ret.return_sn}


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler


ROUTES = {
    route.path: route
    for route in (
        Route("GET", "/api/v2/shop/get_shop_info", shop_info),
        Route("GET", "/api/v2/merchant/get_merchant_info", merchant_info),
        Route("POST", "/api/v2/push/set_app_push_config", set_push_config),
        Route("GET", "/api/v2/order/get_order_list", order_list),
        Route("GET", "/api/v2/order/get_order_detail", order_detail),
        Route("GET", "/api/v2/logistics/get_channel_list", channel_list),
        Route("GET", "/api/v2/logistics/get_shipping_parameter", shipping_parameter),
        Route("POST", "/api/v2/logistics/ship_order", ship_order),
        Route("POST", "/api/v2/logistics/get_mass_tracking_number", mass_tracking_number),
        Route("GET", "/api/v2/logistics/get_tracking_info", tracking_info),
        Route("POST", "/api/v2/logistics/create_shipping_document", create_document),
        Route("POST", "/api/v2/logistics/get_shipping_document_result", document_result),
        Route("POST", "/api/v2/logistics/download_shipping_document", download_document),
        Route("GET", "/api/v2/product/get_model_list", model_list),
        Route("GET", "/api/v2/payment/get_escrow_list", escrow_list),
        Route("GET", "/api/v2/payment/get_escrow_detail", escrow_detail),
        Route("GET", "/api/v2/returns/get_return_list", return_list),
        Route("GET", "/api/v2/returns/get_return_detail", return_detail),
        Route("POST", "/api/v2/returns/confirm", return_confirm),
    )
}


# -- the request pipeline ------------------------------------------------------------------------------


def _common(sb: ShopeeSandbox, args: dict[str, str], now: int, path: str) -> Level:
    """partner_id, timestamp and sign, in the order Shopee checks them; returns the API's level."""
    if not args.get("partner_id"):
        raise SandboxError("error_param", "There is no partner_id in query.")
    if args["partner_id"] != sb.partner_id:
        raise SandboxError("error_auth", "partner_id is invalid", 403)
    stamp = args.get("timestamp", "")
    if not stamp.isdigit():
        raise SandboxError("error_param", "no timestamp")
    if abs(int(stamp) - now) > TIMESTAMP_SKEW:
        raise SandboxError("error_param", "Timestamp is expired.")
    if not args.get("sign"):
        raise SandboxError("error_param", "There is no sign in query.")
    level = level_of(path)
    scope = {Level.SHOP: args.get("shop_id", ""), Level.MERCHANT: args.get("merchant_id", "")}.get(level, "")
    token = args.get("access_token", "") if level is not Level.PUBLIC else ""
    expected = sign(sb.partner_key, base_string(sb.partner_id, path, int(stamp), token, scope))
    if not hmac.compare_digest(expected, args["sign"]):
        raise SandboxError("error_sign", "Wrong sign.", 403)
    return level


def _grant(sb: ShopeeSandbox, args: dict[str, str], level: Level, now: int) -> tuple[Shop | None, str]:
    """The shop (or merchant) the access token may act for."""
    key = "shop_id" if level is Level.SHOP else "merchant_id"
    if not args.get("access_token"):
        raise SandboxError("error_param", "There is no access_token in query.")
    if not args.get(key, "").isdigit():
        raise SandboxError("error_param", f"There is no {key} in query.")
    grant: Grant | None = sb.access_tokens.get(args["access_token"])
    scope = args[key]
    covered = grant is not None and (scope in grant.shop_ids if level is Level.SHOP else scope in grant.merchant_ids)
    if grant is None or not covered or grant.authorization.revoked or grant.expires_at <= now:
        raise SandboxError("error_auth", "Invalid access_token.", 403)
    if level is Level.MERCHANT:
        return None, scope
    shop = sb.shops.get(int(scope))
    if shop is None:
        raise SandboxError("error_shop_not_found", "Shop is not found.", 404)
    return shop, ""


def _body() -> dict[str, Any]:
    raw = request.get_data()
    if request.method == "GET" or not raw:
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise SandboxError("error_param", "Wrong parameters, detail: the body is not JSON.") from exc
    if not isinstance(body, dict):
        raise SandboxError("error_param", "Wrong parameters, detail: the body must be a JSON object.")
    return body


def _consent_page(sb: ShopeeSandbox, args: dict[str, str], now: int) -> Response:
    """The seller's consent: Shopee shows a login and confirm page, then redirects with the code."""
    _common(sb, args, now, request.path)
    redirect = args.get("redirect", "")
    if not redirect.startswith(("http://", "https://")):
        raise SandboxError("error_param", "Wrong parameters, detail: redirect is required.")
    if sb.consenting is None:
        raise SandboxError("error_auth", "No seller is signed in to the sandbox's consent page.", 403)
    code, who = sb.consent(sb.consenting)
    parts = urlsplit(redirect)
    query = urlencode([*parse_qsl(parts.query), ("code", code), *who.items()])
    return Response(status=302, headers={"Location": urlunsplit(parts._replace(query=query))})


def create_app(sb: ShopeeSandbox) -> Flask:
    app = Flask("shopee_sandbox")

    def envelope(error: str, message: str, data: dict[str, Any], status: int, *, top_level: bool = False) -> Response:
        request_id = f"{datetime.now(UTC):%Y%m%d%H%M%S}{sb.counters.total:08d}"
        body: dict[str, Any] = {"request_id": request_id, "error": error, "message": message}
        if top_level:
            body |= data
        elif not error:
            body |= {"warning": "", "response": data}
        return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")

    @app.route("/<path:_path>", methods=["GET", "POST"])
    def api(_path: str) -> Response:
        with sb.lock:
            sb.counters.total += 1
            sb.counters.by_path[request.path] += 1
            call_number = sb.counters.total
        sb.faults.wait()
        args = request.args.to_dict()
        is_auth = request.path.startswith(("/api/v2/auth/", "/api/v2/shop/auth_partner"))
        fault = None if is_auth else sb.faults.status_for(call_number)
        with sb.lock:
            now = sb.now()
            error = ""
            try:
                if fault == 429:
                    raise SandboxError("error_rate_limit", "Too many requests. Please try again later.", 429)
                if fault is not None:
                    raise SandboxError("error_server", "Something wrong. Please try later.", fault)
                if request.path == "/api/v2/shop/auth_partner":
                    response = _consent_page(sb, args, now)
                elif request.path in ("/api/v2/auth/token/get", "/api/v2/auth/access_token/get"):
                    if request.method != "POST":
                        raise SandboxError("error_param", "Permission denied. Use POST.", 405)
                    _common(sb, args, now, request.path)
                    response = envelope("", "", sb.token_call(request.path, _body(), now), 200, top_level=True)
                else:
                    route = ROUTES.get(request.path)
                    if route is None or route.method != request.method:
                        raise SandboxError(
                            "error_param",
                            "Permission denied. This API is currently offline or the request path is incorrect.",
                            404,
                        )
                    level = _common(sb, args, now, request.path)
                    shop, merchant = (None, "") if level is Level.PUBLIC else _grant(sb, args, level, now)
                    ctx = Ctx(sb, shop, merchant, args, _body(), now)
                    answer = route.handler(ctx)
                    response = answer if isinstance(answer, Response) else envelope("", "", answer, 200)
            except SandboxError as exc:
                error = exc.error
                sb.counters.faults_injected += fault is not None
                response = envelope(exc.error, exc.message, {}, exc.status)
            sb.counters.by_code[error] += 1
            sb.log.append(LoggedRequest(request.method, request.path, args, response.status_code, error))
        return response

    return app
