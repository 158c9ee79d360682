"""TikTokClient: one typed method per TikTok Shop endpoint over a signed, retrying httpx client.

Endpoints are a table (method, path, shop-scoped, idempotent). A call serializes its body once and
sends those bytes; signing happens per attempt in TikTokSigner. Recoveries are bounded: transient
failures back off and retry (writes only when TikTok cannot have acted), an expired access token
is refreshed once, and a timestamp rejection is corrected once from TikTok's `Date` header.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import quote

import httpx

from backend.domain.status import CaseType, Decision
from backend.errors import ClockSkewError, PlatformRejected, PlatformUnavailable, ShopScopeError
from backend.platforms.base import (
    CasePageResult,
    CaseRecord,
    CaseRef,
    Closing,
    Eligibility,
    OrderMappingError,
    OrderPageResult,
    PlatformCase,
    PlatformFeeLine,
    PlatformShop,
    RefundEstimate,
    RejectReason,
    SkuInventory,
    each_mapped,
)
from backend.platforms.fulfilment import CombineGroup, HandoverChoices, SplitAdvice, TrackingEvent
from backend.platforms.http import ClientStats, RetryPolicy, ServerClock, exchange, explained_skew, recovering
from backend.platforms.tiktok.after_sales import map_case_page, return_decision
from backend.platforms.tiktok.finance import (
    SettlementTransaction,
    Statement,
    map_order_fee_lines,
    map_statement,
    map_transaction,
)
from backend.platforms.tiktok.fulfillment import (
    DeliveryOption,
    ShippingDocument,
    ShippingProvider,
    Warehouse,
    map_delivery_option,
    map_handover,
    map_provider,
    map_tracking,
    map_warehouse,
    match_provider,
)
from backend.platforms.tiktok.inventory import batches, map_inventory
from backend.platforms.tiktok.mapping import checked_page, map_order_page, map_shop, money, optional_timestamp, text
from backend.platforms.tiktok.signing import TikTokSigner
from backend.platforms.tiktok.transport import unwrap
from backend.platforms.tokens import TokenSource

DEFAULT_API_BASE = "https://open-api.tiktokglobalshop.com"
PAGE_SIZE_MAX = 100
CASE_PAGE_SIZE = 50  # Search Cancellations takes 1-50, Search Returns 10-50
DETAIL_BATCH_MAX = 50
BATCH_SHIP_MAX = 50  # TikTok's batch ship cap is UNCONFIRMED; 50 matches its other batch endpoints
COMBINE_PAGE_SIZE = 50  # combinable_packages/search takes 1-50
TIMESTAMP_WINDOW = "−300 s … +30 s"


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    shop_scoped: bool = True
    idempotent: bool = True


ENDPOINTS: dict[str, Endpoint] = {
    "authorized_shops": Endpoint("GET", "/authorization/202309/shops", shop_scoped=False),
    "webhooks": Endpoint("GET", "/event/202309/webhooks"),
    "update_webhook": Endpoint("PUT", "/event/202309/webhooks"),
    "search_orders": Endpoint("POST", "/order/202309/orders/search"),
    "order_detail": Endpoint("GET", "/order/202309/orders"),
    "statements": Endpoint("GET", "/finance/202309/statements"),
    "statement_transactions": Endpoint("GET", "/finance/202501/statements/{statement_id}/statement_transactions"),
    "order_transactions": Endpoint("GET", "/finance/202501/orders/{order_id}/statement_transactions"),
    "unsettled": Endpoint("GET", "/finance/202507/orders/unsettled"),
    "warehouses": Endpoint("GET", "/logistics/202309/warehouses"),
    "delivery_options": Endpoint("GET", "/logistics/202309/warehouses/{warehouse_id}/delivery_options"),
    "shipping_providers": Endpoint("GET", "/logistics/202309/delivery_options/{delivery_option_id}/shipping_providers"),
    "package": Endpoint("GET", "/fulfillment/202309/packages/{package_id}"),
    "ship_package": Endpoint("POST", "/fulfillment/202309/packages/{package_id}/ship", idempotent=False),
    "update_shipping_info": Endpoint(
        "POST", "/fulfillment/202309/packages/{package_id}/shipping_info/update", idempotent=False
    ),
    "shipping_documents": Endpoint("GET", "/fulfillment/202309/packages/{package_id}/shipping_documents"),
    "handover_slots": Endpoint("GET", "/fulfillment/202309/packages/{package_id}/handover_time_slots"),
    "batch_ship": Endpoint("POST", "/fulfillment/202309/packages/ship", idempotent=False),
    "tracking": Endpoint("GET", "/fulfillment/202309/orders/{order_id}/tracking"),
    "combinable": Endpoint("GET", "/fulfillment/202309/combinable_packages/search"),
    "combine": Endpoint("POST", "/fulfillment/202309/packages/combine", idempotent=False),
    "uncombine": Endpoint("POST", "/fulfillment/202309/packages/{package_id}/uncombine", idempotent=False),
    "split_attributes": Endpoint("GET", "/fulfillment/202309/orders/split_attributes"),
    "split": Endpoint("POST", "/fulfillment/202309/orders/{order_id}/split", idempotent=False),
    "search_inventory": Endpoint("POST", "/product/202309/inventory/search"),
    # Return & Refund. Every write carries an idempotency_key, so TikTok acts once per key and a retry of
    # a write that may have arrived is safe (these are marked idempotent for the retry policy).
    "search_cancellations": Endpoint("POST", "/return_refund/202309/cancellations/search"),
    "search_returns": Endpoint("POST", "/return_refund/202309/returns/search"),
    "approve_cancellation": Endpoint("POST", "/return_refund/202309/cancellations/{case_id}/approve"),
    "reject_cancellation": Endpoint("POST", "/return_refund/202309/cancellations/{case_id}/reject"),
    "cancel_order": Endpoint("POST", "/return_refund/202309/cancellations"),
    "approve_return": Endpoint("POST", "/return_refund/202309/returns/{case_id}/approve"),
    "reject_return": Endpoint("POST", "/return_refund/202309/returns/{case_id}/reject"),
    "return_records": Endpoint("GET", "/return_refund/202309/returns/{case_id}/records"),
    "reject_reasons": Endpoint("GET", "/return_refund/202309/reject_reasons"),
    "calculate_refund": Endpoint("POST", "/return_refund/202309/refunds/calculate"),
    "aftersale_eligibility": Endpoint("GET", "/return_refund/202309/orders/{order_id}/aftersale_eligibility"),
}


def _unix(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware UTC datetime")
    return int(moment.timestamp())


def _page_size(page_size: int) -> int:
    if not 1 <= page_size <= PAGE_SIZE_MAX:
        raise ValueError(f"page_size must be 1..{PAGE_SIZE_MAX}")
    return page_size


class TikTokClient(Closing):
    """A TikTok Shop API client for one authorization (one token, possibly several shops)."""

    platform = "tiktok"

    def __init__(
        self,
        app_key: str,
        app_secret: str,
        tokens: TokenSource,
        *,
        base_url: str = DEFAULT_API_BASE,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] = time.time,
        timeout: float = 30.0,
    ) -> None:
        self._tokens = tokens
        self.clock = ServerClock(clock)
        self._http = httpx.Client(
            base_url=base_url,
            transport=transport,
            timeout=timeout,
            auth=TikTokSigner(app_key, app_secret, tokens.access_token, self.clock.now),
            headers={"content-type": "application/json"},
        )
        self._retry = retry or RetryPolicy()
        self.stats = ClientStats()

    def close(self) -> None:
        self._http.close()

    # -- the one request path -------------------------------------------------------------------

    def call(
        self,
        name: str,
        *,
        shop_cipher: str | None = None,
        path_params: Mapping[str, str] | None = None,
        query: Mapping[str, object] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Call endpoint `name` and return its `data`; raises a typed PlatformError otherwise."""
        endpoint = ENDPOINTS[name]
        if endpoint.shop_scoped != bool(shop_cipher):
            need = "needs" if endpoint.shop_scoped else "must not have"
            raise ShopScopeError(f"{endpoint.method} {endpoint.path} {need} a shop_cipher")
        params = {
            k: ",".join(v) if isinstance(v, list) else str(v) for k, v in (query or {}).items() if v not in (None, "")
        }
        if shop_cipher:
            params["shop_cipher"] = shop_cipher
        path = endpoint.path.format(**{k: quote(v, safe="") for k, v in (path_params or {}).items()})
        content = b"" if body is None else json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        request = self._http.build_request(endpoint.method, path, params=params, content=content)
        return recovering(
            lambda: exchange(self._http, request, self.stats, self.clock, unwrap),
            self._tokens,
            idempotent=endpoint.idempotent,
            policy=self._retry,
            stats=self.stats,
            explain_skew=self._skew_error,
        )

    def _skew_error(self, exc: ClockSkewError) -> ClockSkewError:
        return explained_skew(exc, self.clock, "TikTok", TIMESTAMP_WINDOW)

    def _pages(
        self,
        name: str,
        *,
        shop_cipher: str,
        page_size: int,
        path_params: Mapping[str, str] | None = None,
        query: Mapping[str, object] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Follow `next_page_token` (opaque; sent URL-encoded, signed decoded) until it is empty."""
        token = ""
        while True:
            page_query = {**(query or {}), "page_size": _page_size(page_size), "page_token": token}
            data = self.call(name, shop_cipher=shop_cipher, path_params=path_params, query=page_query, body=body)
            yield data
            token = str(data.get("next_page_token") or "")
            if not token:
                return

    # -- authorization and webhooks -------------------------------------------------------------

    def authorized_shops(self) -> list[PlatformShop]:
        return [map_shop(s) for s in self.call("authorized_shops").get("shops") or ()]

    def subscribe_webhook(self, shop_cipher: str, address: str, event_type: str = "ORDER_STATUS_CHANGE") -> None:
        """Point one event type of one shop at `address` (PUT replaces; safe to repeat)."""
        self.call("update_webhook", shop_cipher=shop_cipher, body={"address": address, "event_type": event_type})

    def webhooks(self, shop_cipher: str) -> dict[str, str]:
        """event_type → address currently subscribed for the shop."""
        rows = self.call("webhooks", shop_cipher=shop_cipher).get("webhooks") or ()
        return {str(w["event_type"]): str(w["address"]) for w in rows}

    # -- orders -----------------------------------------------------------------------------------

    def iter_order_pages(
        self,
        shop_cipher: str,
        *,
        updated_from: datetime,
        updated_to: datetime | None = None,
        status: str | None = None,
        page_size: int = PAGE_SIZE_MAX,
    ) -> Iterator[OrderPageResult]:
        """Orders with update_time in [updated_from, updated_to), oldest change first, a page at a time."""
        body: dict[str, Any] = {"update_time_ge": _unix(updated_from)}
        if updated_to is not None:
            body["update_time_lt"] = _unix(updated_to)
        if status:
            body["order_status"] = status
        query = {"sort_field": "update_time", "sort_order": "ASC"}
        for data in self._pages("search_orders", shop_cipher=shop_cipher, page_size=page_size, query=query, body=body):
            checked_page("order_page", data, "order search")
            yield map_order_page(
                data.get("orders") or (), str(data.get("next_page_token") or ""), int(data.get("total_count") or 0)
            )

    def get_orders(self, shop_cipher: str, order_ids: Sequence[str]) -> OrderPageResult:
        """Order detail in batches of at most 50 ids."""
        raw: list[dict[str, Any]] = []
        for start in range(0, len(order_ids), DETAIL_BATCH_MAX):
            batch = list(order_ids[start : start + DETAIL_BATCH_MAX])
            data = checked_page("order_page", self.call("order_detail", shop_cipher=shop_cipher, query={"ids": batch}),
                                "order detail")  # fmt: skip
            raw += data.get("orders") or ()
        return map_order_page(raw, "", len(raw))

    # -- finance ----------------------------------------------------------------------------------

    def statements(
        self,
        shop_cipher: str,
        *,
        since: datetime,
        until: datetime | None = None,
        page_size: int = PAGE_SIZE_MAX,
        failures: list[OrderMappingError] | None = None,
    ) -> Iterator[Statement]:
        """Daily statements; malformed ones go to `failures` when given (the walk goes on), else raise."""
        query = {
            "sort_field": "statement_time",
            "sort_order": "ASC",
            "statement_time_ge": _unix(since),
            "statement_time_lt": _unix(until) if until else None,
        }
        for data in self._pages("statements", shop_cipher=shop_cipher, page_size=page_size, query=query):
            checked_page("statement_page", data, "statements")
            yield from each_mapped(map_statement, data.get("statements") or (), failures)

    def statement_transactions(
        self,
        shop_cipher: str,
        statement: Statement,
        *,
        page_size: int = PAGE_SIZE_MAX,
        failures: list[OrderMappingError] | None = None,
    ) -> Iterator[SettlementTransaction]:
        """A statement's transactions; malformed ones go to `failures` when given, else raise."""
        query = {"sort_field": "order_create_time", "sort_order": "ASC"}
        path_params = {"statement_id": statement.statement_id}
        pages = self._pages(
            "statement_transactions", shop_cipher=shop_cipher, page_size=page_size, path_params=path_params, query=query
        )
        mapped = partial(
            map_transaction, currency=statement.currency, statement_id=statement.statement_id, estimated=False
        )
        for data in pages:
            checked_page("transaction_page", data, "statement transactions")
            yield from each_mapped(mapped, data.get("transactions") or (), failures)

    def order_fee_lines(self, shop_cipher: str, order_id: str) -> list[PlatformFeeLine]:
        """Settled fee lines of one order (202501, all regions); empty while the order is unsettled."""
        data = self.call("order_transactions", shop_cipher=shop_cipher, path_params={"order_id": order_id})
        return map_order_fee_lines(data)

    def unsettled_transactions(
        self, shop_cipher: str, *, since: datetime, until: datetime | None = None, page_size: int = PAGE_SIZE_MAX
    ) -> Iterator[SettlementTransaction]:
        """Estimated settlements of orders not yet on a statement (202507; field shape UNCONFIRMED)."""
        query = {
            "sort_field": "order_create_time",
            "sort_order": "ASC",
            "search_time_ge": _unix(since),
            "search_time_lt": _unix(until) if until else None,
        }
        for data in self._pages("unsettled", shop_cipher=shop_cipher, page_size=page_size, query=query):
            checked_page("transaction_page", data, "unsettled transactions")
            for row in data.get("transactions") or ():
                yield map_transaction(row, currency="", statement_id=None, estimated=True)

    # -- fulfillment ------------------------------------------------------------------------------

    def warehouses(self, shop_cipher: str) -> list[Warehouse]:
        return [map_warehouse(w) for w in self.call("warehouses", shop_cipher=shop_cipher).get("warehouses") or ()]

    def delivery_options(self, shop_cipher: str, warehouse_id: str) -> list[DeliveryOption]:
        data = self.call("delivery_options", shop_cipher=shop_cipher, path_params={"warehouse_id": warehouse_id})
        return [map_delivery_option(d) for d in data.get("delivery_options") or ()]

    def shipping_providers(self, shop_cipher: str, delivery_option_id: str) -> list[ShippingProvider]:
        data = self.call(
            "shipping_providers", shop_cipher=shop_cipher, path_params={"delivery_option_id": delivery_option_id}
        )
        return [map_provider(p) for p in data.get("shipping_providers") or ()]

    def resolve_shipping_provider(self, shop_cipher: str, carrier_name: str, *, package_id: str) -> ShippingProvider:
        """Typed carrier name → provider of the package's delivery option (case/space-insensitive)."""
        package = self.call("package", shop_cipher=shop_cipher, path_params={"package_id": package_id})
        option = str(package.get("delivery_option_id") or "")
        if not option:
            raise PlatformRejected(f"package {package_id} has no delivery option to pick a carrier from")
        return match_provider(carrier_name, self.shipping_providers(shop_cipher, option))

    def ship_package(
        self, shop_cipher: str, package_id: str, *, tracking_number: str, shipping_provider_id: str
    ) -> None:
        """Seller-shipped package: hand TikTok our tracking number. Raises OrderOnHold in the remorse hour."""
        body = {"self_shipment": {"tracking_number": tracking_number, "shipping_provider_id": shipping_provider_id}}
        self.call("ship_package", shop_cipher=shop_cipher, path_params={"package_id": package_id}, body=body)

    def update_shipping_info(
        self, shop_cipher: str, package_id: str, *, tracking_number: str, shipping_provider_id: str
    ) -> None:
        """Correct the tracking of an already shipped seller-shipped package."""
        body = {"tracking_number": tracking_number, "shipping_provider_id": shipping_provider_id}
        self.call("update_shipping_info", shop_cipher=shop_cipher, path_params={"package_id": package_id}, body=body)

    def handover_slots(self, shop_cipher: str, package_id: str) -> HandoverChoices:
        data = self.call("handover_slots", shop_cipher=shop_cipher, path_params={"package_id": package_id})
        return map_handover(data)

    def batch_ship(self, shop_cipher: str, packages: Sequence[Mapping[str, Any]]) -> dict[str, tuple[int, str]]:
        """Hand over at most BATCH_SHIP_MAX TikTok-shipped packages: package id → (code, message) of each one
        TikTok refused (reported inside a success envelope); the others shipped."""
        if len(packages) > BATCH_SHIP_MAX:
            raise ValueError(f"at most {BATCH_SHIP_MAX} packages per batch")
        refused: dict[str, tuple[int, str]] = {}
        data = self.call("batch_ship", shop_cipher=shop_cipher, body={"packages": list(packages)})
        for error in data.get("errors") or ():
            package_id = str((error.get("detail") or {}).get("package_id", ""))
            refused[package_id] = (int(error.get("code") or -1), str(error.get("message", "")))
        return refused

    def shipping_document(
        self,
        shop_cipher: str,
        package_id: str,
        *,
        document_type: str = "SHIPPING_LABEL",
        document_size: str = "A6",
        document_format: str = "PDF",
    ) -> ShippingDocument:
        """A fresh document URL (valid 24 hours) and the package's tracking number."""
        data = self.call(
            "shipping_documents",
            shop_cipher=shop_cipher,
            path_params={"package_id": package_id},
            query={"document_type": document_type, "document_size": document_size, "document_format": document_format},
        )
        return ShippingDocument(url=str(data.get("doc_url", "")), tracking_number=str(data.get("tracking_number", "")))

    def download(self, url: str) -> tuple[bytes, str]:
        """A document at a doc_url: TikTok's CDN, unsigned; an expired or refused URL is worth a fresh one."""
        try:
            response = self._http.get(url, auth=None)
        except httpx.TransportError as exc:
            raise PlatformUnavailable(f"TikTok's document download failed: {exc}") from None
        if not response.is_success:
            raise PlatformUnavailable(f"TikTok's document URL answered HTTP {response.status_code}")
        return response.content, response.headers.get("content-type", "application/pdf").split(";")[0]

    def tracking(self, shop_cipher: str, order_id: str) -> list[TrackingEvent]:
        return map_tracking(self.call("tracking", shop_cipher=shop_cipher, path_params={"order_id": order_id}))

    def combinable_packages(self, shop_cipher: str) -> list[CombineGroup]:
        groups = []
        for data in self._pages("combinable", shop_cipher=shop_cipher, page_size=COMBINE_PAGE_SIZE):
            for row in data.get("combinable_packages") or ():
                groups.append(CombineGroup(text(row, "id"), tuple(str(o) for o in row.get("order_ids") or ())))
        return groups

    def combine_packages(self, shop_cipher: str, group: CombineGroup) -> list[str]:
        body = {"combinable_packages": [{"id": group.group_id, "order_ids": list(group.order_ids)}]}
        data = self.call("combine", shop_cipher=shop_cipher, body=body)
        for error in data.get("errors") or ():
            raise PlatformRejected(str(error.get("message", "")), platform_code=error.get("code"))
        return [text(p, "id") for p in data.get("packages") or ()]

    def uncombine_package(self, shop_cipher: str, package_id: str, order_ids: Sequence[str]) -> list[str]:
        body = {"order_ids": list(order_ids)}
        data = self.call("uncombine", shop_cipher=shop_cipher, path_params={"package_id": package_id}, body=body)
        return [text(p, "id") for p in data.get("packages") or ()]

    def split_attributes(self, shop_cipher: str, order_ids: Sequence[str]) -> list[SplitAdvice]:
        advice = []
        for start in range(0, len(order_ids), DETAIL_BATCH_MAX):
            query = {"order_ids": list(order_ids[start : start + DETAIL_BATCH_MAX])}
            data = self.call("split_attributes", shop_cipher=shop_cipher, query=query)
            for row in data.get("split_attributes") or ():
                advice.append(SplitAdvice(text(row, "order_id"), bool(row.get("can_split")), text(row, "reason")))
        return advice

    def split_order(self, shop_cipher: str, order_id: str, groups: Sequence[Sequence[str]]) -> list[str]:
        body = {"splittable_groups": [{"id": str(i + 1), "order_line_item_ids": list(g)} for i, g in enumerate(groups)]}
        data = self.call("split", shop_cipher=shop_cipher, path_params={"order_id": order_id}, body=body)
        return [text(p, "id") for p in data.get("packages") or ()]

    # -- inventory --------------------------------------------------------------------------------

    def search_inventory(
        self,
        shop_cipher: str,
        *,
        sku_ids: Sequence[str] = (),
        product_ids: Sequence[str] = (),
        failures: list[OrderMappingError] | None = None,
    ) -> list[SkuInventory]:
        """Stock per SKU and warehouse, for SKU ids (or whole products), in batches TikTok accepts.

        Malformed products go to `failures` when given (see map_inventory)."""
        found: list[SkuInventory] = []
        for name, ids in (("sku_ids", sku_ids), ("product_ids", product_ids)):
            for batch in batches(ids):
                data = self.call("search_inventory", shop_cipher=shop_cipher, body={name: batch})
                found += map_inventory(checked_page("inventory_page", data, "inventory search"), failures)
        return found

    # -- returns, refunds and cancellations ----------------------------------------------------------

    def _case_search(self, shop_cipher: str, name: str, body: Mapping[str, Any]) -> Iterator[CasePageResult]:
        query = {"sort_field": "update_time", "sort_order": "ASC"}
        key = "cancellations" if name == "search_cancellations" else "return_orders"
        for data in self._pages(name, shop_cipher=shop_cipher, page_size=CASE_PAGE_SIZE, query=query, body=body):
            rows = data.get(key) or ()
            yield map_case_page(rows, ()) if key == "cancellations" else map_case_page((), rows)

    def iter_case_pages(
        self, shop_cipher: str, *, updated_from: datetime, updated_to: datetime | None = None
    ) -> Iterator[CasePageResult]:
        """Cancellations, then returns (refunds and replacements too), with update_time in the window."""
        body: dict[str, Any] = {"update_time_ge": _unix(updated_from)}
        if updated_to is not None:
            body["update_time_lt"] = _unix(updated_to)
        yield from self._case_search(shop_cipher, "search_cancellations", body)
        yield from self._case_search(shop_cipher, "search_returns", body)

    def get_cases(self, shop_cipher: str, order_ids: Sequence[str]) -> CasePageResult:
        """Every cancellation and return of these orders (50 orders a search)."""
        cases: list[PlatformCase] = []
        failures: list[OrderMappingError] = []
        for start in range(0, len(order_ids), DETAIL_BATCH_MAX):
            body = {"order_ids": list(order_ids[start : start + DETAIL_BATCH_MAX])}
            for name in ("search_cancellations", "search_returns"):
                for page in self._case_search(shop_cipher, name, body):
                    cases += page.cases
                    failures += page.failures
        return CasePageResult(tuple(cases), tuple(failures))

    def reject_reasons(self, shop_cipher: str, case_id: str) -> list[RejectReason]:
        """TikTok's reasons for refusing this request now (its docs: ask before every rejection)."""
        data = self.call("reject_reasons", shop_cipher=shop_cipher, query={"return_or_cancel_id": case_id})
        return [
            RejectReason(text(r, "name"), text(r, "text") or text(r, "name"))
            for r in data.get("reasons") or ()
            if isinstance(r, Mapping) and text(r, "name")
        ]

    def decide(
        self,
        shop_cipher: str,
        case: CaseRef,
        decision: Decision,
        *,
        reason: str = "",
        comment: str = "",
        idempotency_key: str,
    ) -> None:
        """Approve or reject a cancellation or return; reject needs one of `reject_reasons`' names."""
        kind = "cancellation" if case.type is CaseType.CANCEL else "return"
        body: dict[str, Any] = {}
        if case.type is not CaseType.CANCEL:
            body["decision"] = return_decision(case.type, case.step, decision)
        if decision is Decision.REJECT:
            body |= {"reject_reason": reason, **({"comment": comment} if comment else {})}
        self.call(
            f"{decision.value}_{kind}",
            shop_cipher=shop_cipher,
            path_params={"case_id": case.case_id},
            query={"idempotency_key": idempotency_key},
            body=body or None,
        )

    def cancel_order(
        self, shop_cipher: str, order_id: str, *, reason: str, line_ids: Sequence[str] = (), idempotency_key: str
    ) -> PlatformCase | None:
        """The seller cancels the order (lines: US and UK only); returns the cancellation it opened."""
        body: dict[str, Any] = {"order_id": order_id, "cancel_reason": reason}
        if line_ids:
            body["order_line_item_ids"] = list(line_ids)
        data = self.call("cancel_order", shop_cipher=shop_cipher, query={"idempotency_key": idempotency_key}, body=body)
        cancel_id = text(data, "cancel_id")
        if not cancel_id:
            return None
        found = next(self._case_search(shop_cipher, "search_cancellations", {"cancel_ids": [cancel_id]}), None)
        return found.cases[0] if found and found.cases else None

    def case_records(self, shop_cipher: str, case: CaseRef) -> list[CaseRecord]:
        """A return's history as TikTok records it (cancellations have no records endpoint: empty)."""
        if case.type is CaseType.CANCEL:
            return []
        data = self.call("return_records", shop_cipher=shop_cipher, path_params={"case_id": case.case_id})
        records = []
        for row in data.get("records") or ():
            at = optional_timestamp(row, "create_time", case.case_id) if isinstance(row, Mapping) else None
            if at is not None:
                records.append(CaseRecord(at, text(row, "event"), text(row, "role"), text(row, "description")))
        return sorted(records, key=lambda r: r.at)

    def refund_estimate(
        self, shop_cipher: str, order_id: str, *, request_type: CaseType, line_ids: Sequence[str] = ()
    ) -> RefundEstimate:
        body: dict[str, Any] = {"order_id": order_id, "request_type": request_type.value}
        if line_ids:
            body["order_line_item_ids"] = list(line_ids)
        data = self.call("calculate_refund", shop_cipher=shop_cipher, body=body)
        amount = data.get("order_refund_amount") or {}
        return RefundEstimate(
            currency=text(amount, "currency"),
            total=money(amount, "refund_total", order_id),
            subtotal=money(amount, "refund_subtotal", order_id),
            shipping=money(amount, "refund_shipping_fee", order_id),
        )

    def eligibility(self, shop_cipher: str, order_id: str) -> list[Eligibility]:
        data = self.call(
            "aftersale_eligibility",
            shop_cipher=shop_cipher,
            path_params={"order_id": order_id},
            query={"initiate_aftersale_user": "SELLER"},
        )
        found = []
        for sku in data.get("sku_eligibility") or ():
            for item in sku.get("line_item_eligibility") or ():
                found.append(
                    Eligibility(
                        sku_id=text(sku, "sku_id"),
                        request_type=text(item, "request_type"),
                        line_ids=tuple(str(i) for i in item.get("order_line_items_ids") or ()),
                        eligible=bool(item.get("eligible")),
                        reason=text(item, "ineligible_reason"),
                    )
                )
        return found
