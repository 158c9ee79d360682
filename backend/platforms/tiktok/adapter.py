"""TikTok Shop behind the platform protocol (backend.platforms.base): consent, pushes, exports and a
client per shop, so services never see a shop_cipher, a statement or a TikTok error code.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

import httpx

from backend.catalog import market
from backend.config import Config
from backend.domain.status import CaseType, Decision
from backend.errors import InvalidInput, NotOffered, NotShippedYet, PlatformRejected, PlatformUnavailable
from backend.platforms.base import (
    AfterSalesSupport,
    CasePageResult,
    CaseRecord,
    CaseRef,
    Closing,
    ConsentReturn,
    Eligibility,
    FeeCategory,
    Grant,
    OrderMappingError,
    OrderPageResult,
    PlatformCase,
    PlatformFeeLine,
    PlatformShop,
    PushEvent,
    PushKind,
    RefundEstimate,
    RejectReason,
    SettlementBatch,
    SettlementEntry,
    Shipment,
    SkuInventory,
    SkuRef,
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
    ShipProblem,
    SplitAdvice,
    TrackingEvent,
)
from backend.platforms.http import RetryPolicy
from backend.platforms.tiktok import seller_center, webhooks
from backend.platforms.tiktok.after_sales import CANCEL_DECISIONS, RETURN_DECISIONS
from backend.platforms.tiktok.client import BATCH_SHIP_MAX, TikTokClient
from backend.platforms.tiktok.fulfillment import (
    COMBINE_NOT_ALLOWED,
    DOCUMENT_TYPES,
    HANDOVER_METHODS,
    NOT_SHIPPED_YET,
    NOT_TIKTOK_SHIPPING,
    ship_problem,
)
from backend.platforms.tiktok.mapping import PERSONAL_FIELDS
from backend.platforms.tiktok.oauth import TikTokAuthClient, consent_url
from backend.platforms.tokens import RotatingTokens, TokenSource

# Every event kind OrderDeck acts on; each is a separate subscription per shop.
WEBHOOK_EVENTS = (
    "ORDER_STATUS_CHANGE",
    "PACKAGE_UPDATE",
    "RECIPIENT_ADDRESS_UPDATE",
    "CANCELLATION_STATUS_CHANGE",
    "RETURN_STATUS_CHANGE",
    "SELLER_DEAUTHORIZATION",
    "UPCOMING_AUTHORIZATION_EXPIRATION",
)
# Event name → what it means for OrderDeck; order-bearing events are re-fetched, never trusted.
PUSH_KINDS = {
    "ORDER_STATUS_CHANGE": PushKind.ORDERS,
    "PACKAGE_UPDATE": PushKind.ORDERS,
    "RECIPIENT_ADDRESS_UPDATE": PushKind.ORDERS,
    "CANCELLATION_STATUS_CHANGE": PushKind.AFTER_SALES,
    "RETURN_STATUS_CHANGE": PushKind.AFTER_SALES,
    "REVERSE_STATUS_UPDATE": PushKind.AFTER_SALES,
    "SELLER_DEAUTHORIZATION": PushKind.DEAUTHORIZED,
    "UPCOMING_AUTHORIZATION_EXPIRATION": PushKind.AUTHORIZATION_EXPIRING,
}


def _handover_body(package_id: str, handover: Handover) -> dict[str, Any]:
    body: dict[str, Any] = {"id": package_id, "handover_method": HANDOVER_METHODS[handover.method]}
    if handover.slot is not None:
        slot = handover.slot
        body["pickup_slot"] = {"start_time": int(slot.start.timestamp()), "end_time": int(slot.end.timestamp())}
    return body


@contextmanager
def _combining() -> Iterator[None]:
    """TikTok combines and splits before shipping in SEA and LATAM only; elsewhere it refuses (21011035)."""
    try:
        yield
    except PlatformRejected as exc:
        if exc.platform_code == COMBINE_NOT_ALLOWED:
            raise NotOffered(f"TikTok Shop does not combine or split packages here: {exc.message}") from None
        raise


class TikTokShop(Closing):
    """One TikTok shop's calls: a TikTokClient with the shop's cipher bound in."""

    def __init__(self, client: TikTokClient, cipher: str) -> None:
        self.api = client
        self._cipher = cipher

    def close(self) -> None:
        self.api.close()

    def iter_order_pages(self, *, updated_from: datetime) -> Iterator[OrderPageResult]:
        # No upper bound: TikTok reads "until now" by its own clock, so ours cannot cut a window short.
        return self.api.iter_order_pages(self._cipher, updated_from=updated_from)

    def get_orders(self, order_ids: Sequence[str]) -> OrderPageResult:
        return self.api.get_orders(self._cipher, order_ids)

    def settlements(
        self, *, since: datetime, until: datetime | None = None, failures: list[OrderMappingError] | None = None
    ) -> Iterator[SettlementBatch]:
        """Daily statements; an ORDER transaction's lines come from the per-order call, adjustments carry theirs."""
        for statement in self.api.statements(self._cipher, since=since, until=until, failures=failures):
            entries = []
            for tx in self.api.statement_transactions(self._cipher, statement, failures=failures):
                if tx.type == "ORDER":
                    entries.append(SettlementEntry(tx.order_id, tx.type, tx.settlement_amount))
                    continue
                # A refund or adjustment paid later: its type is the kind of its adjustment lines.
                lines = tuple(
                    replace(line, kind=tx.type) if line.category == FeeCategory.ADJUSTMENT else line
                    for line in tx.fee_lines
                )
                entries.append(SettlementEntry(tx.order_id, tx.type, tx.settlement_amount, tx.transaction_id, lines))
            yield SettlementBatch(statement.statement_id, statement.statement_time, statement.currency, tuple(entries))

    def order_fee_lines(self, order_id: str) -> list[PlatformFeeLine]:
        return self.api.order_fee_lines(self._cipher, order_id)

    def stock(self, skus: Sequence[SkuRef], failures: list[OrderMappingError] | None = None) -> list[SkuInventory]:
        return self.api.search_inventory(self._cipher, sku_ids=sorted({s.sku_id for s in skus}), failures=failures)

    def ship(self, *, order_id: str, package_id: str, carrier: str, tracking_number: str) -> Shipment:
        provider = self.api.resolve_shipping_provider(self._cipher, carrier, package_id=package_id)
        self.api.ship_package(
            self._cipher, package_id, tracking_number=tracking_number, shipping_provider_id=provider.provider_id
        )
        return Shipment(provider.name, tracking_number)

    # -- fulfilment (backend.platforms.fulfilment.ShippingCalls) -------------------------------------

    def delivery_options(self, warehouse_id: str) -> list[DeliveryOption]:
        return [
            DeliveryOption(o.delivery_option_id, o.name, seller_ships=o.type == "SEND_BY_SELLER")
            for o in self.api.delivery_options(self._cipher, warehouse_id)
        ]

    def carriers(self, option_id: str) -> list[Carrier]:
        return [Carrier(p.provider_id, p.name) for p in self.api.shipping_providers(self._cipher, option_id)]

    def handover_choices(self, package_id: str) -> HandoverChoices:
        return self.api.handover_slots(self._cipher, package_id)

    def ship_packages(self, requests: Sequence[tuple[str, Handover]]) -> list[ShipOutcome]:
        """Batches of 50; a batch TikTok failed as a whole is RETRY for its packages (shipping one again is
        refused as already shipped, so a retry never ships twice)."""
        outcomes: list[ShipOutcome] = []
        for start in range(0, len(requests), BATCH_SHIP_MAX):
            batch = requests[start : start + BATCH_SHIP_MAX]
            try:
                refused = self.api.batch_ship(self._cipher, [_handover_body(p, h) for p, h in batch])
            except PlatformUnavailable as exc:
                outcomes += [ShipOutcome(p, ShipProblem.RETRY, exc.message) for p, _ in batch]
                continue
            for package_id, _ in batch:
                code, message = refused.get(package_id, (0, ""))
                problem = ship_problem(code) if code else None
                outcomes.append(ShipOutcome(package_id, problem, message))
        return outcomes

    def shipping_document(
        self, order_id: str, package_id: str, *, kind: DocumentKind, size: str, format: str
    ) -> Document:
        try:
            found = self.api.shipping_document(
                self._cipher, package_id, document_type=DOCUMENT_TYPES[kind], document_size=size, document_format=format
            )
        except PlatformRejected as exc:
            if exc.platform_code == NOT_SHIPPED_YET:
                raise NotShippedYet(f"package {package_id} is not handed over yet: mark it ready first") from None
            if exc.platform_code == NOT_TIKTOK_SHIPPING:
                raise NotOffered(f"package {package_id} is shipped by the seller: use the carrier's label") from None
            raise
        content, media_type = self.api.download(found.url)
        return Document(content, media_type, found.tracking_number)

    def tracking(self, order_id: str) -> list[TrackingEvent]:
        return self.api.tracking(self._cipher, order_id)

    def combinable(self) -> list[CombineGroup]:
        with _combining():
            return self.api.combinable_packages(self._cipher)

    def combine(self, group: CombineGroup) -> list[str]:
        with _combining():
            return self.api.combine_packages(self._cipher, group)

    def uncombine(self, package_id: str, order_ids: Sequence[str]) -> list[str]:
        with _combining():
            return self.api.uncombine_package(self._cipher, package_id, order_ids)

    def split_advice(self, order_ids: Sequence[str]) -> list[SplitAdvice]:
        with _combining():
            return self.api.split_attributes(self._cipher, order_ids)

    def split(self, order_id: str, groups: Sequence[Sequence[str]]) -> list[str]:
        with _combining():
            return self.api.split_order(self._cipher, order_id, groups)

    def subscribe_pushes(self, address: str) -> None:
        for event in WEBHOOK_EVENTS:
            self.api.subscribe_webhook(self._cipher, address, event)

    def iter_case_pages(self, *, updated_from: datetime) -> Iterator[CasePageResult]:
        """Two searches (cancellations, then returns), each in update order: the position may only move
        past `updated_from` once both are read, so every page but the last holds it there."""
        pages = self.api.iter_case_pages(self._cipher, updated_from=updated_from)
        current = next(pages, CasePageResult((), ()))
        newest = updated_from
        for following in pages:
            newest = max([newest, *(c.update_time for c in current.cases)])
            yield replace(current, resume_from=updated_from)
            current = following
        newest = max([newest, *(c.update_time for c in current.cases)])
        yield replace(current, resume_from=newest)

    def get_cases(self, order_ids: Sequence[str]) -> CasePageResult:
        return self.api.get_cases(self._cipher, order_ids)

    def reject_reasons(self, case: CaseRef) -> list[RejectReason]:
        return self.api.reject_reasons(self._cipher, case.case_id)

    def decide(
        self, case: CaseRef, decision: Decision, *, reason: str = "", comment: str = "", idempotency_key: str
    ) -> None:
        self.api.decide(self._cipher, case, decision, reason=reason, comment=comment, idempotency_key=idempotency_key)

    def cancel_order(
        self, order_id: str, *, reason: str, line_ids: Sequence[str] = (), idempotency_key: str
    ) -> PlatformCase | None:
        return self.api.cancel_order(
            self._cipher, order_id, reason=reason, line_ids=line_ids, idempotency_key=idempotency_key
        )

    def case_records(self, case: CaseRef) -> list[CaseRecord]:
        return self.api.case_records(self._cipher, case)

    def refund_estimate(self, order_id: str, *, request_type: CaseType, line_ids: Sequence[str] = ()) -> RefundEstimate:
        return self.api.refund_estimate(self._cipher, order_id, request_type=request_type, line_ids=line_ids)

    def eligibility(self, order_id: str) -> list[Eligibility]:
        return self.api.eligibility(self._cipher, order_id)


class TikTokChannel:
    """TikTok Shop (Partner Center app: TIKTOK_APP_KEY, TIKTOK_APP_SECRET, TIKTOK_SERVICE_ID)."""

    name = "tiktok"
    label = "TikTok Shop"
    fulfilment = FulfilmentSupport(
        platform_shipping=True,
        carriers=True,
        documents=tuple(DOCUMENT_TYPES),
        document_sizes=("A6", "A5"),
        document_formats=("PDF", "ZPL"),
        tracking=True,
        combine=True,  # SEA and LATAM; elsewhere TikTok refuses and the pack list says so
        split=True,
    )
    shared_tokens = True  # one pair per seller authorization (open_id), rotated for all its shops
    personal_fields = PERSONAL_FIELDS
    refresh_ahead = timedelta(hours=12)  # access tokens live 7 days: no sync starts with a dying one
    # Return & Refund Basic is its own API package: a shop authorized before the app asked for it has
    # everything else working and needs a new consent for after-sales alone.
    after_sales = AfterSalesSupport(
        scope="seller.return_refund.basic",
        decisions=frozenset(RETURN_DECISIONS) | CANCEL_DECISIONS,
        reject_reasons=True,
        seller_cancel=True,
        why_read_only="",
    )

    def configured(self, settings: Config) -> str:
        missing = [n for n in ("TIKTOK_APP_KEY", "TIKTOK_APP_SECRET") if not getattr(settings, n)]
        return f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set" if missing else ""

    def consent_url(self, settings: Config, *, state: str, callback: str, region: str) -> str:
        """TikTok redirects to the URL registered in Partner Center, so `callback` is not sent."""
        template = settings.TIKTOK_AUTHORIZE_URL or market(region).authorize_url
        return consent_url(template.replace("{service_id}", settings.TIKTOK_SERVICE_ID), state)

    def consent_return(self, query: Mapping[str, str]) -> ConsentReturn:
        code = query.get("code", "").strip()
        if not code:
            raise InvalidInput("TikTok did not send an authorization code back")
        return ConsentReturn(code)

    def _auth(self, settings: Config, transport: httpx.BaseTransport, retry: RetryPolicy | None) -> TikTokAuthClient:
        return TikTokAuthClient(
            settings.TIKTOK_APP_KEY,
            settings.TIKTOK_APP_SECRET,
            base_url=settings.TIKTOK_AUTH_BASE,
            transport=transport,
            retry=retry,
        )

    def redeem(
        self, settings: Config, consent: ConsentReturn, *, transport: httpx.BaseTransport, retry: RetryPolicy | None
    ) -> Grant:
        auth = self._auth(settings, transport, retry)
        try:
            tokens = auth.exchange_code(consent.code)
            api = TikTokClient(
                settings.TIKTOK_APP_KEY,
                settings.TIKTOK_APP_SECRET,
                RotatingTokens(auth, tokens, label=self.label),
                base_url=settings.TIKTOK_API_BASE,
                transport=transport,
                retry=retry,
            )
            with api:
                return Grant(tokens, tuple(api.authorized_shops()))
        finally:
            auth.close()

    def refresher(
        self, settings: Config, shop_id: str, *, transport: httpx.BaseTransport, retry: RetryPolicy | None
    ) -> TikTokAuthClient:
        return self._auth(settings, transport, retry)

    def client(
        self,
        settings: Config,
        shop: PlatformShop,
        tokens: TokenSource,
        *,
        transport: httpx.BaseTransport,
        retry: RetryPolicy | None,
    ) -> TikTokShop:
        api = TikTokClient(
            settings.TIKTOK_APP_KEY,
            settings.TIKTOK_APP_SECRET,
            tokens,
            base_url=settings.TIKTOK_API_BASE,
            transport=transport,
            retry=retry,
        )
        return TikTokShop(api, shop.shop_ref)

    def verify_push(self, settings: Config, raw_body: bytes, headers: Mapping[str, str]) -> bool:
        return webhooks.verify(
            settings.TIKTOK_APP_KEY, settings.TIKTOK_APP_SECRET, raw_body, headers.get("authorization")
        )

    def parse_push(self, raw_body: bytes) -> PushEvent:
        event = webhooks.parse_event(raw_body)  # UnusableEvent (an UnusablePush) says what is wrong
        detail = ""
        if event.name == "UPCOMING_AUTHORIZATION_EXPIRATION":
            detail = f"TikTok authorization expires {event.data.get('expiration_time', 'soon')}: reconnect the shop"
        return PushEvent(
            kind=PUSH_KINDS.get(event.name, PushKind.OTHER),
            name=event.name,
            notification_id=event.notification_id,
            shop_id=event.shop_id,
            order_ids=tuple(dict.fromkeys(event.order_ids())),
            detail=detail,
        )

    def acknowledge(self, duplicate: bool, failed: str | None = None) -> tuple[bytes, str]:
        body: dict[str, object] = {"code": 0, "message": "success", "duplicate": duplicate}
        if failed:
            body["stored_as_failed"] = failed
        return json.dumps(body).encode(), "application/json"

    def parse_export(
        self,
        source: str | Path | IO[str] | IO[bytes],
        *,
        time_zone: str,
        currency: str,
        max_lengths: Mapping[str, int] | None = None,
    ) -> ParsedExport:
        return seller_center.parse_export(source, time_zone=time_zone, currency=currency, max_lengths=max_lengths)
