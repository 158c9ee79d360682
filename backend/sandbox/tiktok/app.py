"""The sandbox's HTTP face: TikTok's checks in TikTok's order, a route table, TikTok's envelope."""

from __future__ import annotations

import hmac
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, request

from backend.platforms.tiktok.signing import TOKEN_HEADER, is_multipart, sign
from backend.platforms.tiktok.webhooks import EVENT_CODES
from backend.sandbox.tiktok import after_sales, consent, fulfillment
from backend.sandbox.tiktok.records import Authorization, LoggedRequest
from backend.sandbox.tiktok.render import order_settlement, order_transaction, render_order
from backend.sandbox.tiktok.routing import Ctx, Route, SandboxError, api_route, paginate
from backend.sandbox.tiktok.world import DAY, Order, Shop, sum_amounts

if TYPE_CHECKING:
    from backend.sandbox.tiktok_shop import TikTokShopSandbox

DETAIL_IDS_MAX = 50
INVENTORY_IDS_MAX = 100  # per list; TikTok's exact cap is UNCONFIRMED


# -- handlers -------------------------------------------------------------------------------------


def shops(ctx: Ctx) -> dict[str, Any]:
    return {"shops": [ctx.sb.shops[s].region_json() for s in ctx.authorization.shop_ids]}


def get_webhooks(ctx: Ctx) -> dict[str, Any]:
    subs = ctx.sb.subscriptions.get(ctx.shop.shop_id, {})
    rows = [{"event_type": e, "address": a, "create_time": ctx.now, "update_time": ctx.now} for e, a in subs.items()]
    return {"webhooks": rows, "total_count": len(rows)}


def put_webhook(ctx: Ctx) -> dict[str, Any]:
    address, event_type = ctx.body.get("address"), ctx.body.get("event_type")
    if not address:
        raise SandboxError(36009004, "param body.address is missing")
    if event_type not in EVENT_CODES or len(str(address)) > 255:
        raise SandboxError(36009004, "Invalid param: event_type or address.")
    ctx.sb.subscriptions.setdefault(ctx.shop.shop_id, {})[str(event_type)] = str(address)
    return {}


def delete_webhook(ctx: Ctx) -> dict[str, Any]:
    ctx.sb.subscriptions.get(ctx.shop.shop_id, {}).pop(str(ctx.body.get("event_type")), None)
    return {}


def _bounds(ctx: Ctx, name: str, source: dict[str, Any]) -> tuple[int, int]:
    return int(source.get(f"{name}_ge") or 0), int(source.get(f"{name}_lt") or ctx.now + 1)


def search_orders(ctx: Ctx) -> dict[str, Any]:
    sort_field = ctx.args.get("sort_field", "create_time")
    if sort_field not in ("create_time", "update_time"):
        raise SandboxError(36009004, "Invalid param: sort_field.")
    created, updated = _bounds(ctx, "create_time", ctx.body), _bounds(ctx, "update_time", ctx.body)
    wanted = ctx.body.get("order_status")
    rows = []
    for order in ctx.shop.orders.values():
        update_time = order.update_time(ctx.now)
        if order.create_time > ctx.now or not created[0] <= order.create_time < created[1]:
            continue
        if not updated[0] <= update_time < updated[1] or (wanted and order.status_at(ctx.now) != wanted):
            continue
        rows.append((order.create_time if sort_field == "create_time" else update_time, order))
    descending = ctx.args.get("sort_order", "DESC") == "DESC"
    page, token = paginate(ctx, rows, lambda r: [r[0], r[1].order_id], descending)
    orders = [render_order(ctx.shop, order, ctx.now) for _, order in page]
    return {"orders": orders, "next_page_token": token, "total_count": len(rows)}


def _own_order(ctx: Ctx, order_id: str) -> Order:
    order = ctx.shop.orders.get(order_id)
    if order is None or order.create_time > ctx.now:
        raise SandboxError(21008111, "The order or package does not belong to the current seller.")
    return order


def order_detail(ctx: Ctx) -> dict[str, Any]:
    ids = [i for i in ctx.args.get("ids", "").split(",") if i]
    if not 1 <= len(ids) <= DETAIL_IDS_MAX:
        raise SandboxError(36009004, f"Invalid param: ids must hold 1 to {DETAIL_IDS_MAX} order ids.")
    return {"orders": [render_order(ctx.shop, _own_order(ctx, i), ctx.now) for i in ids]}


def _settled(ctx: Ctx) -> dict[int, list[Order]]:
    """Completed orders land on the next 00:00 UTC statement; only past statements exist."""
    statements: dict[int, list[Order]] = {}
    for order in ctx.shop.orders.values():
        completed = order.time_of("COMPLETED", ctx.now)
        if completed is not None:
            statement_time = (completed // DAY + 1) * DAY
            if statement_time <= ctx.now:
                statements.setdefault(statement_time, []).append(order)
    return statements


def _statement_id(shop: Shop, statement_time: int) -> str:
    return f"{shop.shop_id[-6:]}{statement_time}"


def _require_sort(ctx: Ctx, field: str) -> None:
    if ctx.args.get("sort_field") != field:
        raise SandboxError(36009004, f"Invalid param: sort_field is required and must be {field}.")


def statements(ctx: Ctx) -> dict[str, Any]:
    _require_sort(ctx, "statement_time")
    low, high = _bounds(ctx, "statement_time", ctx.args)
    rows = []
    for when, orders in _settled(ctx).items():
        if low <= when < high:
            t = sum_amounts(order_transaction(ctx.shop, o, "") for o in orders)
            rows.append(
                {
                    "id": _statement_id(ctx.shop, when),
                    "statement_time": when,
                    "currency": ctx.shop.market.currency,
                    "revenue_amount": t["revenue_amount"],
                    "shipping_cost_amount": t["shipping_cost_amount"],
                    "fee_amount": t["fee_tax_amount"],
                    "adjustment_amount": "0",
                    "net_sales_amount": t["revenue_amount"],
                    "settlement_amount": t["settlement_amount"],
                    "payment_status": "PAID",
                    "payment_id": f"P{when}",
                }
            )
    page, token = paginate(ctx, rows, lambda r: [r["statement_time"]], ctx.args.get("sort_order") == "DESC")
    return {"statements": page, "next_page_token": token}


def statement_transactions(ctx: Ctx) -> dict[str, Any]:
    _require_sort(ctx, "order_create_time")
    orders = next(
        (o for w, o in _settled(ctx).items() if _statement_id(ctx.shop, w) == ctx.params["statement_id"]), None
    )
    if orders is None:
        raise SandboxError(36009004, "Invalid param: statement_id.")
    rows = [order_transaction(ctx.shop, o, "T") for o in orders]
    page, token = paginate(ctx, rows, lambda r: [r["order_create_time"], r["order_id"]])
    return {"transactions": page, "next_page_token": token}


def order_transactions(ctx: Ctx) -> dict[str, Any]:
    order = _own_order(ctx, ctx.params["order_id"])
    for when, orders in _settled(ctx).items():
        if order in orders:
            return order_settlement(ctx.shop, order, _statement_id(ctx.shop, when))
    return {"order_id": order.order_id, "sku_transactions": []}  # not settled yet (real shape UNCONFIRMED)


def unsettled(ctx: Ctx) -> dict[str, Any]:
    _require_sort(ctx, "order_create_time")
    low, high = _bounds(ctx, "search_time", ctx.args)
    settled = {o.order_id for orders in _settled(ctx).values() for o in orders}
    rows = [
        order_transaction(ctx.shop, o, "U")
        for o in ctx.shop.orders.values()
        if low <= o.create_time < min(high, ctx.now + 1)
        and o.order_id not in settled
        and o.status_at(ctx.now) not in ("UNPAID", "CANCELLED")
    ]
    page, token = paginate(ctx, rows, lambda r: [r["order_create_time"], r["order_id"]])
    return {"transactions": page, "next_page_token": token}


def search_inventory(ctx: Ctx) -> dict[str, Any]:
    """Stock of the shop's SKUs in its one warehouse: available = on hand − committed to unshipped orders."""
    wanted = {name: ctx.body.get(name) or [] for name in ("sku_ids", "product_ids")}
    for name, ids in wanted.items():
        if not isinstance(ids, list) or not all(isinstance(i, str) and i for i in ids):
            raise SandboxError(36009004, f"Invalid param: {name} must be a list of id strings.")
        if len(ids) > INVENTORY_IDS_MAX:
            raise SandboxError(36009004, f"Invalid param: {name} holds at most {INVENTORY_IDS_MAX} ids.")
    if not wanted["sku_ids"] and not wanted["product_ids"]:
        raise SandboxError(36009004, "Invalid param: one of sku_ids or product_ids is required.")
    products: dict[str, list[dict[str, Any]]] = {}
    for sku in ctx.shop.catalog:
        if sku.sku_id not in wanted["sku_ids"] and sku.product_id not in wanted["product_ids"]:
            continue
        committed = ctx.shop.committed(sku.sku_id, ctx.now)
        available = max(ctx.shop.on_hand.get(sku.sku_id, 0) - committed, 0)
        products.setdefault(sku.product_id, []).append({
            "id": sku.sku_id, "seller_sku": sku.seller_sku,
            "total_available_quantity": available, "total_committed_quantity": committed,
            "warehouse_inventory": [{"warehouse_id": ctx.shop.warehouse_id, "available_quantity": available,
                                     "committed_quantity": committed}],
        })  # fmt: skip
    return {"inventory": [{"product_id": p, "skus": skus} for p, skus in products.items()]}


ROUTES = (
    api_route("GET", "/authorization/202309/shops", shops, shop_scoped=False),
    api_route("GET", "/event/202309/webhooks", get_webhooks),
    api_route("PUT", "/event/202309/webhooks", put_webhook),
    api_route("DELETE", "/event/202309/webhooks", delete_webhook),
    api_route("POST", "/order/202309/orders/search", search_orders),
    api_route("GET", "/order/202309/orders", order_detail),
    api_route("GET", "/finance/202309/statements", statements),
    api_route("GET", "/finance/202501/statements/{statement_id}/statement_transactions", statement_transactions),
    api_route("GET", "/finance/202501/orders/{order_id}/statement_transactions", order_transactions),
    api_route("GET", "/finance/202507/orders/unsettled", unsettled),
    api_route("POST", "/product/202309/inventory/search", search_inventory),
    *fulfillment.ROUTES,
    *after_sales.ROUTES,
)


# -- the request pipeline -----------------------------------------------------------------------------


def _match(method: str, path: str) -> tuple[Route, dict[str, str]]:
    candidates = [(r, m) for r in ROUTES if (m := r.pattern.match(path))]
    if not candidates:
        raise SandboxError(36009009, "Invalid path. Please check the API path.", 404)
    for route, found in candidates:
        if route.method == method:
            return route, found.groupdict()
    raise SandboxError(36009010, "Invalid HTTP method for this path.", 405)


def _verify(sb: TikTokShopSandbox, args: dict[str, str], now: int) -> Authorization:
    """App key, sign presence, timestamp window, signature, then the token header, as TikTok orders them."""
    if args.get("app_key") != sb.app_key:
        raise SandboxError(36009004, "Invalid credentials. The app_key is invalid.", 400)
    if not args.get("sign"):
        raise SandboxError(36009004, "Missing credentials. The sign query parameter is missing.", 401)
    stamp = args.get("timestamp", "")
    if not (stamp.isdigit() and len(stamp) == 10):
        raise SandboxError(36009004, "Invalid timestamp. Use Unix time in seconds (10 digits).", 400)
    if int(stamp) < now - 300:
        raise SandboxError(
            36009004, "Invalid timestamp. The timestamp is more than 5 minutes earlier than the server time."
        )
    if int(stamp) > now + 30:
        raise SandboxError(
            36009004, "Invalid timestamp. The timestamp is more than 30 seconds later than the server time."
        )
    expected = sign(sb.app_secret, request.path, args, request.get_data(), request.headers.get("Content-Type", ""))
    if not hmac.compare_digest(expected, args["sign"]):
        raise SandboxError(106001, "Invalid credentials. The sign query parameter is invalid.", 401)
    token = request.headers.get(TOKEN_HEADER)
    if not token:
        where = " (access_token in the query is not accepted)" if "access_token" in args else ""
        raise SandboxError(36009004, f"Missing credentials. The x-tts-access-token header is required{where}.", 401)
    grant = sb.access_tokens.get(token)
    if grant is None or grant.authorization.revoked:
        raise SandboxError(36009004, "Invalid credentials. The access_token or x-tts-access-token is invalid.", 401)
    if grant.expires_at <= now:
        raise SandboxError(
            105002, "Expired credentials. The access_token or x-tts-access-token header has expired.", 401
        )
    return grant.authorization


def _shop(sb: TikTokShopSandbox, route: Route, args: dict[str, str], authorization: Authorization) -> Shop | None:
    cipher = args.get("shop_cipher")
    if not route.shop_scoped:
        if cipher:
            raise SandboxError(
                36009004, "Unexpected identifier. The shop_cipher query parameter is not required for this request."
            )
        return None
    if not cipher:
        raise SandboxError(106013, "Missing identifier. The shop_cipher query parameter is required for this request.")
    shop = next((sb.shops[s] for s in authorization.shop_ids if sb.shops[s].cipher == cipher), None)
    if shop is None:
        raise SandboxError(36009004, "Invalid identifier. The shop_cipher is not authorized for this token.")
    return shop


def _body() -> dict[str, Any]:
    raw = request.get_data()
    if request.method in ("GET",) or not raw:
        return {}
    if is_multipart(request.content_type or "") or (request.mimetype or "") != "application/json":
        raise SandboxError(36009022, "The request body must be JSON (Content-Type: application/json).")
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise SandboxError(36009022, "The request body must be valid JSON.") from exc
    if not isinstance(body, dict):
        raise SandboxError(36009022, "The request body must be a JSON object.")
    return body


def _token(sb: TikTokShopSandbox, grant_kind: str, args: dict[str, str], now: int) -> dict[str, Any]:
    """Token host: unsigned GETs with app_key/app_secret; codes single-use, refresh tokens rotate."""
    if args.get("app_key") != sb.app_key or args.get("app_secret") != sb.app_secret:
        raise SandboxError(36004004 if grant_kind == "get" else 36004005, "Invalid app_key or app_secret.")
    if grant_kind == "get":
        grant = sb.codes.get(args.get("auth_code", ""))
        if args.get("grant_type") != "authorized_code" or grant is None or grant.spent or grant.expires_at <= now:
            raise SandboxError(36004004, "Invalid auth code.")
    else:
        grant = sb.refresh_tokens.get(args.get("refresh_token", ""))
        if args.get("grant_type") != "refresh_token" or grant is None or grant.spent or grant.authorization.revoked:
            raise SandboxError(36004005, "can not find related auth record")
        if grant.expires_at <= now:
            raise SandboxError(36004001, "rt has expired")
    grant.spent = True
    return sb.issue_tokens(grant.authorization)


def create_app(sb: TikTokShopSandbox) -> Flask:
    app = Flask("tiktok_shop_sandbox")

    def envelope(code: int, message: str, data: dict[str, Any], status: int) -> Response:
        request_id = f"{datetime.now(UTC):%Y%m%d%H%M%S}{sb.counters.total:08d}"
        body = {"code": code, "message": message, "request_id": request_id, "data": data}
        return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")

    @app.get("/sandbox/documents/<package_id>")
    def shipping_document(package_id: str) -> Response:
        return fulfillment.document(sb, package_id)

    @app.get("/open/authorize")
    def consent_page() -> Response:
        """The seller's consent page: a seller account authorizes all its shops for the app (service_id)."""
        return consent.page(sb, request.args.get("service_id", ""), request.args.get("state", ""))

    @app.post("/open/authorize")
    def consent_given() -> Response:
        return consent.approve(sb, request.form.get("seller", ""), request.form.get("state", ""))

    @app.route("/<path:_path>", methods=["GET", "POST", "PUT", "DELETE"])
    def api(_path: str) -> Response:
        with sb.lock:
            sb.counters.total += 1
            sb.counters.by_path[request.path] += 1
            call_number = sb.counters.total
        sb.faults.wait()
        args = request.args.to_dict()
        is_token = request.path.startswith("/api/v2/token/")
        fault = None if is_token else sb.faults.status_for(call_number)
        with sb.lock:
            now = sb.now()
            try:
                if fault == 429:
                    raise SandboxError(36009002, "Too many requests. Please retry later.", 429)
                if fault is not None:
                    raise SandboxError(36009003, "Internal error. Please try again.", fault)
                if is_token:
                    kind = request.path.rsplit("/", 1)[-1]
                    if kind not in ("get", "refresh"):
                        raise SandboxError(36009009, "Invalid path. Please check the API path.", 404)
                    response = envelope(0, "success", _token(sb, kind, args, now), 200)
                else:
                    route, params = _match(request.method, request.path)
                    authorization = _verify(sb, args, now)
                    shop = _shop(sb, route, args, authorization)
                    if route.scope and route.scope not in authorization.scopes:
                        raise SandboxError(105005, "Access denied. You should apply auth pkg for this api.", 403)
                    ctx = Ctx(sb, authorization, shop, args, _body(), params, now)
                    response = envelope(0, "Success", route.handler(ctx), 200)
                code = 0
            except SandboxError as exc:
                code = exc.code
                sb.counters.faults_injected += fault is not None
                response = envelope(exc.code, exc.message, {}, exc.status)
            sb.counters.by_code[code] += 1
            sb.log.append(LoggedRequest(request.method, request.path, args, response.status_code, code))
        return response

    return app
