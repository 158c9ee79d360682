"""Platform-neutral order, shop, fee and token types, and the protocols every sales channel meets.

Services, the API, the CLI and tasks see only these types and reach a channel through
backend.platforms.registry, so a new channel is one more adapter package (see docs/adding-a-channel.md),
not a change to sync or sheets. Money is Decimal, times are aware UTC, statuses are OrderStatus, and each
record keeps the platform's raw payload so an event can be replayed or re-mapped after a mapping fix.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, Protocol, Self, TypeVar

from backend.domain.status import CaseStatus, CaseType, Decision, OrderStatus, SellerStep, ShippingType
from backend.platforms.fulfilment import FulfilmentSupport, ShippingCalls

if TYPE_CHECKING:
    import httpx

    from backend.config import Config
    from backend.platforms.exports import ParsedExport
    from backend.platforms.http import RetryPolicy
    from backend.platforms.tokens import Refresher, TokenSource


T = TypeVar("T")


class FeeCategory(StrEnum):
    """Which settlement block a fee line came from; decides how its amount counts toward profit."""

    REVENUE = "revenue"
    SHIPPING = "shipping"
    FEE = "fee"
    TAX = "tax"
    ADJUSTMENT = "adjustment"


@dataclass(frozen=True)
class TokenSet:
    """An access/refresh token pair; expiries are absolute aware-UTC instants as the platform reports them.

    `grant_id` names the seller authorization the pair belongs to (TikTok's open_id, Shopee's main
    account id or shop id).
    """

    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime
    grant_id: str = ""
    seller_name: str = ""
    seller_base_region: str = ""
    granted_scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlatformShop:
    """One shop a token may act for; `shop_ref` names it on every shop-scoped call (TikTok's cipher)."""

    platform: str
    shop_id: str
    shop_ref: str
    code: str
    name: str
    region: str
    seller_type: str


@dataclass(frozen=True)
class PlatformRecipient:
    """Personal delivery data, kept apart so only roles allowed personal data ever see it."""

    name: str
    first_name: str
    last_name: str
    phone_number: str
    full_address: str
    address_lines: tuple[str, ...]
    postal_code: str
    region_code: str
    city: str
    state: str


@dataclass(frozen=True)
class PlatformLineItem:
    """One unit of one SKU, exactly as the platform sends it (2 shirts = 2 line items)."""

    line_id: str
    sku_id: str
    product_id: str
    product_name: str
    sku_name: str
    seller_sku: str
    currency: str
    original_price: Decimal
    sale_price: Decimal
    seller_discount: Decimal
    platform_discount: Decimal
    display_status: str
    package_id: str | None
    tracking_number: str | None
    shipping_provider_name: str | None
    cancel_reason: str | None
    cancel_user: str | None
    is_gift: bool


@dataclass(frozen=True)
class PlatformPackage:
    """A shipment: its id, the line items inside it and what the carrier knows about it."""

    package_id: str
    line_ids: tuple[str, ...]
    tracking_number: str | None
    shipping_provider_id: str | None
    shipping_provider_name: str | None


@dataclass(frozen=True)
class PlatformSla:
    """Every deadline the platform publishes for the order; None where it sent none for this market."""

    rts_sla_time: datetime | None = None
    tts_sla_time: datetime | None = None
    delivery_sla_time: datetime | None = None
    cancel_order_sla_time: datetime | None = None
    shipping_due_time: datetime | None = None
    collection_due_time: datetime | None = None
    delivery_due_time: datetime | None = None
    pick_up_cut_off_time: datetime | None = None
    fast_dispatch_sla_time: datetime | None = None
    recommended_shipping_time: datetime | None = None


@dataclass(frozen=True)
class PlatformCancellation:
    """Why and when an order was (or is being asked to be) cancelled."""

    reason: str
    initiator: str
    cancel_time: datetime | None
    is_buyer_request_cancel: bool
    request_cancel_time: datetime | None


@dataclass(frozen=True)
class PlatformPayment:
    """The order's money as the buyer saw it, in the order currency."""

    currency: str
    sub_total: Decimal
    shipping_fee: Decimal
    seller_discount: Decimal
    platform_discount: Decimal
    tax: Decimal
    total_amount: Decimal
    original_total_product_price: Decimal
    original_shipping_fee: Decimal


@dataclass(frozen=True)
class PlatformOrder:
    """A platform order mapped to neutral types; `raw` is the payload it came from, unchanged."""

    platform: str
    order_id: str
    status: OrderStatus
    create_time: datetime
    update_time: datetime
    paid_time: datetime | None
    rts_time: datetime | None
    collection_time: datetime | None
    delivery_time: datetime | None
    is_on_hold: bool
    buyer_user_id: str
    buyer_message: str
    seller_note: str
    fulfillment_type: str
    shipping_type: ShippingType | str  # "" when the source does not say (an export)
    delivery_option_name: str
    warehouse_id: str
    split_or_combine_tag: str
    payment: PlatformPayment
    sla: PlatformSla
    line_items: tuple[PlatformLineItem, ...]
    packages: tuple[PlatformPackage, ...]
    cancellation: PlatformCancellation | None
    recipient: PlatformRecipient | None
    raw: Mapping[str, Any] = field(repr=False, compare=False, hash=False)
    delivery_option_id: str = ""  # names the option's carriers on the platform ("" when the source does not say)

    def quantities(self) -> dict[str, int]:
        """Units per SKU, counted from the per-unit line items (the platform sends no quantity)."""
        return dict(Counter(item.sku_id for item in self.line_items))


@dataclass(frozen=True)
class PlatformFeeLine:
    """One settlement component of one order.

    Sign convention: REVENUE lines are signed contributions to revenue (discounts negative); every
    other category is a cost stored as a POSITIVE amount that reduces profit (a negative amount is a
    refund of that cost). So settlement = sum(revenue lines) - sum(other lines), whatever signs the
    platform payload used. `kind` is the platform's own field name, so fee pools are data elsewhere.
    """

    order_id: str
    kind: str
    category: FeeCategory
    amount: Decimal
    currency: str
    statement_id: str | None
    sku_id: str | None


@dataclass(frozen=True)
class OrderPageResult:
    """One page of orders: the mapped ones and those that failed mapping (recorded, not fatal).

    `resume_from` is where a sync stopped after this page may resume without missing an order; None
    means the page's newest update_time (pages come oldest change first). A platform whose list is
    not ordered by update time holds it at the start of the window until the window is done.
    """

    orders: tuple[PlatformOrder, ...]
    failures: tuple[OrderMappingError, ...]
    next_page_token: str
    total_count: int
    resume_from: datetime | None = None


class OrderMappingError(ValueError):
    """A payload could not be mapped; names the order (if known) and the offending field."""

    def __init__(self, order_id: str | None, field_name: str, problem: str) -> None:
        self.order_id = order_id
        self.field_name = field_name
        self.problem = problem
        super().__init__(f"order {order_id or '?'}: field {field_name!r} {problem}")


def each_mapped(
    mapper: Callable[[Mapping[str, Any]], T], rows: Iterable[Any], failures: list[OrderMappingError] | None
) -> Iterator[T]:
    """Map each row; with a `failures` list a row that cannot be mapped is kept there and the rest go on."""
    for row in rows:
        try:
            yield mapper(row)
        except OrderMappingError as exc:
            if failures is None:
                raise
            failures.append(exc)


def without_personal(raw: Mapping[str, Any], personal_fields: frozenset[str]) -> dict[str, Any]:
    """The raw payload with what identifies the buyer emptied; status, times, money and lines stay."""
    return {key: None if key in personal_fields else value for key, value in raw.items()}


def packages_from_lines(
    lines: Iterable[PlatformLineItem], package_ids: Sequence[str] = (), provider_id: str | None = None
) -> tuple[PlatformPackage, ...]:
    """Shipments from the line items that name them (carrier data lives on the lines), listed ids first."""
    lines = list(lines)
    ids = list(package_ids) + [
        line.package_id for line in lines if line.package_id and line.package_id not in package_ids
    ]
    result = []
    for package_id in dict.fromkeys(ids):
        inside = [line for line in lines if line.package_id == package_id]
        tracked = next((line for line in inside if line.tracking_number), None)
        result.append(
            PlatformPackage(
                package_id=package_id,
                line_ids=tuple(line.line_id for line in inside),
                tracking_number=tracked.tracking_number if tracked else None,
                shipping_provider_id=provider_id if tracked else None,
                shipping_provider_name=tracked.shipping_provider_name if tracked else None,
            )
        )
    return tuple(result)


def carrier_key(name: str) -> str:
    """What people type varies in case and spacing ("royal mail", "RoyalMail"); the carrier does not."""
    return "".join(name.split()).casefold()


# -- what connecting a shop yields -------------------------------------------------------------------


@dataclass(frozen=True)
class ConsentReturn:
    """What the platform's consent redirect brought back besides our state: the code and whom it names."""

    code: str
    shop_id: str = ""
    main_account_id: str = ""


@dataclass(frozen=True)
class Grant:
    """A redeemed consent: one token pair and every shop it may act for."""

    tokens: TokenSet
    shops: tuple[PlatformShop, ...]


# -- pushes (webhooks) ---------------------------------------------------------------------------------


class PushKind(StrEnum):
    """What a verified push means for OrderDeck, whatever the platform calls it."""

    ORDERS = "orders"  # re-fetch the orders it names (its own status is never trusted)
    AFTER_SALES = "after_sales"  # re-fetch the after-sales cases of the orders it names, and the orders
    DEAUTHORIZED = "deauthorized"  # the seller removed our access
    AUTHORIZATION_EXPIRING = "authorization_expiring"
    OTHER = "other"  # kept, not acted on


class UnusablePush(ValueError):
    """A verified push body that is no usable event, with what could be read of it, so the receiver can
    store it as failed with its reason and still answer 2xx (the platform would only send it again)."""

    def __init__(self, message: str, *, shop_id: str | None = None, notification_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.shop_id = shop_id
        self.notification_id = notification_id


@dataclass(frozen=True)
class PushEvent:
    """A verified, parsed push. `notification_id` is None when the platform sends none (then the body's hash)."""

    kind: PushKind
    name: str
    notification_id: str | None
    shop_id: str
    order_ids: tuple[str, ...]
    detail: str = ""  # what a person should read (an expiry date, a message)

    @property
    def order_id(self) -> str | None:
        return self.order_ids[0] if self.order_ids else None


# -- finance, stock, shipping ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SettlementEntry:
    """One order's money in a settlement: its own settlement (`adjustment_id` None) or a later adjustment."""

    order_id: str
    kind: str
    amount: Decimal
    adjustment_id: str | None = None
    fee_lines: tuple[PlatformFeeLine, ...] = ()  # an adjustment's lines; an order's are asked separately


@dataclass(frozen=True)
class SettlementBatch:
    """A payout the platform made (a TikTok daily statement, a Shopee escrow release) and what it paid."""

    batch_id: str
    settled_at: datetime | None
    currency: str
    entries: tuple[SettlementEntry, ...]


@dataclass(frozen=True)
class SkuRef:
    """A SKU as the platform names it: `product_id` is needed where stock is asked per product (Shopee)."""

    product_id: str
    sku_id: str


@dataclass(frozen=True)
class WarehouseStock:
    warehouse_id: str
    available: int
    committed: int


@dataclass(frozen=True)
class SkuInventory:
    """One SKU's stock: `available` is sellable now; `committed` is held by unshipped orders."""

    product_id: str
    sku_id: str
    seller_sku: str
    available: int
    committed: int
    warehouses: tuple[WarehouseStock, ...]


@dataclass(frozen=True)
class Shipment:
    """A package handed over with our tracking number; `carrier` as the platform names it."""

    carrier: str
    tracking_number: str


# -- after-sales ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseItem:
    """One order line a case covers (a unit, as the platform sends lines), with its share of the refund."""

    line_id: str
    sku_id: str
    seller_sku: str
    product_name: str
    sku_name: str
    refund: Decimal | None


@dataclass(frozen=True)
class PlatformCase:
    """A cancellation, return, refund or replacement request mapped to neutral types.

    `step` and `deadline` say which decision the seller owes and by when (None when none is due: the
    platform decides for the seller once the deadline passes). `buyer_words` is the buyer's own text:
    personal data. `raw` is the payload it came from.
    """

    platform: str
    case_id: str
    order_id: str
    type: CaseType
    status: CaseStatus
    platform_status: str
    initiator: str  # BUYER, SELLER, SYSTEM or OPERATOR
    reason: str
    buyer_words: str
    create_time: datetime
    update_time: datetime
    step: SellerStep | None
    deadline: datetime | None
    currency: str
    refund_total: Decimal | None
    items: tuple[CaseItem, ...]
    return_tracking: str
    raw: Mapping[str, Any] = field(repr=False, compare=False, hash=False)

    @property
    def kind(self) -> str:
        """Cancellations and returns are separate id spaces on a platform: (kind, case id) names a case."""
        return "cancellation" if self.type is CaseType.CANCEL else "return"


@dataclass(frozen=True)
class CasePageResult:
    """One page of cases (oldest change first) and those that failed mapping (recorded, not fatal)."""

    cases: tuple[PlatformCase, ...]
    failures: tuple[OrderMappingError, ...]
    resume_from: datetime | None = None


@dataclass(frozen=True)
class CaseRef:
    """What a decision call needs to name a case: its id, type and the decision it waits for."""

    case_id: str
    type: CaseType
    step: SellerStep


@dataclass(frozen=True)
class RejectReason:
    """One of the platform's reasons for refusing a case: `code` is sent, `text` is what a person reads."""

    code: str
    text: str


@dataclass(frozen=True)
class CaseRecord:
    """One line of the platform's own history of a case (who did what, when)."""

    at: datetime
    event: str
    role: str
    description: str


@dataclass(frozen=True)
class RefundEstimate:
    currency: str
    total: Decimal
    subtotal: Decimal
    shipping: Decimal


@dataclass(frozen=True)
class Eligibility:
    """Whether an after-sales request of `request_type` may be opened for these lines, and why not."""

    sku_id: str
    request_type: str
    line_ids: tuple[str, ...]
    eligible: bool
    reason: str


@dataclass(frozen=True)
class AfterSalesSupport:
    """What a channel's API lets a seller do about after-sales; everything else is read-only in the sheets.

    `scope` is the permission the seller must grant for the after-sales calls ("" when it is not a
    separate one); `decisions` lists (type, step, decision) the API accepts; `why_read_only` is what
    the sheet says about the others.
    """

    scope: str
    decisions: frozenset[tuple[CaseType, SellerStep, Decision]]
    reject_reasons: bool
    seller_cancel: bool
    why_read_only: str

    def allows(self, case_type: CaseType, step: SellerStep, decision: Decision) -> bool:
        return (case_type, step, decision) in self.decisions


# -- the protocols ---------------------------------------------------------------------------------------


class Closing:
    """A client used for one round: `with client:` closes it (its connections go back to the pool)."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


class ShopClient(ShippingCalls, Protocol):
    """One shop's API, with its tokens: what sync, webhooks, finance, stock and sheet edits call (and the
    fulfilment calls of backend.platforms.fulfilment)."""

    def __enter__(self) -> ShopClient: ...

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def close(self) -> None: ...

    def iter_order_pages(self, *, updated_from: datetime) -> Iterator[OrderPageResult]:
        """Orders changed since `updated_from` (until the platform's now), oldest change first."""
        ...

    def get_orders(self, order_ids: Sequence[str]) -> OrderPageResult:
        """Order detail, batched as the platform allows."""
        ...

    def settlements(
        self, *, since: datetime, until: datetime | None = None, failures: list[OrderMappingError] | None = None
    ) -> Iterator[SettlementBatch]:
        """Settlement batches paid in [since, until); rows that cannot be mapped go to `failures` when given."""
        ...

    def order_fee_lines(self, order_id: str) -> list[PlatformFeeLine]:
        """Every settled line of one order, each tagged with its settlement batch."""
        ...

    def stock(self, skus: Sequence[SkuRef], failures: list[OrderMappingError] | None = None) -> list[SkuInventory]:
        """Current stock of these SKUs; malformed products go to `failures` when given, else raise."""
        ...

    def ship(self, *, order_id: str, package_id: str, carrier: str, tracking_number: str) -> Shipment:
        """Hand a seller-shipped package over with our tracking number (raises OrderOnHold, UnknownCarrier)."""
        ...

    def subscribe_pushes(self, address: str) -> None:
        """Point the shop's pushes at `address` where the platform subscribes per shop (safe to repeat)."""
        ...

    def iter_case_pages(self, *, updated_from: datetime) -> Iterator[CasePageResult]:
        """After-sales cases changed since `updated_from`, oldest change first (ScopeDenied without the permission)."""
        ...

    def get_cases(self, order_ids: Sequence[str]) -> CasePageResult:
        """Every after-sales case of these orders, as the platform has them now."""
        ...

    def reject_reasons(self, case: CaseRef) -> list[RejectReason]:
        """The reasons the platform accepts for refusing this case now (ask before every rejection)."""
        ...

    def decide(
        self, case: CaseRef, decision: Decision, *, reason: str = "", comment: str = "", idempotency_key: str
    ) -> None:
        """Approve or reject; the same `idempotency_key` sent again acts once (PlatformRejected when refused)."""
        ...

    def cancel_order(
        self, order_id: str, *, reason: str, line_ids: Sequence[str] = (), idempotency_key: str
    ) -> PlatformCase | None:
        """The seller cancels an order (or some lines, where the market allows): the case it opened."""
        ...

    def case_records(self, case: CaseRef) -> list[CaseRecord]:
        """The platform's own history of a case, oldest first."""
        ...

    def refund_estimate(self, order_id: str, *, request_type: CaseType, line_ids: Sequence[str] = ()) -> RefundEstimate:
        """What the buyer would get back if these lines (none: the whole order) were refunded now."""
        ...

    def eligibility(self, order_id: str) -> list[Eligibility]:
        """Which after-sales requests the seller may still open on the order, per SKU."""
        ...


class Channel(Protocol):
    """A sales channel's adapter: consent, pushes, exports and a client per shop. One per platform."""

    name: str  # Shop.platform
    label: str  # what a person reads: "TikTok Shop"
    fulfilment: FulfilmentSupport  # what its logistics API lets a seller do; the sheets show the rest read-only
    # True when a refresh rotates the pair of every shop of the authorization (TikTok's one pair per
    # seller); False when each shop refreshes its own (Shopee, after the first refresh).
    shared_tokens: bool
    refresh_ahead: timedelta  # refresh this long before the access token expires
    after_sales: AfterSalesSupport  # what its API lets a seller decide; the rest is read-only
    # Top-level keys of an order's raw payload that name, reach or locate the buyer: emptied with the
    # personal columns when the team's retention ends (backend.services.ingest.masked).
    personal_fields: frozenset[str]

    def configured(self, settings: Config) -> str:
        """Why this backend cannot reach the channel (a missing setting), or "" when it can."""
        ...

    def consent_url(self, settings: Config, *, state: str, callback: str, region: str) -> str:
        """Where a seller authorizes OrderDeck; the redirect comes back to `callback` carrying `state`."""
        ...

    def consent_return(self, query: Mapping[str, str]) -> ConsentReturn:
        """The auth code and shop or account id from the consent redirect's query (InvalidInput if absent)."""
        ...

    def redeem(
        self, settings: Config, consent: ConsentReturn, *, transport: httpx.BaseTransport, retry: RetryPolicy | None
    ) -> Grant:
        """Auth code → tokens and the shops they cover (the code is single use)."""
        ...

    def refresher(
        self, settings: Config, shop_id: str, *, transport: httpx.BaseTransport, retry: RetryPolicy | None
    ) -> Refresher:
        """What refreshes one shop's tokens."""
        ...

    def client(
        self,
        settings: Config,
        shop: PlatformShop,
        tokens: TokenSource,
        *,
        transport: httpx.BaseTransport,
        retry: RetryPolicy | None,
    ) -> ShopClient: ...

    def verify_push(self, settings: Config, raw_body: bytes, headers: Mapping[str, str]) -> bool:
        """Constant-time check of the push signature over the exact bytes received (`headers` in lower case)."""
        ...

    def parse_push(self, raw_body: bytes) -> PushEvent:
        """A verified body → event; raises UnusablePush, saying why, for a body that is no usable push."""
        ...

    def acknowledge(self, duplicate: bool, failed: str | None = None) -> tuple[bytes, str]:
        """The 2xx body (and its media type) the platform expects, so it does not push again; `failed` says
        why a verified body was stored as failed (None for one queued or seen before)."""
        ...

    def parse_export(
        self,
        source: str | Path | IO[str] | IO[bytes],
        *,
        time_zone: str,
        currency: str,
        max_lengths: Mapping[str, int] | None = None,
    ) -> ParsedExport:
        """A Seller Center / Seller Centre order export → orders and bad rows (ExportUnreadable if unreadable);
        a cell longer than `max_lengths` allows where it is kept ("table.column" → characters) fails its row."""
        ...
