"""ShopeeClient: one typed method per Shopee Open Platform v2 call over a signed, retrying httpx client.

Calls are a table (method, path, idempotent). The shop API signs per attempt (ShopeeSigner), retries
transient failures (writes only when Shopee cannot have acted), refreshes a stale access token once
and corrects a rejected timestamp once from the `Date` header, as TikTok's client does (platforms.http).
Limits from the v2 API reference: get_order_list reads at most 15 days per call (time_from..time_to)
and 100 orders a page; get_order_detail and get_mass_tracking_number take at most 50 per call.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from backend.errors import ClockSkewError, PlatformRejected, PlatformUnavailable
from backend.platforms.base import Closing
from backend.platforms.http import ClientStats, RetryPolicy, ServerClock, exchange, explained_skew, recovering
from backend.platforms.shopee.auth import DEFAULT_API_BASE
from backend.platforms.shopee.errors import unwrap, unwrap_file
from backend.platforms.shopee.signing import ShopeeSigner
from backend.platforms.tokens import TokenSource

WINDOW = timedelta(days=15)  # get_order_list: "time_from and time_to ... diff in 15 days"
PAGE_SIZE_MAX = 100
BATCH_MAX = 50
TIMESTAMP_WINDOW = "5 minutes"
# What get_order_detail returns only when asked (its `response_optional_fields`).
DETAIL_FIELDS = (
    "buyer_user_id,buyer_username,estimated_shipping_fee,recipient_address,note,item_list,pay_time,"
    "split_up,buyer_cancel_reason,cancel_by,cancel_reason,fulfillment_flag,pickup_done_time,package_list,"
    "shipping_carrier,payment_method,total_amount"
)


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    idempotent: bool = True
    file: bool = False  # answered with the file itself (a shipping document), not an envelope


ENDPOINTS: dict[str, Endpoint] = {
    "shop_info": Endpoint("GET", "/api/v2/shop/get_shop_info"),
    "merchant_info": Endpoint("GET", "/api/v2/merchant/get_merchant_info"),
    "order_list": Endpoint("GET", "/api/v2/order/get_order_list"),
    "order_detail": Endpoint("GET", "/api/v2/order/get_order_detail"),
    "escrow_list": Endpoint("GET", "/api/v2/payment/get_escrow_list"),
    "escrow_detail": Endpoint("GET", "/api/v2/payment/get_escrow_detail"),
    "channel_list": Endpoint("GET", "/api/v2/logistics/get_channel_list"),
    "shipping_parameter": Endpoint("GET", "/api/v2/logistics/get_shipping_parameter"),
    "ship_order": Endpoint("POST", "/api/v2/logistics/ship_order", idempotent=False),
    "mass_tracking_number": Endpoint("POST", "/api/v2/logistics/get_mass_tracking_number"),
    "tracking_info": Endpoint("GET", "/api/v2/logistics/get_tracking_info"),
    "create_document": Endpoint("POST", "/api/v2/logistics/create_shipping_document"),
    "document_result": Endpoint("POST", "/api/v2/logistics/get_shipping_document_result"),
    "download_document": Endpoint("POST", "/api/v2/logistics/download_shipping_document", file=True),
    "model_list": Endpoint("GET", "/api/v2/product/get_model_list"),
    "return_list": Endpoint("GET", "/api/v2/returns/get_return_list"),
    "return_detail": Endpoint("GET", "/api/v2/returns/get_return_detail"),
    # Accepting is a state Shopee reaches once whatever the repeats, so a retry is safe.
    "return_confirm": Endpoint("POST", "/api/v2/returns/confirm"),
    "set_push_config": Endpoint("POST", "/api/v2/push/set_app_push_config"),
}


def unix(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware UTC datetime")
    return int(moment.timestamp())


def windows(start: datetime, end: datetime, width: timedelta = WINDOW) -> Iterator[tuple[datetime, datetime]]:
    """[start, end) cut into spans Shopee accepts: a wide range is split, never refused.

    Shopee counts whole seconds and wants time_from before time_to, so a tail under a second is left
    to the next read (which starts from an overlap anyway).
    """
    while unix(start) < unix(end):
        yield start, min(start + width, end)
        start += width


class ShopeeClient(Closing):
    """One shop's Shopee API (shop-level calls), or a merchant's when `merchant_id` is given."""

    def __init__(
        self,
        partner_id: str,
        partner_key: str,
        tokens: TokenSource,
        *,
        shop_id: str = "",
        merchant_id: str = "",
        base_url: str = DEFAULT_API_BASE,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] = time.time,
        timeout: float = 30.0,
    ) -> None:
        self.shop_id = shop_id
        self._tokens = tokens
        self.clock = ServerClock(clock)
        signer = ShopeeSigner(
            partner_id, partner_key, self.clock.now, tokens.access_token, shop_id=shop_id, merchant_id=merchant_id
        )
        self._http = httpx.Client(base_url=base_url, transport=transport, timeout=timeout, auth=signer)
        self._retry = retry or RetryPolicy()
        self.stats = ClientStats()

    def close(self) -> None:
        self._http.close()

    def call(
        self, name: str, *, query: Mapping[str, object] | None = None, body: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Call `name` and return its `response`; raises a typed PlatformError otherwise."""
        endpoint = ENDPOINTS[name]
        params = {k: str(v) for k, v in (query or {}).items() if v not in (None, "")}
        request = self._http.build_request(endpoint.method, endpoint.path, params=params, json=body)
        return recovering(
            lambda: exchange(self._http, request, self.stats, self.clock, unwrap_file if endpoint.file else unwrap),
            self._tokens,
            idempotent=endpoint.idempotent,
            policy=self._retry,
            stats=self.stats,
            explain_skew=self._skew_error,
        )

    def _skew_error(self, exc: ClockSkewError) -> ClockSkewError:
        return explained_skew(exc, self.clock, "Shopee", TIMESTAMP_WINDOW)

    def now(self) -> datetime:
        """Shopee's time as far as we can tell (our clock corrected by its `Date` header)."""
        return datetime.fromtimestamp(self.clock.now(), UTC)

    # -- shop and merchant -------------------------------------------------------------------------

    def shop_info(self) -> dict[str, Any]:
        return self.call("shop_info")

    def merchant_info(self) -> dict[str, Any]:
        return self.call("merchant_info")

    # -- orders -------------------------------------------------------------------------------------

    def order_page(
        self, start: datetime, end: datetime, cursor: str = "", *, page_size: int = PAGE_SIZE_MAX
    ) -> tuple[list[str], str]:
        """One page of the order numbers updated in [start, end] and the next page's cursor ("" after the last)."""
        query = {
            "time_range_field": "update_time",
            "time_from": unix(start),
            "time_to": unix(end),
            "page_size": page_size,
            "cursor": cursor,
        }
        data = self.call("order_list", query=query)
        numbers = [str(o["order_sn"]) for o in data.get("order_list") or () if o.get("order_sn")]
        return numbers, str(data.get("next_cursor") or "") if data.get("more") else ""

    def order_details(self, order_sns: Sequence[str]) -> list[dict[str, Any]]:
        """get_order_detail in batches of at most 50, with the optional fields OrderDeck reads."""
        found: list[dict[str, Any]] = []
        for start in range(0, len(order_sns), BATCH_MAX):
            batch = ",".join(order_sns[start : start + BATCH_MAX])
            data = self.call("order_detail", query={"order_sn_list": batch, "response_optional_fields": DETAIL_FIELDS})
            found += [o for o in data.get("order_list") or () if isinstance(o, dict)]
        return found

    def tracking_numbers(self, package_numbers: Sequence[str]) -> dict[str, str]:
        """package_number → tracking number, 50 packages a call (get_mass_tracking_number)."""
        found: dict[str, str] = {}
        for start in range(0, len(package_numbers), BATCH_MAX):
            packages = [{"package_number": p} for p in package_numbers[start : start + BATCH_MAX]]
            data = self.call("mass_tracking_number", body={"package_list": packages})
            for row in data.get("success_list") or ():
                if row.get("tracking_number"):
                    found[str(row["package_number"])] = str(row["tracking_number"])
        return found

    # -- money ---------------------------------------------------------------------------------------

    def _numbered(
        self, name: str, rows: str, span: tuple[str, str], *, start: datetime, end: datetime, first: int
    ) -> Iterator[dict[str, Any]]:
        """A list paged by page_no over [start, end), asked in 15-day spans."""
        for low, high in windows(start, end):
            page = first
            while True:
                query = {span[0]: unix(low), span[1]: unix(high), "page_size": PAGE_SIZE_MAX, "page_no": page}
                data = self.call(name, query=query)
                yield from (row for row in data.get(rows) or () if isinstance(row, dict))
                if not data.get("more"):
                    break
                page += 1

    def escrow_releases(self, start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
        """Escrows released in [start, end) (get_escrow_list pages from 1; spans kept to 15 days as well)."""
        return self._numbered(
            "escrow_list", "escrow_list", ("release_time_from", "release_time_to"), start=start, end=end, first=1
        )

    def escrow_detail(self, order_sn: str) -> dict[str, Any]:
        return self.call("escrow_detail", query={"order_sn": order_sn})

    # -- logistics -----------------------------------------------------------------------------------

    def channels(self) -> list[dict[str, Any]]:
        return [c for c in self.call("channel_list").get("logistics_channel_list") or () if isinstance(c, dict)]

    def shipping_parameter(self, order_sn: str, package_number: str = "") -> dict[str, Any]:
        return self.call("shipping_parameter", query={"order_sn": order_sn, "package_number": package_number})

    def ship_non_integrated(self, order_sn: str, package_number: str, tracking_number: str) -> None:
        """Ship with our own carrier's tracking number (exactly one of pickup, dropoff, non_integrated)."""
        body: dict[str, Any] = {"order_sn": order_sn, "non_integrated": {"tracking_number": tracking_number}}
        if package_number:
            body["package_number"] = package_number
        self.call("ship_order", body=body)

    def tracking_info(self, order_sn: str) -> list[dict[str, Any]]:
        rows = self.call("tracking_info", query={"order_sn": order_sn}).get("tracking_info") or ()
        return [row for row in rows if isinstance(row, dict)]

    def air_waybill(self, order_sn: str, package_number: str, tracking_number: str, document_type: str) -> bytes:
        """Create, check and download one package's air waybill (Shopee's three steps)."""
        row = {"order_sn": order_sn, "package_number": package_number, "tracking_number": tracking_number}
        created = self.call("create_document", body={"order_list": [{**row, "shipping_document_type": document_type}]})
        for result in created.get("result_list") or ():
            if result.get("fail_error"):
                raise PlatformRejected(str(result.get("fail_message") or ""), platform_code=str(result["fail_error"]))
        for result in self.call("document_result", body={"order_list": [row]}).get("result_list") or ():
            if result.get("status") != "READY":
                raise PlatformUnavailable(f"Shopee's air waybill for {order_sn} is {result.get('status')}: try again")
        body = {"shipping_document_type": document_type, "order_list": [row]}
        content: bytes = self.call("download_document", body=body)["content"]
        return content

    # -- products, returns, pushes -------------------------------------------------------------------

    def models(self, item_id: str) -> list[dict[str, Any]]:
        return [
            m for m in self.call("model_list", query={"item_id": item_id}).get("model") or () if isinstance(m, dict)
        ]

    def returns(self, start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
        """Returns updated in [start, end) (get_return_list pages from 0, at most 15 days a call)."""
        return self._numbered(
            "return_list", "return", ("update_time_from", "update_time_to"), start=start, end=end, first=0
        )

    def return_detail(self, return_sn: str) -> dict[str, Any]:
        return self.call("return_detail", query={"return_sn": return_sn})

    def confirm_return(self, return_sn: str) -> None:
        """Accept the buyer's return or refund request (v2.returns.confirm)."""
        self.call("return_confirm", body={"return_sn": return_sn})

    def set_push_config(self, callback_url: str, codes: Sequence[int]) -> None:
        """Point the app's pushes at `callback_url` (one URL per app: safe to repeat for every shop)."""
        self.call("set_push_config", body={"callback_url": callback_url, "set_push_config_on": list(codes)})
