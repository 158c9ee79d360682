"""Shopee payloads → platform-neutral types. Pure functions, no I/O.

Order fields are those of v2.order.get_order_detail (Shopee API reference) with the optional fields
the client asks for; statuses map onto OrderDeck's vocabulary (backend.domain.status) by STATUSES.
Amounts arrive as JSON numbers parsed to Decimal (errors.unwrap), times as Unix seconds; anything
malformed raises OrderMappingError naming the field, so sync records the order as failed and goes on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from backend.domain.status import OrderStatus
from backend.platforms.base import (
    OrderMappingError,
    OrderPageResult,
    PlatformCancellation,
    PlatformLineItem,
    PlatformOrder,
    PlatformPackage,
    PlatformPayment,
    PlatformRecipient,
    PlatformShop,
    PlatformSla,
    SkuInventory,
    WarehouseStock,
)

PLATFORM = "shopee"
EARLIEST = datetime(2015, 1, 1, tzinfo=UTC)  # Shopee launched in 2015
LATEST = datetime(2100, 1, 1, tzinfo=UTC)

# Shopee's order statuses (v2.0 Data Definition guide, "order_status") → OrderDeck's. Shopee has no
# buyer-remorse hold and no "partly shipped" status; PENDING and INVOICE_PENDING (Brazil, waiting for
# the invoice) must not be picked, so they read as ON_HOLD. IN_CANCEL (the buyer asked to cancel before
# shipping) stays to-ship with the request flagged; TO_RETURN (a return was opened after delivery)
# stays delivered, the return itself being in v2.returns.get_return_list.
STATUSES: dict[str, OrderStatus] = {
    "UNPAID": OrderStatus.UNPAID,
    "PENDING": OrderStatus.ON_HOLD,
    "INVOICE_PENDING": OrderStatus.ON_HOLD,
    "READY_TO_SHIP": OrderStatus.AWAITING_SHIPMENT,
    "RETRY_SHIP": OrderStatus.AWAITING_SHIPMENT,
    "IN_CANCEL": OrderStatus.AWAITING_SHIPMENT,
    "PROCESSED": OrderStatus.AWAITING_COLLECTION,
    "SHIPPED": OrderStatus.IN_TRANSIT,
    "TO_CONFIRM_RECEIVE": OrderStatus.DELIVERED,
    "TO_RETURN": OrderStatus.DELIVERED,
    "COMPLETED": OrderStatus.COMPLETED,
    "CANCELLED": OrderStatus.CANCELLED,
}
# Package logistics statuses after the seller arranged shipment (v2.0 Data Definition, logistics_status).
HANDED_OVER = frozenset(
    {
        "LOGISTICS_REQUEST_CREATED",
        "LOGISTICS_PICKUP_DONE",
        "LOGISTICS_PICKUP_RETRY",
        "LOGISTICS_DELIVERY_DONE",
        "LOGISTICS_DELIVERY_FAILED",
        "LOGISTICS_COD_REJECTED",
    }
)
# Order detail fields that name, reach or locate the buyer (v2.order.get_order_detail); emptied when the
# team's retention ends. `note` is the seller's note, which often quotes the buyer.
PERSONAL_FIELDS = frozenset(
    {
        "buyer_user_id",
        "buyer_username",
        "recipient_address",
        "message_to_seller",
        "note",
        "buyer_cpf_id",
        "invoice_data",
    }
)
CANCEL_INITIATORS = {"buyer": "BUYER", "seller": "SELLER", "system": "SYSTEM", "ops": "OPERATOR"}


def timestamp(value: object, field_name: str, order_id: str | None = None) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int):
        raise OrderMappingError(order_id, field_name, f"is not a Unix timestamp: {value!r}")
    try:
        moment = datetime.fromtimestamp(value, tz=UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise OrderMappingError(order_id, field_name, f"is not a valid time: {value!r}") from exc
    if not EARLIEST <= moment < LATEST:
        raise OrderMappingError(order_id, field_name, f"is an absurd date: {moment.isoformat()}")
    return moment


def optional_timestamp(data: Mapping[str, Any], field_name: str, order_id: str | None = None) -> datetime | None:
    """Shopee sends 0 (or nothing) for a time that has not happened yet."""
    value = data.get(field_name)
    return None if value in (None, 0) else timestamp(value, field_name, order_id)


def amount(data: Mapping[str, Any], key: str, order_id: str | None = None, where: str = "") -> Decimal:
    """A JSON number (already Decimal, see errors.unwrap) or absent → 0; text and booleans are refused."""
    value = data.get(key)
    if value is None:
        return Decimal(0)
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise OrderMappingError(order_id, where + key, f"is not an amount: {value!r}")
    result = Decimal(value)
    if not result.is_finite():
        raise OrderMappingError(order_id, where + key, f"is not a finite amount: {value!r}")
    return result


def text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return "" if value is None else str(value).replace("\x00", "")


def count(data: Mapping[str, Any], key: str, where: str) -> int:
    """A stock count: a whole non-negative JSON number, absent → 0."""
    value = data.get(key)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise OrderMappingError(None, where + key, f"is not a stock count: {value!r}")
    return value


def map_model_stock(item_id: str, model: Mapping[str, Any]) -> SkuInventory:
    """One model of v2.product.get_model_list with its stock_info_v2 summary (one figure, no warehouses)."""
    where = f"item {item_id} model {model.get('model_id')!r}: "
    info = model.get("stock_info_v2") or {}
    summary = info.get("summary_info") if isinstance(info, Mapping) else None
    if not isinstance(summary, Mapping):
        summary = {}
    available = count(summary, "total_available_stock", where)
    committed = count(summary, "total_reserved_stock", where)
    return SkuInventory(
        product_id=item_id,
        sku_id=text(model, "model_id"),
        seller_sku=text(model, "model_sku"),
        available=available,
        committed=committed,
        warehouses=(WarehouseStock("", available, committed),),
    )


def map_shop(shop_id: str, info: Mapping[str, Any]) -> PlatformShop:
    """v2.shop.get_shop_info: Shopee addresses a shop by its id, so the id is its reference too."""
    return PlatformShop(
        platform=PLATFORM,
        shop_id=shop_id,
        shop_ref=shop_id,
        code="",
        name=text(info, "shop_name") or f"Shopee shop {shop_id}",
        region=text(info, "region"),
        seller_type="CROSS_BORDER" if info.get("is_cb") else "LOCAL",
    )


def _units(data: Mapping[str, Any], order_id: str, currency: str, status: OrderStatus) -> list[PlatformLineItem]:
    """One line item per unit (Shopee sends a quantity per model; OrderDeck counts units)."""
    items: list[PlatformLineItem] = []
    for item in data.get("item_list") or ():
        if not isinstance(item, Mapping) or not item.get("item_id"):
            raise OrderMappingError(order_id, "item_list[].item_id", "is missing")
        quantity = item.get("model_quantity_purchased")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= 9_999:
            raise OrderMappingError(order_id, "item_list[].model_quantity_purchased", f"is not a count: {quantity!r}")
        item_id, model_id = str(item["item_id"]), str(item.get("model_id") or "")
        original = amount(item, "model_original_price", order_id, "item_list[].")
        discounted = amount(item, "model_discounted_price", order_id, "item_list[].") or original
        for unit in range(quantity):
            items.append(
                PlatformLineItem(
                    line_id=f"{order_id}:{item_id}:{model_id or 0}:{unit + 1}",
                    sku_id=model_id if model_id not in ("", "0") else item_id,
                    product_id=item_id,
                    product_name=text(item, "item_name"),
                    sku_name=text(item, "model_name"),
                    seller_sku=text(item, "model_sku") or text(item, "item_sku"),
                    currency=currency,
                    original_price=original,
                    sale_price=discounted,
                    seller_discount=original - discounted,
                    platform_discount=Decimal(0),
                    display_status=OrderStatus.AWAITING_SHIPMENT if status == OrderStatus.ON_HOLD else status,
                    package_id=None,
                    tracking_number=None,
                    shipping_provider_name=None,
                    cancel_reason=None,
                    cancel_user=None,
                    is_gift=bool(item.get("is_add_on_deal") or item.get("is_main_item") is False),
                )
            )
    return items


def _take(free: list[PlatformLineItem], items: Iterable[Mapping[str, Any]] | None) -> list[PlatformLineItem]:
    """The units a package's item_list names (each model's quantity of them); all left when it names none."""
    if not items:
        taken, free[:] = list(free), []
        return taken
    taken = []
    for item in items:
        product, model = str(item.get("item_id")), str(item.get("model_id") or "0")
        count = item.get("model_quantity")
        matching = [u for u in free if u.product_id == product and model in ("0", u.sku_id)]
        for unit in matching[: count if isinstance(count, int) else len(matching)]:
            free.remove(unit)
            taken.append(unit)
    return taken


def _packages(
    data: Mapping[str, Any], lines: list[PlatformLineItem], tracking: Mapping[str, str], status: OrderStatus
) -> tuple[list[PlatformLineItem], tuple[PlatformPackage, ...], bool]:
    """Units placed in their packages, the packages, and whether some but not all were handed over."""
    carrier = text(data, "shipping_carrier") or None
    free, placed, packages, handed = list(lines), [], [], []
    for package in data.get("package_list") or ():
        number = text(package, "package_number")
        if not number:
            continue
        shipped = text(package, "logistics_status") in HANDED_OVER
        handed.append(shipped)
        tracked = tracking.get(number) or None
        moved = OrderStatus.AWAITING_COLLECTION if shipped and status == OrderStatus.AWAITING_SHIPMENT else None
        units = [
            replace(
                unit,
                package_id=number,
                tracking_number=tracked,
                shipping_provider_name=carrier if tracked else None,
                display_status=moved or unit.display_status,
            )
            for unit in _take(free, package.get("item_list"))
        ]
        placed += units
        packages.append(
            PlatformPackage(number, tuple(u.line_id for u in units), tracked, None, carrier if tracked else None)
        )
    return placed + free, tuple(packages), any(handed) and not all(handed)


def _recipient(data: Mapping[str, Any] | None) -> PlatformRecipient | None:
    """Masked in some markets; absent before payment."""
    if not data or not any(data.get(k) for k in ("name", "phone", "full_address")):
        return None
    return PlatformRecipient(
        name=text(data, "name"),
        first_name="",
        last_name="",
        phone_number=text(data, "phone"),
        full_address=text(data, "full_address"),
        address_lines=(),
        postal_code=text(data, "zipcode"),
        region_code=text(data, "region"),
        city=text(data, "city"),
        state=text(data, "state"),
    )


def _cancellation(data: Mapping[str, Any], raw_status: str) -> PlatformCancellation | None:
    if raw_status not in ("CANCELLED", "IN_CANCEL") and not data.get("cancel_reason"):
        return None
    return PlatformCancellation(
        reason=text(data, "cancel_reason") or text(data, "buyer_cancel_reason"),
        initiator=CANCEL_INITIATORS.get(text(data, "cancel_by").lower(), text(data, "cancel_by").upper()),
        cancel_time=None,  # Shopee sends no cancel time: the order's update_time stands for it
        is_buyer_request_cancel=raw_status == "IN_CANCEL",
        request_cancel_time=None,
    )


def as_sent(value: Any) -> Any:
    """The payload as Shopee wrote it (amounts as JSON numbers again), for `raw` to be stored and replayed."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Mapping):
        return {k: as_sent(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_sent(v) for v in value]
    return value


def map_order(data: Mapping[str, Any], tracking: Mapping[str, str] | None = None) -> PlatformOrder:
    """One get_order_detail entry; `tracking` is package_number → tracking number (get_mass_tracking_number)."""
    order_id = text(data, "order_sn")
    if not order_id:
        raise OrderMappingError(None, "order_sn", "is missing")
    raw_status = text(data, "order_status")
    if raw_status not in STATUSES:
        raise OrderMappingError(order_id, "order_status", f"is not a Shopee status OrderDeck knows: {raw_status!r}")
    status = STATUSES[raw_status]
    currency = text(data, "currency")
    if len(currency) != 3:
        raise OrderMappingError(order_id, "currency", f"is not a currency code: {currency!r}")
    units = _units(data, order_id, currency, status)
    lines, packages, partly = _packages(data, units, tracking or {}, status)
    if partly and status == OrderStatus.AWAITING_SHIPMENT:
        status = OrderStatus.PARTIALLY_SHIPPING
    original = sum((u.original_price for u in lines), Decimal(0))
    sub_total = sum((u.sale_price for u in lines), Decimal(0))
    shipping = amount(data, "estimated_shipping_fee", order_id)
    return PlatformOrder(
        platform=PLATFORM,
        order_id=order_id,
        status=status,
        create_time=timestamp(data.get("create_time"), "create_time", order_id),
        update_time=timestamp(data.get("update_time"), "update_time", order_id),
        paid_time=optional_timestamp(data, "pay_time", order_id),
        rts_time=None,
        collection_time=optional_timestamp(data, "pickup_done_time", order_id),
        delivery_time=None,
        is_on_hold=status == OrderStatus.ON_HOLD,
        buyer_user_id=text(data, "buyer_user_id"),
        buyer_message=text(data, "message_to_seller"),
        seller_note=text(data, "note"),
        fulfillment_type=text(data, "fulfillment_flag"),
        shipping_type="",  # integrated or not is known per order only from get_shipping_parameter
        delivery_option_name=text(data, "shipping_carrier"),
        warehouse_id="",
        split_or_combine_tag="SPLIT" if data.get("split_up") else "",
        payment=PlatformPayment(
            currency=currency,
            sub_total=sub_total,
            shipping_fee=shipping,
            seller_discount=original - sub_total,
            platform_discount=Decimal(0),
            tax=Decimal(0),
            total_amount=amount(data, "total_amount", order_id),
            original_total_product_price=original,
            original_shipping_fee=shipping,
        ),
        sla=PlatformSla(rts_sla_time=optional_timestamp(data, "ship_by_date", order_id)),
        line_items=tuple(lines),
        packages=packages,
        cancellation=_cancellation(data, raw_status),
        recipient=_recipient(data.get("recipient_address")),
        raw=as_sent(data),
    )


def map_order_page(
    orders: Iterable[Mapping[str, Any]], tracking: Mapping[str, str], *, resume_from: datetime | None = None
) -> OrderPageResult:
    """Map a page, collecting per-order failures instead of losing the whole page to one bad order."""
    mapped: list[PlatformOrder] = []
    failures: list[OrderMappingError] = []
    for raw in orders:
        try:
            mapped.append(map_order(raw, tracking))
        except OrderMappingError as exc:
            failures.append(exc)
    return OrderPageResult(tuple(mapped), tuple(failures), "", len(mapped) + len(failures), resume_from)
