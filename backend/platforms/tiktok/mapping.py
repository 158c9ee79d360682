"""TikTok payloads → platform-neutral types. Pure functions, no I/O beyond reading the schema once.

Each payload is first checked against its definition in schemas/tiktok/payloads.schema.json (types,
required fields, bounded lengths and numbers). Money strings become Decimal (never float), Unix seconds
become aware UTC datetimes, and anything malformed raises OrderMappingError naming the field, so sync
records the order as failed and goes on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, TypeVar

import jsonschema_rs

from backend.catalog import SCHEMAS_DIR, load_json
from backend.domain.status import OrderStatus, ShippingType
from backend.errors import PlatformPayloadError
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
    TokenSet,
    packages_from_lines,
)

T = TypeVar("T")
PLATFORM = "tiktok"
# TikTok Shop launched in 2021 and order data starts long after 2016; anything outside is corrupt.
EARLIEST = datetime(2016, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
SLA_FIELDS = tuple(PlatformSla.__dataclass_fields__)
PAYMENT_AMOUNTS = (
    "sub_total",
    "shipping_fee",
    "seller_discount",
    "platform_discount",
    "tax",
    "total_amount",
    "original_total_product_price",
    "original_shipping_fee",
)
LINE_AMOUNTS = ("original_price", "sale_price", "seller_discount", "platform_discount")
# TikTok's shipping_type → who brings the tracking number.
SHIPPING_TYPES = {"SELLER": ShippingType.SELLER, "TIKTOK": ShippingType.PLATFORM}
PAYLOADS_SCHEMA = SCHEMAS_DIR / "tiktok" / "payloads.schema.json"


@cache
def _shape(name: str) -> jsonschema_rs.Validator:
    """A compiled validator for one definition (jsonschema-rs: the order check must keep up with the sync).

    Messages mask the value: it may be a buyer's personal data, or 60,000 characters of poison.
    """
    definitions = load_json(PAYLOADS_SCHEMA)["$defs"]
    return jsonschema_rs.validator_for({"$ref": f"#/$defs/{name}", "$defs": definitions}, mask="its value")


def shape_problem(name: str, payload: object) -> tuple[str, str] | None:
    """(field, problem) of the first way `payload` departs from definition `name` of the payloads schema."""
    error = next(iter(_shape(name).iter_errors(payload)), None)
    if error is None:
        return None
    return field_path(error.instance_path), "is refused: " + brief(error.message)


def field_path(path: Sequence[object]) -> str:
    """["line_items", 2, "sale_price"] → "line_items[2].sale_price"; the whole payload is "(payload)"."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or "(payload)"


def brief(message: str, limit: int = 200) -> str:
    """A message may quote what it refused, which may be 60,000 characters of poison: keep the start."""
    return message if len(message) <= limit else message[:limit] + "…"


def payload_id(payload: object, key: str = "id") -> str | None:
    """The payload's own id when it has a usable one, so a failure can name what failed."""
    value = payload.get(key) if isinstance(payload, Mapping) else None
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value)
    return text if 0 < len(text) <= 64 else None


def check_shape(name: str, payload: object, key: str = "id") -> None:
    """Raise OrderMappingError naming the payload (by `key`) and the field when it departs from `name`."""
    problem = shape_problem(name, payload)
    if problem is not None:
        raise OrderMappingError(payload_id(payload, key), *problem)


def timestamp(value: object, field_name: str, order_id: str | None = None) -> datetime:
    """Unix seconds → aware UTC, refusing milliseconds and other absurd instants."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise OrderMappingError(order_id, field_name, f"is not a Unix timestamp: {value!r}")
    try:
        moment = datetime.fromtimestamp(int(value), tz=UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise OrderMappingError(order_id, field_name, f"is not a valid time: {value!r}") from exc
    if not EARLIEST <= moment < LATEST:
        raise OrderMappingError(order_id, field_name, f"is an absurd date: {moment.isoformat()}")
    return moment


def optional_timestamp(payload: Mapping[str, Any], field_name: str, order_id: str | None = None) -> datetime | None:
    """TikTok sends 0 or omits a time that has not happened yet."""
    value = payload.get(field_name)
    if value in (None, "", 0, "0"):
        return None
    return timestamp(value, field_name, order_id)


def money(payload: Mapping[str, Any], key: str, order_id: str | None = None, where: str = "") -> Decimal:
    """A decimal string (or absent → 0); floats are refused because they already lost precision."""
    value = payload.get(key)
    field_name = where + key
    if value in (None, ""):
        return Decimal(0)
    if isinstance(value, float | bool):
        raise OrderMappingError(order_id, field_name, f"must be a decimal string, got {value!r}")
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise OrderMappingError(order_id, field_name, f"is not a decimal amount: {value!r}") from exc
    if not amount.is_finite():
        raise OrderMappingError(order_id, field_name, f"is not a finite amount: {value!r}")
    return amount


def text(payload: Mapping[str, Any], field_name: str) -> str:
    """A text field; NUL characters are dropped (PostgreSQL text cannot hold them, and they mean nothing)."""
    value = payload.get(field_name)
    return "" if value is None else str(value).replace("\x00", "")


def checked_page(name: str, data: Mapping[str, Any], what: str) -> Mapping[str, Any]:
    """A whole answer (a page, a token) that must fit `name`; one that does not stops the call, with why."""
    problem = shape_problem(name, data)
    if problem is not None:
        raise PlatformPayloadError(f"TikTok's {what} answer is malformed: field {problem[0]!r} {problem[1]}")
    return data


def map_token_set(data: Mapping[str, Any]) -> TokenSet:
    """Token responses carry absolute Unix expiries in `*_expire_in` (not durations)."""
    checked_page("token", data, "token")
    return TokenSet(
        access_token=text(data, "access_token"),
        access_expires_at=timestamp(data.get("access_token_expire_in"), "access_token_expire_in"),
        refresh_token=text(data, "refresh_token"),
        refresh_expires_at=timestamp(data.get("refresh_token_expire_in"), "refresh_token_expire_in"),
        grant_id=text(data, "open_id"),
        seller_name=text(data, "seller_name"),
        seller_base_region=text(data, "seller_base_region"),
        granted_scopes=tuple(str(s) for s in data.get("granted_scopes") or ()),
    )


def map_shop(data: Mapping[str, Any]) -> PlatformShop:
    checked_page("authorized_shop", data, "authorized shops")
    return PlatformShop(
        platform=PLATFORM,
        shop_id=text(data, "id"),
        shop_ref=text(data, "cipher"),
        code=text(data, "code"),
        name=text(data, "name"),
        region=text(data, "region"),
        seller_type=text(data, "seller_type"),
    )


def _line_item(data: Mapping[str, Any], order_id: str) -> PlatformLineItem:
    if not data.get("id"):
        raise OrderMappingError(order_id, "line_items[].id", "is missing")
    amounts = {name: money(data, name, order_id, "line_items[].") for name in LINE_AMOUNTS}
    return PlatformLineItem(
        line_id=str(data["id"]),
        sku_id=text(data, "sku_id"),
        product_id=text(data, "product_id"),
        product_name=text(data, "product_name"),
        sku_name=text(data, "sku_name"),
        seller_sku=text(data, "seller_sku"),
        currency=text(data, "currency"),
        display_status=text(data, "display_status"),
        package_id=data.get("package_id") or None,
        tracking_number=data.get("tracking_number") or None,
        shipping_provider_name=data.get("shipping_provider_name") or None,
        cancel_reason=data.get("cancel_reason") or None,
        cancel_user=data.get("cancel_user") or None,
        is_gift=bool(data.get("is_gift", False)),
        **amounts,
    )


def join_packages(data: Mapping[str, Any], lines: Iterable[PlatformLineItem]) -> tuple[PlatformPackage, ...]:
    """Join `packages[]{id}` with the line items that name them; carrier data lives on the lines."""
    ids = [str(p["id"]) for p in data.get("packages") or () if p.get("id")]
    return packages_from_lines(lines, ids, data.get("shipping_provider_id") or None)


def _recipient(data: Mapping[str, Any] | None) -> PlatformRecipient | None:
    """Absent while UNPAID/ON_HOLD; district_info carries city and state by address level."""
    if not data:
        return None
    districts = {d.get("address_level_name", ""): d.get("address_name", "") for d in data.get("district_info") or ()}
    return PlatformRecipient(
        name=text(data, "name"),
        first_name=text(data, "first_name"),
        last_name=text(data, "last_name"),
        phone_number=text(data, "phone_number"),
        full_address=text(data, "full_address"),
        address_lines=tuple(
            str(data[k]) for k in ("address_line1", "address_line2", "address_line3", "address_line4") if data.get(k)
        ),
        postal_code=text(data, "postal_code"),
        region_code=text(data, "region_code"),
        city=str(districts.get("City") or districts.get("city") or text(data, "post_town")),
        state=str(districts.get("State") or districts.get("County") or districts.get("state") or ""),
    )


def _cancellation(data: Mapping[str, Any], order_id: str) -> PlatformCancellation | None:
    if not (data.get("cancel_reason") or data.get("is_buyer_request_cancel") or data.get("status") == "CANCELLED"):
        return None
    return PlatformCancellation(
        reason=text(data, "cancel_reason"),
        initiator=text(data, "cancellation_initiator"),
        cancel_time=optional_timestamp(data, "cancel_time", order_id),
        is_buyer_request_cancel=bool(data.get("is_buyer_request_cancel", False)),
        request_cancel_time=optional_timestamp(data, "request_cancel_time", order_id),
    )


def map_order(data: Mapping[str, Any]) -> PlatformOrder:
    """Map one order object (search and detail return the same shape)."""
    check_shape("order", data)
    order_id = str(data["id"])
    for required in ("status", "create_time", "update_time"):
        if data.get(required) in (None, ""):
            raise OrderMappingError(order_id, required, "is missing")
    try:
        status = OrderStatus(str(data["status"]))
    except ValueError:
        raise OrderMappingError(order_id, "status", f"is not a status OrderDeck knows: {data['status']!r}") from None
    payment = data.get("payment") or {}
    lines = tuple(_line_item(item, order_id) for item in data.get("line_items") or ())
    return PlatformOrder(
        platform=PLATFORM,
        order_id=order_id,
        status=status,
        create_time=timestamp(data["create_time"], "create_time", order_id),
        update_time=timestamp(data["update_time"], "update_time", order_id),
        paid_time=optional_timestamp(data, "paid_time", order_id),
        rts_time=optional_timestamp(data, "rts_time", order_id),
        collection_time=optional_timestamp(data, "collection_time", order_id),
        delivery_time=optional_timestamp(data, "delivery_time", order_id),
        is_on_hold=bool(data.get("is_on_hold_order", False)) or data["status"] == "ON_HOLD",
        buyer_user_id=text(data, "user_id"),
        buyer_message=text(data, "buyer_message"),
        seller_note=text(data, "seller_note"),
        fulfillment_type=text(data, "fulfillment_type"),
        shipping_type=SHIPPING_TYPES.get(text(data, "shipping_type"), text(data, "shipping_type")),
        delivery_option_name=text(data, "delivery_option_name"),
        delivery_option_id=text(data, "delivery_option_id"),
        warehouse_id=text(data, "warehouse_id"),
        split_or_combine_tag=text(data, "split_or_combine_tag"),
        payment=PlatformPayment(
            currency=text(payment, "currency"),
            **{name: money(payment, name, order_id, "payment.") for name in PAYMENT_AMOUNTS},
        ),
        sla=PlatformSla(**{name: optional_timestamp(data, name, order_id) for name in SLA_FIELDS}),
        line_items=lines,
        packages=join_packages(data, lines),
        cancellation=_cancellation(data, order_id),
        recipient=_recipient(data.get("recipient_address")),
        raw=data,
    )


# Order fields that name, reach or locate the buyer (202309 order object); masked when retention ends.
PERSONAL_FIELDS = frozenset(
    {
        "recipient_address",
        "buyer_message",
        "seller_note",
        "buyer_email",
        "buyer_nickname",
        "buyer_avatar",
        "user_id",
        "cpf",
        "cpf_name",
        "payment_auth_code",
    }
)


def map_order_page(orders: Iterable[Mapping[str, Any]], next_page_token: str, total_count: int) -> OrderPageResult:
    """Map a page, collecting per-order failures instead of losing the whole page to one bad order."""
    mapped: list[PlatformOrder] = []
    failures: list[OrderMappingError] = []
    for raw in orders:
        try:
            mapped.append(map_order(raw))
        except OrderMappingError as exc:
            failures.append(exc)
    return OrderPageResult(tuple(mapped), tuple(failures), next_page_token, total_count)
