"""Shopee behind the platform protocol (backend.platforms.base): consent, pushes, the Seller Centre
export and a client per shop, so services never see a cursor, an escrow or a Shopee error string.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import IO

import httpx

from backend.catalog import market
from backend.config import Config
from backend.domain.status import CaseType, Decision, SellerStep
from backend.errors import InvalidInput, NotOffered, NotShippedYet, PlatformRejected, UnknownCarrier
from backend.platforms.base import (
    AfterSalesSupport,
    CasePageResult,
    CaseRecord,
    CaseRef,
    Closing,
    ConsentReturn,
    Eligibility,
    Grant,
    OrderMappingError,
    OrderPageResult,
    PlatformCase,
    PlatformFeeLine,
    PlatformShop,
    PushEvent,
    RefundEstimate,
    RejectReason,
    SettlementBatch,
    Shipment,
    SkuInventory,
    SkuRef,
    TokenSet,
    carrier_key,
    each_mapped,
)
from backend.platforms.exports import ParsedExport
from backend.platforms.fulfilment import (
    Carrier,
    CombineGroup,
    DeliveryOption,
    Document,
    DocumentKind,
    FulfilmentSupport,
    Handover,
    HandoverChoices,
    ShipOutcome,
    SplitAdvice,
    TrackingEvent,
    TrackingKind,
)
from backend.platforms.http import RetryPolicy
from backend.platforms.shopee import seller_centre
from backend.platforms.shopee.auth import ShopeeAuthClient, ShopRefresher, consent_link
from backend.platforms.shopee.client import ShopeeClient, unix, windows
from backend.platforms.shopee.finance import escrow_fee_lines, map_escrow_release
from backend.platforms.shopee.mapping import (
    HANDED_OVER,
    PERSONAL_FIELDS,
    map_model_stock,
    map_order_page,
    map_shop,
)
from backend.platforms.shopee.returns import map_returns
from backend.platforms.shopee.signing import verify_push
from backend.platforms.shopee.webhooks import parse_push
from backend.platforms.tokens import RotatingTokens, TokenSource

CASE_PAGE = 50  # returns whose detail one page of a case sync reads
RECENT_RETURNS = timedelta(days=15)  # a webhook's re-read looks this far back (get_return_list's widest span)
READ_ONLY = (
    "Shopee takes a refusal as a dispute with evidence (photos, an e-mail address): reject or dispute it in "
    "Seller Centre; OrderDeck shows the case read-only"
)
# Pushes OrderDeck acts on: authorization granted/cancelled/expiring, order status, tracking number.
PUSH_CODES = (1, 2, 3, 4, 12)
# Air waybill types by page size: the thermal one is a label, the normal one an A4 sheet (v2.logistics).
AIR_WAYBILLS = {"A6": "THERMAL_AIR_WAYBILL", "A4": "NORMAL_AIR_WAYBILL"}
# get_tracking_info's per-event logistics_status (Shopee's logistics status list) → what it means here.
TRACKING_STATUSES = {
    "LOGISTICS_REQUEST_CREATED": TrackingKind.INFO,
    "LOGISTICS_PICKUP_DONE": TrackingKind.IN_TRANSIT,
    "LOGISTICS_DELIVERY_DONE": TrackingKind.DELIVERED,
    "LOGISTICS_DELIVERY_FAILED": TrackingKind.FAILED_ATTEMPT,
    "LOGISTICS_PICKUP_RETRY": TrackingKind.INFO,
    "LOGISTICS_LOST": TrackingKind.FAILED_ATTEMPT,
    "LOGISTICS_REQUEST_CANCELED": TrackingKind.INFO,
}


class ShopeeShop(Closing):
    """One Shopee shop's calls, in the shapes services expect."""

    def __init__(self, client: ShopeeClient, currency: str) -> None:
        self.api = client
        self._currency = currency

    def close(self) -> None:
        self.api.close()

    def _page(self, order_sns: Sequence[str], resume_from: datetime | None = None) -> OrderPageResult:
        """Details of these orders (50 a call) with their packages' tracking numbers (50 a call)."""
        details = self.api.order_details(order_sns)
        handed = [
            str(p["package_number"])
            for o in details
            for p in o.get("package_list") or ()
            if isinstance(p, dict) and p.get("package_number") and p.get("logistics_status") in HANDED_OVER
        ]
        return map_order_page(details, self.api.tracking_numbers(handed), resume_from=resume_from)

    def iter_order_pages(self, *, updated_from: datetime) -> Iterator[OrderPageResult]:
        """15-day windows up to Shopee's now, each read as spans listed whole; a span's page carries its end
        (`resume_from`), so a sync moves past a span only once all of it is stored."""
        for start, end in windows(updated_from, self.api.now()):
            for until, order_sns in self._spans(start, end):
                yield self._page(order_sns, resume_from=until)

    def _spans(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, list[str]]]:
        """(end, order numbers) of consecutive spans of [start, end], each listed by one get_order_list call.

        The list's cursor is a position in a list that changes under it: an order updated between two
        pages leaves the window and the next page starts one order late, skipping an order that never left
        (and the window's end then moves the watermark past it). One call is one consistent answer, so a
        span holding more than a page is halved until each half fits one; only a single second holding
        more than a page of changes is paged.
        """
        order_sns, cursor = self.api.order_page(start, end)
        if not cursor:
            yield end, order_sns
            return
        middle = start + (end - start) / 2
        if unix(start) < unix(middle) < unix(end):
            yield from self._spans(start, middle)
            yield from self._spans(middle, end)
            return
        while cursor:
            more, cursor = self.api.order_page(start, end, cursor)
            order_sns += more
        yield end, list(dict.fromkeys(order_sns))

    def get_orders(self, order_ids: Sequence[str]) -> OrderPageResult:
        return self._page(order_ids)

    def settlements(
        self, *, since: datetime, until: datetime | None = None, failures: list[OrderMappingError] | None = None
    ) -> Iterator[SettlementBatch]:
        """Each released escrow is one batch paying one order (v2.payment.get_escrow_list)."""
        releases = self.api.escrow_releases(since, until or self.api.now())
        yield from each_mapped(partial(map_escrow_release, currency=self._currency), releases, failures)

    def order_fee_lines(self, order_id: str) -> list[PlatformFeeLine]:
        return escrow_fee_lines(self.api.escrow_detail(order_id), self._currency)

    def stock(self, skus: Sequence[SkuRef], failures: list[OrderMappingError] | None = None) -> list[SkuInventory]:
        """Stock per model, one get_model_list per item (Shopee asks stock by item)."""
        wanted = {s.sku_id for s in skus}
        found: list[SkuInventory] = []
        for item_id in sorted({s.product_id for s in skus if s.product_id}):
            models = [m for m in self.api.models(item_id) if str(m.get("model_id") or "") in wanted]
            found += each_mapped(partial(map_model_stock, item_id), models, failures)
        return found

    def ship(self, *, order_id: str, package_id: str, carrier: str, tracking_number: str) -> Shipment:
        """Seller-shipped ("non-integrated") channels take our tracking number; Shopee arranges the others."""
        needed = self.api.shipping_parameter(order_id, package_id).get("info_needed") or {}
        if "non_integrated" not in needed:
            raise PlatformRejected(
                "Shopee arranges this order's pickup or drop-off through its own logistics: "
                "ship it from Seller Centre; there is no tracking number to type"
            )
        names = [str(c.get("logistics_channel_name") or "") for c in self.api.channels() if c.get("enabled")]
        match = next((n for n in names if carrier_key(n) == carrier_key(carrier)), None)
        if match is None:
            known = ", ".join(sorted(names)) or "none"
            raise UnknownCarrier(f"carrier {carrier!r} is not one of this shop's Shopee channels; known: {known}")
        self.api.ship_non_integrated(order_id, package_id, tracking_number)
        return Shipment(match, tracking_number)

    # -- fulfilment: Shopee's API serves tracking and air waybills; the rest is Seller Centre's -----------

    def _not_offered(self, what: str) -> NotOffered:
        return NotOffered(f"{what} for Shopee shops happens in Seller Centre; {ShopeeChannel.fulfilment.read_only}")

    def delivery_options(self, warehouse_id: str) -> list[DeliveryOption]:
        raise self._not_offered("choosing a delivery option")

    def carriers(self, option_id: str) -> list[Carrier]:
        raise self._not_offered("choosing a carrier")

    def handover_choices(self, package_id: str) -> HandoverChoices:
        raise self._not_offered("booking a pickup or drop-off")

    def ship_packages(self, requests: Sequence[tuple[str, Handover]]) -> list[ShipOutcome]:
        raise self._not_offered("arranging shipment")

    def shipping_document(
        self, order_id: str, package_id: str, *, kind: DocumentKind, size: str, format: str
    ) -> Document:
        if kind is not DocumentKind.LABEL or format != "PDF" or size not in AIR_WAYBILLS:
            raise NotOffered(f"Shopee prints air waybills only (PDF, {' or '.join(AIR_WAYBILLS)})")
        tracking = self.api.tracking_numbers([package_id]).get(package_id, "")
        if not tracking:
            raise NotShippedYet(f"Shopee order {order_id} is not arranged for shipment yet: no air waybill")
        try:
            content = self.api.air_waybill(order_id, package_id, tracking, AIR_WAYBILLS[size])
        except PlatformRejected as exc:
            if "after_arrange" in str(exc.platform_code):
                raise NotShippedYet(f"Shopee order {order_id} is not arranged for shipment yet") from None
            raise
        return Document(content, "application/pdf", tracking)

    def tracking(self, order_id: str) -> list[TrackingEvent]:
        events = []
        for row in self.api.tracking_info(order_id):
            when = row.get("update_time")
            if isinstance(when, int):
                kind = TRACKING_STATUSES.get(str(row.get("logistics_status") or ""), TrackingKind.INFO)
                events.append(TrackingEvent(datetime.fromtimestamp(when, UTC), str(row.get("description") or ""), kind))
        return sorted(events, key=lambda e: e.at)

    def combinable(self) -> list[CombineGroup]:
        raise self._not_offered("combining packages")

    def combine(self, group: CombineGroup) -> list[str]:
        raise self._not_offered("combining packages")

    def uncombine(self, package_id: str, order_ids: Sequence[str]) -> list[str]:
        raise self._not_offered("splitting packages")

    def split_advice(self, order_ids: Sequence[str]) -> list[SplitAdvice]:
        raise self._not_offered("splitting packages")

    def split(self, order_id: str, groups: Sequence[Sequence[str]]) -> list[str]:
        raise self._not_offered("splitting packages")

    def subscribe_pushes(self, address: str) -> None:
        self.api.set_push_config(address, PUSH_CODES)

    def _detailed(self, rows: Sequence[dict[str, object]], resume_from: datetime | None) -> CasePageResult:
        """The list's rows with the detail Shopee keeps apart (items, due date), one call a return."""
        page = map_returns([{**row, **self.api.return_detail(str(row.get("return_sn") or ""))} for row in rows])
        return replace(page, resume_from=resume_from)

    def iter_case_pages(self, *, updated_from: datetime) -> Iterator[CasePageResult]:
        """Returns changed since `updated_from`; the list is not in update order, so every page but the last
        holds the position at the start (as the order sync does)."""
        end = self.api.now()
        rows = list(self.api.returns(updated_from, end))
        if not rows:
            yield CasePageResult((), (), resume_from=end)
            return
        for start in range(0, len(rows), CASE_PAGE):
            last = start + CASE_PAGE >= len(rows)
            yield self._detailed(rows[start : start + CASE_PAGE], end if last else updated_from)

    def get_cases(self, order_ids: Sequence[str]) -> CasePageResult:
        """Shopee lists returns by time only: the recent ones, kept for these orders."""
        wanted = set(order_ids)
        end = self.api.now()
        rows = [r for r in self.api.returns(end - RECENT_RETURNS, end) if str(r.get("order_sn")) in wanted]
        return self._detailed(rows, None)

    def reject_reasons(self, case: CaseRef) -> list[RejectReason]:
        return []

    def decide(
        self, case: CaseRef, decision: Decision, *, reason: str = "", comment: str = "", idempotency_key: str
    ) -> None:
        """Only accepting a request is an API call; Shopee has no idempotency key, accepting twice is a no-op."""
        if not ShopeeChannel.after_sales.allows(case.type, case.step, decision):
            raise PlatformRejected(READ_ONLY)
        self.api.confirm_return(case.case_id)

    def cancel_order(
        self, order_id: str, *, reason: str, line_ids: Sequence[str] = (), idempotency_key: str
    ) -> PlatformCase | None:
        raise PlatformRejected("cancel Shopee orders in Seller Centre: OrderDeck does not cancel them")

    def case_records(self, case: CaseRef) -> list[CaseRecord]:
        return []

    def refund_estimate(self, order_id: str, *, request_type: CaseType, line_ids: Sequence[str] = ()) -> RefundEstimate:
        raise PlatformRejected("Shopee has no refund calculation call: see the return's refund amount")

    def eligibility(self, order_id: str) -> list[Eligibility]:
        return []


class ShopeeChannel:
    """Shopee Open Platform v2 (an app's SHOPEE_PARTNER_ID and SHOPEE_PARTNER_KEY; SHOPEE_API_BASE)."""

    name = "shopee"
    label = "Shopee"
    fulfilment = FulfilmentSupport(
        platform_shipping=False,
        carriers=False,
        documents=(DocumentKind.LABEL,),
        document_sizes=tuple(AIR_WAYBILLS),
        document_formats=("PDF",),
        tracking=True,
        combine=False,
        split=False,
        read_only="OrderDeck shows their air waybills and tracking",
    )
    shared_tokens = False  # each shop refreshes its own pair (a main account's is shared only until then)
    personal_fields = PERSONAL_FIELDS
    refresh_ahead = timedelta(minutes=30)  # access tokens live 4 hours
    after_sales = AfterSalesSupport(
        scope="",
        decisions=frozenset(
            (t, SellerStep.RESPOND, Decision.APPROVE) for t in (CaseType.REFUND, CaseType.RETURN_AND_REFUND)
        ),
        reject_reasons=False,
        seller_cancel=False,
        why_read_only=READ_ONLY,
    )

    def configured(self, settings: Config) -> str:
        if not settings.SHOPEE_PARTNER_ID.isdigit() or not settings.SHOPEE_PARTNER_KEY:
            return "SHOPEE_PARTNER_ID (a number) and SHOPEE_PARTNER_KEY are not set"
        return ""

    def _auth(self, settings: Config, transport: httpx.BaseTransport, retry: RetryPolicy | None) -> ShopeeAuthClient:
        return ShopeeAuthClient(
            settings.SHOPEE_PARTNER_ID,
            settings.SHOPEE_PARTNER_KEY,
            base_url=settings.SHOPEE_API_BASE,
            transport=transport,
            retry=retry,
        )

    def _client(
        self,
        settings: Config,
        tokens: TokenSource,
        transport: httpx.BaseTransport,
        retry: RetryPolicy | None,
        *,
        shop_id: str = "",
        merchant_id: str = "",
    ) -> ShopeeClient:
        return ShopeeClient(
            settings.SHOPEE_PARTNER_ID,
            settings.SHOPEE_PARTNER_KEY,
            tokens,
            base_url=settings.SHOPEE_API_BASE,
            transport=transport,
            retry=retry,
            shop_id=shop_id,
            merchant_id=merchant_id,
        )

    def consent_url(self, settings: Config, *, state: str, callback: str, region: str) -> str:
        """Shopee appends code and shop_id (or main_account_id) to `redirect`, which carries our state."""
        redirect = f"{callback}?{httpx.QueryParams({'state': state})}"
        partner_id, partner_key = settings.SHOPEE_PARTNER_ID, settings.SHOPEE_PARTNER_KEY
        return consent_link(settings.SHOPEE_API_BASE, partner_id, partner_key, redirect, time.time())

    def consent_return(self, query: Mapping[str, str]) -> ConsentReturn:
        code = query.get("code", "").strip()
        shop_id, main_account_id = query.get("shop_id", "").strip(), query.get("main_account_id", "").strip()
        if not code:
            raise InvalidInput("Shopee did not send an authorization code back")
        if bool(shop_id.isdigit()) == bool(main_account_id.isdigit()):
            raise InvalidInput("Shopee's redirect must name exactly one shop_id or main_account_id")
        return ConsentReturn(code, shop_id, main_account_id)

    def redeem(
        self, settings: Config, consent: ConsentReturn, *, transport: httpx.BaseTransport, retry: RetryPolicy | None
    ) -> Grant:
        """Code → the first pair; a main account's answer lists its shops, each named by get_shop_info."""
        if bool(consent.shop_id) == bool(consent.main_account_id):
            raise InvalidInput("give Shopee's shop id or its main account id (one of them) with the auth code")
        auth = self._auth(settings, transport, retry)
        try:
            granted = auth.exchange_code(consent.code, shop_id=consent.shop_id, main_account_id=consent.main_account_id)
        finally:
            auth.close()
        tokens = RotatingTokens(_Unrefreshable(), granted.tokens, label=self.label)
        seller = ""
        for merchant_id in granted.merchant_ids[:1]:
            with self._client(settings, tokens, transport, retry, merchant_id=merchant_id) as merchant:
                seller = str(merchant.merchant_info().get("merchant_name") or "")
        shops = []
        for shop_id in granted.shop_ids:
            with self._client(settings, tokens, transport, retry, shop_id=shop_id) as client:
                shops.append(map_shop(shop_id, client.shop_info()))
        return Grant(replace(granted.tokens, seller_name=seller), tuple(shops))

    def refresher(
        self, settings: Config, shop_id: str, *, transport: httpx.BaseTransport, retry: RetryPolicy | None
    ) -> ShopRefresher:
        return ShopRefresher(self._auth(settings, transport, retry), shop_id)

    def client(
        self,
        settings: Config,
        shop: PlatformShop,
        tokens: TokenSource,
        *,
        transport: httpx.BaseTransport,
        retry: RetryPolicy | None,
    ) -> ShopeeShop:
        api = self._client(settings, tokens, transport, retry, shop_id=shop.shop_ref)
        return ShopeeShop(api, market(shop.region).currency)

    def verify_push(self, settings: Config, raw_body: bytes, headers: Mapping[str, str]) -> bool:
        """Signed over the callback URL as registered: PUBLIC_BASE_URL/webhooks/shopee."""
        callback = settings.PUBLIC_BASE_URL.rstrip("/") + "/webhooks/shopee"
        return verify_push(settings.SHOPEE_PARTNER_KEY, callback, raw_body, headers.get("authorization"))

    def parse_push(self, raw_body: bytes) -> PushEvent:
        return parse_push(raw_body)

    def acknowledge(self, duplicate: bool, failed: str | None = None) -> tuple[bytes, str]:
        """Shopee wants a 2xx with an empty body, or it pushes again."""
        return b"", "text/plain"

    def parse_export(
        self,
        source: str | Path | IO[str] | IO[bytes],
        *,
        time_zone: str,
        currency: str,
        max_lengths: Mapping[str, int] | None = None,
    ) -> ParsedExport:
        return seller_centre.parse_export(source, time_zone=time_zone, currency=currency, max_lengths=max_lengths)


class _Unrefreshable:
    """While connecting, the first pair is fresh: nothing refreshes it before the shops are stored."""

    def refresh(self, refresh_token: str) -> TokenSet:
        raise PlatformRejected("a just-issued Shopee token was refused; connect the shop again")
