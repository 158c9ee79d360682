"""The sandbox's Return & Refund API: cancellation, return, refund and replacement requests on the clock.

A case carries a plan of (instant, status, who) like an order does, so moving the sandbox clock moves it.
Entering a status that waits for the seller also plans what TikTok does when nobody answers by the
deadline ("If there is no response within 48 hours, TikTok Shop will automatically approve": Return,
refund, and cancel API overview; 24 hours for a replacement); a decision replaces that future. Actions
a status does not allow are refused with TikTok's codes; a write's idempotency_key acts once; every
status change is pushed as CANCELLATION_STATUS_CHANGE or RETURN_STATUS_CHANGE.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flask import request

from backend.sandbox.tiktok.routing import Ctx, Route, SandboxError, api_route, paginate
from backend.sandbox.tiktok.world import DAY, HOUR, Order, Shop, cents

if TYPE_CHECKING:
    from backend.sandbox.tiktok_shop import TikTokShopSandbox

SCOPE = "seller.return_refund.basic"
RESPONSE_WINDOW = 2 * DAY  # to answer a buyer's cancellation, refund or return request
REPLACEMENT_WINDOW = DAY
RECEIVE_WINDOW = 2 * DAY  # to accept or reject the parcel, once it is delivered back
RETURN_TRANSIT = DAY  # from the buyer's drop-off to the parcel's delivery at the seller's
REFUND_DELAY = HOUR  # from the approval to the refund reaching the buyer
PARTIAL_CANCEL_MARKETS = frozenset({"US", "GB"})  # line-level seller cancellation
REPLACEMENT_MARKETS = frozenset({"GB", "MY"})  # UNCONFIRMED: where buyers may ask for a replacement

C_PENDING, C_SUCCESS = "CANCELLATION_REQUEST_PENDING", "CANCELLATION_REQUEST_SUCCESS"
C_COMPLETE, C_CANCEL = "CANCELLATION_REQUEST_COMPLETE", "CANCELLATION_REQUEST_CANCEL"
R_PENDING, R_REJECT = "RETURN_OR_REFUND_REQUEST_PENDING", "REFUND_OR_RETURN_REQUEST_REJECT"
AWAITING_SHIP, SHIPPED, PARCEL_REJECT = "AWAITING_BUYER_SHIP", "BUYER_SHIPPED_ITEM", "REJECT_RECEIVE_PACKAGE"
R_SUCCESS, R_CANCEL = "RETURN_OR_REFUND_REQUEST_SUCCESS", "RETURN_OR_REFUND_REQUEST_CANCEL"
R_COMPLETE = "RETURN_OR_REFUND_REQUEST_COMPLETE"
X_PENDING, X_REJECT = "REPLACEMENT_REQUEST_PENDING", "REPLACEMENT_REQUEST_REJECT"
X_COMPLETE, X_CANCEL = "REPLACEMENT_REQUEST_COMPLETE", "REPLACEMENT_REQUEST_CANCEL"
WAITING = frozenset({C_PENDING, R_PENDING, X_PENDING, SHIPPED})
CLOSED = frozenset({C_COMPLETE, C_CANCEL, R_COMPLETE, R_CANCEL, X_COMPLETE, X_CANCEL})

# Per market lists (docv2 cancel-, return- and refund-reasons); `GET reject_reasons` serves the one
# that fits the case's waiting status. UNCONFIRMED texts: the names follow TikTok's US list.
REJECT_REASONS: dict[str, tuple[tuple[str, str], ...]] = {
    "cancel": (
        ("seller_reject_apply_product_has_been_packed", "The product has been packed"),
        ("seller_reject_apply_product_has_been_shipped", "The product has already been shipped"),
        ("seller_reject_apply_buyer_agreed_to_keep", "The buyer agreed to keep the order"),
    ),
    "request": (
        ("reverse_reject_request_reason_1", "The item matches its description"),
        ("reverse_reject_request_reason_2", "The return window has passed"),
        ("reverse_reject_request_reason_3", "The item was used or damaged by the buyer"),
        ("reverse_reject_request_reason_4", "Not enough evidence for the request"),
        ("reverse_reject_request_reason_5", "Agreed another solution with the buyer"),
    ),
    "parcel": (
        ("reverse_reject_return_parcel_reason_1", "The returned item is damaged"),
        ("reverse_reject_return_parcel_reason_2", "The returned item is not the one sold"),
        ("reverse_reject_return_parcel_reason_3", "Items are missing from the parcel"),
        ("reverse_reject_return_parcel_reason_4", "The parcel was empty"),
        ("reverse_reject_return_parcel_reason_5", "The item was used"),
    ),
}
REASON_LIST = {C_PENDING: "cancel", R_PENDING: "request", X_PENDING: "request", SHIPPED: "parcel"}


@dataclass
class Case:
    """One request. `plan` holds (instant, status, who); the status at any instant is read off it."""

    case_id: str
    kind: str  # cancel | return (TikTok's two id spaces and endpoint groups)
    order_id: str
    type: str  # CANCEL | REFUND | RETURN_AND_REFUND | REPLACEMENT
    role: str  # who opened it: BUYER | SELLER | SYSTEM
    reason: str
    reason_text: str
    line_ids: list[str]
    create_time: int
    plan: list[tuple[int, str, str]] = field(default_factory=list)
    tracking: str = ""
    delivered_back: int | None = None
    restore: list[tuple[int, str]] | None = None  # the order's future a pending cancellation set aside
    restore_cancel: tuple[str, str] | None = None

    def status_at(self, now: int) -> str:
        return next((status for when, status, _ in reversed(self.plan) if when <= now), self.plan[0][1])

    def entered_at(self, now: int) -> int:
        return next(when for when, _, _ in reversed(self.plan) if when <= now)

    def update_time(self, now: int) -> int:
        return self.entered_at(now)

    def next_action(self, now: int) -> tuple[str, int] | None:
        """What the seller owes now and TikTok's deadline for it."""
        status = self.status_at(now)
        if status == C_PENDING:
            return "SELLER_RESPOND_CANCEL", self.entered_at(now) + RESPONSE_WINDOW
        if status == R_PENDING:
            action = "SELLER_RESPOND_REFUND" if self.type == "REFUND" else "SELLER_RESPOND_RETURN"
            return action, self.entered_at(now) + RESPONSE_WINDOW
        if status == X_PENDING:
            return "SELLER_RESPOND_REPLACEMENT", self.entered_at(now) + REPLACEMENT_WINDOW
        if status == SHIPPED and self.delivered_back is not None:
            return "SELLER_RESPOND_RECEIVE_PACKAGE", self.delivered_back + RECEIVE_WINDOW
        return None

    def move(self, now: int, steps: Sequence[tuple[int, str, str]]) -> None:
        """Replace the case's future (what TikTok had planned) by `steps`."""
        self.plan = [p for p in self.plan if p[0] <= now] + list(steps)


# -- what TikTok does on its own, and on the seller's decisions ----------------------------------------


def _enter(case: Case, when: int, status: str, who: str) -> list[tuple[int, str, str]]:
    """`status` from `when`, then what TikTok does if the seller lets the deadline pass."""
    steps = [(when, status, who)]
    if status == C_PENDING:
        steps += [
            (when + RESPONSE_WINDOW, C_SUCCESS, "SYSTEM"),
            (when + RESPONSE_WINDOW + REFUND_DELAY, C_COMPLETE, "SYSTEM"),
        ]
    elif status == R_PENDING and case.type == "REFUND":
        steps += [
            (when + RESPONSE_WINDOW, R_SUCCESS, "SYSTEM"),
            (when + RESPONSE_WINDOW + REFUND_DELAY, R_COMPLETE, "SYSTEM"),
        ]
    elif status == R_PENDING:
        steps.append((when + RESPONSE_WINDOW, AWAITING_SHIP, "SYSTEM"))
    elif status == X_PENDING:
        steps.append((when + REPLACEMENT_WINDOW, X_COMPLETE, "SYSTEM"))
    elif status == SHIPPED and case.delivered_back is not None:
        deadline = case.delivered_back + RECEIVE_WINDOW
        steps += [(deadline, R_SUCCESS, "SYSTEM"), (deadline + REFUND_DELAY, R_COMPLETE, "SYSTEM")]
    elif status in (C_SUCCESS, R_SUCCESS):
        steps.append((when + REFUND_DELAY, C_COMPLETE if status == C_SUCCESS else R_COMPLETE, "SYSTEM"))
    return steps


def _cancel_order_at(order: Order, when: int) -> None:
    """The order ends CANCELLED at `when` (its remaining plan was set aside when the request came)."""
    order.plan = [(w, s) for w, s in order.plan if w < when] + [(when, "CANCELLED")]


def _restore_order(order: Order, case: Case, now: int) -> None:
    """A refused cancellation: the order goes on as it would have, its steps moved past now if they were due."""
    ahead = case.restore or []
    shift = max(0, now + 60 - ahead[0][0]) if ahead else 0
    order.plan = [(w, s) for w, s in order.plan if w <= now and s != "CANCELLED"] + [(w + shift, s) for w, s in ahead]
    order.cancel, order.touched = case.restore_cancel, now


def decide(sb: TikTokShopSandbox, shop: Shop, case: Case, decision: str, now: int) -> None:
    """Apply a seller's approve/reject decision (already checked against the case's status)."""
    status, order = case.status_at(now), shop.orders[case.order_id]
    approve = decision.startswith("APPROVE")
    if status == C_PENDING:
        if approve:
            case.move(now, _enter(case, now, C_SUCCESS, "SELLER"))
            _cancel_order_at(order, now)
        else:
            case.move(now, [(now, C_CANCEL, "SELLER")])
            _restore_order(order, case, now)
        sb._order_event(shop, order, now)
    elif status == SHIPPED:
        case.move(now, _enter(case, now, R_SUCCESS, "SELLER") if approve else [(now, PARCEL_REJECT, "SELLER")])
    elif case.type == "REPLACEMENT":
        case.move(now, [(now, X_COMPLETE if approve else X_REJECT, "SELLER")])
    elif not approve:
        case.move(now, [(now, R_REJECT, "SELLER")])
    elif case.type == "REFUND":
        case.move(now, _enter(case, now, R_SUCCESS, "SELLER"))
    else:
        case.move(now, [(now, AWAITING_SHIP, "SELLER")])
    case_event(sb, shop, case, now)


def case_event(sb: TikTokShopSandbox, shop: Shop, case: Case, when: int) -> None:
    """The push TikTok sends on every status change of a request (docv2 webhooks 11 and 12)."""
    status = case.status_at(when)
    if case.kind == "cancel":
        data: dict[str, object] = {"order_id": case.order_id, "cancel_id": case.case_id,
                                   "cancellations_role": case.role, "cancel_status": status,
                                   "create_time": case.create_time}  # fmt: skip
        sb.emit(shop, "CANCELLATION_STATUS_CHANGE", data)
    else:
        data = {"order_id": case.order_id, "return_id": case.case_id, "return_role": case.role,
                "return_type": case.type, "return_status": status, "create_time": case.create_time,
                "update_time": when}  # fmt: skip
        sb.emit(shop, "RETURN_STATUS_CHANGE", data)


def passed(sb: TikTokShopSandbox, shop: Shop, old: int, new: int) -> None:
    """The clock moved from `old` to `new`: push every planned change on the way (auto-approvals too)."""
    for case in shop.cases.values():
        for when, _, _ in case.plan:
            if old < when <= new:
                case_event(sb, shop, case, when)


def shipped(sb: TikTokShopSandbox, shop: Shop, order: Order, now: int) -> None:
    """US rule (changelog 2024-01): shipping while a buyer's cancellation waits rejects the cancellation."""
    for case in shop.cases.values():
        if case.order_id == order.order_id and case.status_at(now) == C_PENDING:
            case.move(now, [(now, C_CANCEL, "SYSTEM")])
            order.cancel = case.restore_cancel
            case_event(sb, shop, case, now)


# -- opening requests (what buyers do; the sandbox's driving methods call these) --------------------------


def _lines(order: Order, line_ids: Sequence[str] | None) -> list[str]:
    ids = [line.line_id for line in order.lines] if not line_ids else list(line_ids)
    unknown = set(ids) - {line.line_id for line in order.lines}
    if unknown:
        raise ValueError(f"order {order.order_id} has no lines {sorted(unknown)}")
    return ids


def _open(shop: Shop, order: Order, line_ids: Sequence[str] | None) -> list[str]:
    busy = {
        i for c in shop.cases.values() if c.order_id == order.order_id and not _closed_or_refused(c) for i in c.line_ids
    }
    ids = _lines(order, line_ids)
    if busy & set(ids):
        raise ValueError(f"order {order.order_id} already has an open request for these lines")
    return ids


def _closed_or_refused(case: Case) -> bool:
    last = case.plan[-1][1]
    return last in CLOSED or last in (R_REJECT, X_REJECT, PARCEL_REJECT)


def open_cancellation(sb: TikTokShopSandbox, shop: Shop, order: Order, *, reason: str, text: str, now: int) -> Case:
    status = order.status_at(now)
    if status not in ("ON_HOLD", "AWAITING_SHIPMENT"):
        raise ValueError(f"order {order.order_id} is {status}: a buyer asks to cancel before it ships")
    case = Case(
        sb.ids.new("58"), "cancel", order.order_id, "CANCEL", "BUYER", reason, text, _open(shop, order, None), now
    )
    case.restore = [(w, s) for w, s in order.plan if w > now]
    case.restore_cancel = order.cancel
    order.cancel = ("BUYER", reason)
    if status == "ON_HOLD":  # the remorse hour: TikTok grants it at once (typed CANCEL, R-ovw)
        case.plan = _enter(case, now, C_SUCCESS, "SYSTEM")
        _cancel_order_at(order, now)
    else:
        case.plan = _enter(case, now, C_PENDING, "BUYER")
        deadline = now + RESPONSE_WINDOW
        order.plan = [(w, s) for w, s in order.plan if w <= now] + [(deadline, "CANCELLED")]
    order.touched = now
    shop.cases[case.case_id] = case
    case_event(sb, shop, case, now)
    sb._order_event(shop, order, now)
    return case


def open_return(
    sb: TikTokShopSandbox,
    shop: Shop,
    order: Order,
    *,
    return_type: str,
    reason: str,
    text: str,
    line_ids: Sequence[str] | None,
    now: int,
) -> Case:
    status = order.status_at(now)
    allowed = ("IN_TRANSIT", "DELIVERED", "COMPLETED") if return_type == "REFUND" else ("DELIVERED", "COMPLETED")
    if status not in allowed:
        raise ValueError(f"order {order.order_id} is {status}: a {return_type} request needs {' or '.join(allowed)}")
    if return_type == "REPLACEMENT" and shop.market.region not in REPLACEMENT_MARKETS:
        raise ValueError(f"no replacement requests in {shop.market.region}")
    case = Case(sb.ids.new("41"), "return", order.order_id, return_type, "BUYER", reason, text,
                _open(shop, order, line_ids), now)  # fmt: skip
    case.plan = _enter(case, now, X_PENDING if return_type == "REPLACEMENT" else R_PENDING, "BUYER")
    shop.cases[case.case_id] = case
    case_event(sb, shop, case, now)
    return case


def seed_returns(sb: TikTokShopSandbox, shop: Shop, count: int, now: int) -> list[Case]:
    """`count` refund and return requests on shipped orders, opened at random since shipping (for
    benchmarks and the demo): most have run their course on the clock, the recent ones still wait."""
    made: list[Case] = []
    taken = {c.order_id for c in shop.cases.values()}
    for order in shop.orders.values():
        if len(made) == count:
            break
        shipped = order.time_of("IN_TRANSIT", now)
        if shipped is None or order.order_id in taken:
            continue
        opened = min(now, shipped + sb.rng.randrange(HOUR, 6 * DAY))
        kind = "REFUND" if sb.rng.random() < 0.6 else "RETURN_AND_REFUND"
        reason = sb.rng.choice(("Wrong size", "Damaged item", "Not as described", "Arrived late", "Changed my mind"))
        case = Case(
            sb.ids.new("41"), "return", order.order_id, kind, "BUYER", reason, "", [order.lines[0].line_id], opened
        )
        case.plan = _enter(case, opened, R_PENDING, "BUYER")
        shop.cases[case.case_id] = case
        made.append(case)
    return made


def buyer_ships(sb: TikTokShopSandbox, shop: Shop, case: Case, now: int) -> None:
    if case.status_at(now) != AWAITING_SHIP:
        raise ValueError(f"return {case.case_id} is {case.status_at(now)}, not {AWAITING_SHIP}")
    case.tracking = f"RT{sb.rng.randrange(10**11, 10**12)}"
    case.delivered_back = now + RETURN_TRANSIT
    case.move(now, _enter(case, now, SHIPPED, "BUYER"))
    case_event(sb, shop, case, now)


def withdraw(sb: TikTokShopSandbox, shop: Shop, case: Case, now: int) -> None:
    status = case.status_at(now)
    if status in CLOSED or status in (C_SUCCESS, R_SUCCESS):
        raise ValueError(f"request {case.case_id} is {status}: too late to withdraw")
    case.move(now, [(now, C_CANCEL if case.kind == "cancel" else R_CANCEL, "BUYER")])
    if case.kind == "cancel":
        _restore_order(shop.orders[case.order_id], case, now)
        sb._order_event(shop, shop.orders[case.order_id], now)
    case_event(sb, shop, case, now)


# -- money ---------------------------------------------------------------------------------------------


def refund_amounts(
    shop: Shop, order: Order, line_ids: Sequence[str]
) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """The refund of these lines (the shipping fee too when every line goes) and each line's share."""
    currency = shop.market.currency
    chosen = [line for line in order.lines if line.line_id in set(line_ids)]
    sale = {ln.line_id: ln.sku.price - ln.seller_discount - ln.platform_discount for ln in chosen}
    order_subtotal = sum((ln.sku.price - ln.seller_discount - ln.platform_discount for ln in order.lines), Decimal(0))
    subtotal = sum(sale.values(), Decimal(0))
    shipping = order.shipping_fee_paid if len(chosen) == len(order.lines) else Decimal(0)
    tax = cents(order.tax * subtotal / order_subtotal) if order_subtotal else Decimal(0)

    def block(sub: Decimal, ship: Decimal, tx: Decimal) -> dict[str, str]:
        return {"currency": currency, "refund_subtotal": str(sub), "refund_shipping_fee": str(ship),
                "refund_tax": str(tx), "refund_total": str(sub + ship + tx)}  # fmt: skip

    lines = {
        i: block(amount, Decimal(0), cents(tax * amount / subtotal) if subtotal else Decimal(0))
        for i, amount in sale.items()
    }
    return block(subtotal, shipping, tax), lines


def render(shop: Shop, case: Case, now: int) -> dict[str, Any]:
    order = shop.orders[case.order_id]
    total, per_line = refund_amounts(shop, order, case.line_ids)
    by_id = {line.line_id: line for line in order.lines}
    prefix = "cancel" if case.kind == "cancel" else "return"
    items = [
        {f"{prefix}_line_item_id": f"{case.case_id}{n:02d}", "order_line_item_id": i, "sku_id": by_id[i].sku.sku_id,
         "sku_name": by_id[i].sku.sku_name, "seller_sku": by_id[i].sku.seller_sku,
         "product_name": by_id[i].sku.product_name,
         "product_image": {"url": f"https://p16-oec.example/{by_id[i].sku.sku_id}.jpg", "width": 200, "height": 200},
         "refund_amount": per_line[i]}
        for n, i in enumerate(case.line_ids)
    ]  # fmt: skip
    data: dict[str, Any] = {
        f"{prefix}_id": case.case_id,
        "order_id": case.order_id,
        f"{prefix}_status": case.status_at(now),
        "role": case.role,
        f"{prefix}_reason": case.reason,
        f"{prefix}_reason_text": case.reason_text,
        "create_time": case.create_time,
        "update_time": case.update_time(now),
        "refund_amount": total,
        f"{prefix}_line_items": items,
    }
    if case.kind == "cancel":
        data["cancel_type"] = "BUYER_CANCEL" if case.role == "BUYER" else "CANCEL"
    else:
        data |= {"return_type": case.type, "shipment_type": "PLATFORM", "handover_method": "DROP_OFF",
                 "arbitration_status": "", "return_tracking_number": case.tracking}  # fmt: skip
    action = case.next_action(now)
    data["seller_next_action_response"] = [{"action": action[0], "deadline": action[1]}] if action else []
    return data


# -- the HTTP handlers ---------------------------------------------------------------------------------


def _case(ctx: Ctx, kind: str) -> Case:
    case = ctx.shop.cases.get(ctx.params["case_id"])
    if case is None or case.kind != kind or case.create_time > ctx.now:
        raise SandboxError(25007006, "Order not found.")
    return case


def _search(ctx: Ctx, kind: str, sizes: tuple[int, int]) -> tuple[list[dict[str, Any]], str, int]:
    prefix = "cancel" if kind == "cancel" else "return"
    body = ctx.body
    sort_field = ctx.args.get("sort_field", "create_time")
    if sort_field not in ("create_time", "update_time"):
        raise SandboxError(36009004, "Invalid param: sort_field.")
    ids, orders = set(body.get(f"{prefix}_ids") or ()), set(body.get("order_ids") or ())
    statuses = set(body.get(f"{prefix}_status") or ())
    rows = []
    for case in ctx.shop.cases.values():
        if case.kind != kind or case.create_time > ctx.now:
            continue
        update = case.update_time(ctx.now)
        if (ids and case.case_id not in ids) or (orders and case.order_id not in orders):
            continue
        if statuses and case.status_at(ctx.now) not in statuses:
            continue
        if not int(body.get("update_time_ge") or 0) <= update < int(body.get("update_time_lt") or ctx.now + 1):
            continue
        if (
            not int(body.get("create_time_ge") or 0)
            <= case.create_time
            < int(body.get("create_time_lt") or ctx.now + 1)
        ):
            continue
        rows.append((case.create_time if sort_field == "create_time" else update, case))
    descending = ctx.args.get("sort_order", "ASC") == "DESC"
    page, token = paginate(ctx, rows, lambda r: [r[0], r[1].case_id], descending, sizes=sizes)
    return [render(ctx.shop, case, ctx.now) for _, case in page], token, len(rows)


def search_cancellations(ctx: Ctx) -> dict[str, Any]:
    rows, token, total = _search(ctx, "cancel", (1, 50))
    return {"cancellations": rows, "next_page_token": token, "total_count": total}


def search_returns(ctx: Ctx) -> dict[str, Any]:
    rows, token, total = _search(ctx, "return", (10, 50))
    return {"return_orders": rows, "next_page_token": token, "total_count": total}


def _once(ctx: Ctx, act: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run a write once per idempotency_key: the same key again answers as before and does nothing."""
    key = ctx.args.get("idempotency_key", "")
    if len(key) > 255:
        raise SandboxError(36009004, "Invalid param: idempotency_key is longer than 255 characters.")
    seen = ctx.sb.idempotency.get((ctx.shop.shop_id, key)) if key else None
    if seen is not None:
        path, answer = seen
        if path != request.path:
            raise SandboxError(36009004, "Invalid param: idempotency_key was already used for another request.")
        ctx.sb.counters.replayed_writes += 1
        return answer
    answer = act()
    if key:
        ctx.sb.idempotency[(ctx.shop.shop_id, key)] = (request.path, answer)
    return answer


def _reason(ctx: Ctx, case: Case) -> str:
    reason = str(ctx.body.get("reject_reason") or "")
    if not reason:
        raise SandboxError(36009004, "param body.reject_reason is missing")
    allowed = {name for name, _ in REJECT_REASONS[REASON_LIST[case.status_at(ctx.now)]]}
    if reason not in allowed:
        raise SandboxError(25001014, "The reject reason is invalid for this request.")
    return reason


def approve_cancellation(ctx: Ctx) -> dict[str, Any]:
    case = _case(ctx, "cancel")

    def act() -> dict[str, Any]:
        if case.status_at(ctx.now) != C_PENDING:
            raise SandboxError(25011012, f"Reverse status cannot approve application ({case.status_at(ctx.now)}).")
        decide(ctx.sb, ctx.shop, case, "APPROVE", ctx.now)
        return {}

    return _once(ctx, act)


def reject_cancellation(ctx: Ctx) -> dict[str, Any]:
    case = _case(ctx, "cancel")

    def act() -> dict[str, Any]:
        if case.status_at(ctx.now) != C_PENDING:
            raise SandboxError(25011011, f"Reverse status cannot reject application ({case.status_at(ctx.now)}).")
        _reason(ctx, case)
        decide(ctx.sb, ctx.shop, case, "REJECT", ctx.now)
        return {}

    return _once(ctx, act)


# decision → (types it fits, status it needs, TikTok's refusal when the case is in another status)
APPROVE_APPLICATION = (25011012, "Reverse status cannot approve application")
REJECT_APPLICATION = (25011011, "Reverse status cannot reject application")
RETURNED = frozenset({"RETURN_AND_REFUND", "REPLACEMENT"})
RETURN_DECISIONS: dict[str, tuple[frozenset[str], str, tuple[int, str]]] = {
    "APPROVE_REFUND": (frozenset({"REFUND"}), R_PENDING, APPROVE_APPLICATION),
    "APPROVE_RETURN": (frozenset({"RETURN_AND_REFUND"}), R_PENDING, APPROVE_APPLICATION),
    "APPROVE_REPLACEMENT": (frozenset({"REPLACEMENT"}), X_PENDING, APPROVE_APPLICATION),
    "APPROVE_RECEIVED_PACKAGE": (RETURNED, SHIPPED, (25011013, "Reverse status cannot approve receive")),
    "REJECT_REFUND": (frozenset({"REFUND"}), R_PENDING, REJECT_APPLICATION),
    "REJECT_RETURN": (frozenset({"RETURN_AND_REFUND"}), R_PENDING, REJECT_APPLICATION),
    "REJECT_REPLACEMENT": (frozenset({"REPLACEMENT"}), X_PENDING, REJECT_APPLICATION),
    "REJECT_RECEIVED_PACKAGE": (RETURNED, SHIPPED, (25020012, "Status can't reject receive")),
}


def _return_decision(ctx: Ctx, approve: bool) -> dict[str, Any]:
    case = _case(ctx, "return")
    decision = str(ctx.body.get("decision") or "")

    def act() -> dict[str, Any]:
        if decision not in RETURN_DECISIONS or decision.startswith("APPROVE") != approve:
            raise SandboxError(36009004, "Invalid param: decision.")
        types, needed, (code, message) = RETURN_DECISIONS[decision]
        if case.type not in types:
            raise SandboxError(25020004, "Decision not match reverse type.")
        status = case.status_at(ctx.now)
        if status != needed:
            raise SandboxError(code, f"{message} ({status}).")
        if not approve:
            _reason(ctx, case)
        decide(ctx.sb, ctx.shop, case, decision, ctx.now)
        return {}

    return _once(ctx, act)


def approve_return(ctx: Ctx) -> dict[str, Any]:
    return _return_decision(ctx, approve=True)


def reject_return(ctx: Ctx) -> dict[str, Any]:
    return _return_decision(ctx, approve=False)


def reject_reasons(ctx: Ctx) -> dict[str, Any]:
    case = ctx.shop.cases.get(ctx.args.get("return_or_cancel_id", ""))
    if case is None:
        raise SandboxError(36009004, "Invalid param: return_or_cancel_id.")
    listed = REJECT_REASONS.get(REASON_LIST.get(case.status_at(ctx.now), ""), ())
    return {"reasons": [{"name": name, "text": text} for name, text in listed]}


def records(ctx: Ctx) -> dict[str, Any]:
    case = _case(ctx, "return")
    rows = [{"event": status, "role": who, "description": f"{status.replace('_', ' ').lower()}", "create_time": when}
            for when, status, who in case.plan if when <= ctx.now]  # fmt: skip
    return {"records": rows}


def seller_cancel(ctx: Ctx) -> dict[str, Any]:
    def act() -> dict[str, Any]:
        order = ctx.shop.orders.get(str(ctx.body.get("order_id") or ""))
        if order is None or order.create_time > ctx.now:
            raise SandboxError(25007006, "Order not found.")
        reason = str(ctx.body.get("cancel_reason") or "")
        if not reason or len(reason) > 255:
            raise SandboxError(36009004, "param body.cancel_reason is missing")
        status = order.status_at(ctx.now)
        if status not in ("UNPAID", "ON_HOLD", "AWAITING_SHIPMENT"):
            raise SandboxError(25011012, f"The order is {status} and can no longer be cancelled.")
        wanted = [str(i) for i in ctx.body.get("order_line_item_ids") or ()]
        partial = bool(wanted) and set(wanted) != {line.line_id for line in order.lines}
        if partial and ctx.shop.market.region not in PARTIAL_CANCEL_MARKETS:
            raise SandboxError(36009004, "Invalid param: line-level cancellation is not available in this market.")
        try:
            ids = _open(ctx.shop, order, wanted or None)
        except ValueError as exc:
            raise SandboxError(25011012, str(exc)) from None
        case = Case(ctx.sb.ids.new("58"), "cancel", order.order_id, "CANCEL", "SELLER", reason, "", ids, ctx.now)
        case.plan = _enter(case, ctx.now, C_SUCCESS, "SELLER")
        ctx.shop.cases[case.case_id] = case
        if partial:
            order.cancelled_lines |= set(ids)
        else:
            order.cancel = ("SELLER", reason)
            _cancel_order_at(order, ctx.now)
        order.touched = ctx.now
        ctx.sb._order_event(ctx.shop, order, ctx.now)
        case_event(ctx.sb, ctx.shop, case, ctx.now)
        return {"cancel_id": case.case_id, "cancel_status": C_SUCCESS}

    return _once(ctx, act)


def calculate(ctx: Ctx) -> dict[str, Any]:
    order = ctx.shop.orders.get(str(ctx.body.get("order_id") or ""))
    if order is None:
        raise SandboxError(25007006, "Order not found.")
    if ctx.body.get("request_type") not in ("CANCEL", "REFUND", "RETURN_AND_REFUND"):
        raise SandboxError(36009004, "Invalid param: request_type.")
    try:
        ids = _lines(order, [str(i) for i in ctx.body.get("order_line_item_ids") or ()] or None)
    except ValueError as exc:
        raise SandboxError(36009004, f"Invalid param: {exc}") from None
    total, _ = refund_amounts(ctx.shop, order, ids)
    return {"order_refund_amount": total}


def eligibility(ctx: Ctx) -> dict[str, Any]:
    """Per SKU and request type: the lines that may still be asked about, and those that may not (why)."""
    order = ctx.shop.orders.get(ctx.params["order_id"])
    if order is None or order.create_time > ctx.now:
        raise SandboxError(25007006, "Order not found.")
    status = order.status_at(ctx.now)
    open_cases = [c for c in ctx.shop.cases.values() if c.order_id == order.order_id and not _closed_or_refused(c)]
    busy = {i for c in open_cases for i in c.line_ids}
    fits = {"REFUND": status in ("AWAITING_SHIPMENT", "IN_TRANSIT", "DELIVERED", "COMPLETED"),
            "RETURN": status in ("DELIVERED", "COMPLETED")}  # fmt: skip
    by_sku: dict[str, dict[str, list[str]]] = {}
    for line in order.lines:
        if line.line_id in order.cancelled_lines:
            why = "the line is cancelled"
        elif line.line_id in busy:
            why = "an after-sales request is in progress"
        else:
            why = ""
        by_sku.setdefault(line.sku.sku_id, {}).setdefault(why, []).append(line.line_id)
    found = []
    for sku_id, groups in by_sku.items():
        items = [
            {"request_type": kind, "order_line_items_ids": ids, "eligible": not (why or not ok),
             "ineligible_reason": why or ("" if ok else f"the order is {status}")}
            for why, ids in groups.items()
            for kind, ok in fits.items()
        ]  # fmt: skip
        found.append({"sku_id": sku_id, "line_item_eligibility": items})
    return {"sku_eligibility": found}


ROUTES: tuple[Route, ...] = (
    api_route("POST", "/return_refund/202309/cancellations/search", search_cancellations, scope=SCOPE),
    api_route("POST", "/return_refund/202309/cancellations/{case_id}/approve", approve_cancellation, scope=SCOPE),
    api_route("POST", "/return_refund/202309/cancellations/{case_id}/reject", reject_cancellation, scope=SCOPE),
    api_route("POST", "/return_refund/202309/cancellations", seller_cancel, scope=SCOPE),
    api_route("POST", "/return_refund/202309/returns/search", search_returns, scope=SCOPE),
    api_route("POST", "/return_refund/202309/returns/{case_id}/approve", approve_return, scope=SCOPE),
    api_route("POST", "/return_refund/202309/returns/{case_id}/reject", reject_return, scope=SCOPE),
    api_route("GET", "/return_refund/202309/returns/{case_id}/records", records, scope=SCOPE),
    api_route("GET", "/return_refund/202309/reject_reasons", reject_reasons, scope=SCOPE),
    api_route("POST", "/return_refund/202309/refunds/calculate", calculate, scope=SCOPE),
    api_route("GET", "/return_refund/202309/orders/{order_id}/aftersale_eligibility", eligibility, scope=SCOPE),
)
