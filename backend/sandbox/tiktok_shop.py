"""A local TikTok Shop for tests, benchmarks and the demo: a plain object you drive, served over HTTP.

    sandbox = TikTokShopSandbox(seed=7)
    shop = sandbox.add_shop("Acme US", "US", orders=500)
    code = sandbox.issue_auth_code([shop.shop_id])
    running = sandbox.start()          # running.url → TIKTOK_API_BASE and TIKTOK_AUTH_BASE
    sandbox.advance(2 * 3600)          # orders move on; webhooks queue up
    sandbox.deliver_webhooks()         # POSTed, signed, with deliberate duplicates

It checks what TikTok checks (signature, timestamp window, app key, token header, shop_cipher, page
sizes, single-use codes, token expiry and rotation) and answers in TikTok's envelope and codes.
"""

from __future__ import annotations

import json
import random
import secrets
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from backend.platforms.tiktok.webhooks import EVENT_CODES, signature
from backend.sandbox.outbox import Outbox, Pushing
from backend.sandbox.server import RunningServer, start_on_clock
from backend.sandbox.tiktok import after_sales
from backend.sandbox.tiktok.after_sales import Case
from backend.sandbox.tiktok.app import create_app
from backend.sandbox.tiktok.records import SCOPES, Authorization, Counters, Delivery, Faults, Grant, LoggedRequest
from backend.sandbox.tiktok.world import BUYER_MESSAGES, DAY, HOUR, Ids, Order, Shop, make_order, new_shop, seed_orders

AUTH_CODE_SECONDS = 30 * 60


class SandboxClock:
    """Real time plus an offset; tests skew it, `advance` moves it (and the orders with it)."""

    def __init__(self) -> None:
        self.offset = 0.0
        self._stopped_at: float | None = None

    def now(self) -> float:
        return (time.time() if self._stopped_at is None else self._stopped_at) + self.offset

    @contextmanager
    def stopped(self) -> Iterator[None]:
        """Time stands still (`advance` still moves it): a test that compares what a sync stored with the
        platform's orders compares them at the instant the sync read, not one the orders moved on from."""
        self._stopped_at = time.time()
        try:
            yield
        finally:
            self.offset -= time.time() - self._stopped_at  # it goes on from where it stood
            self._stopped_at = None


class TikTokShopSandbox(Pushing):
    def __init__(
        self,
        app_key: str = "sandbox-app-key",
        app_secret: str = "sandbox-app-secret",  # noqa: S107 - the sandbox's own well-known test secret
        *,
        seed: int = 1,
        access_token_seconds: int = 7 * DAY,
        refresh_token_seconds: int = 365 * DAY,
        duplicate_every: int = 4,
        buyer_messages: tuple[str, ...] = BUYER_MESSAGES,
    ) -> None:
        self.app_key = app_key
        self.app_secret = app_secret
        self.lock = threading.RLock()
        self.clock = SandboxClock()
        self.rng = random.Random(seed)
        self.ids = Ids(self.rng)
        self.shops: dict[str, Shop] = {}
        self.codes: dict[str, Grant] = {}
        self.access_tokens: dict[str, Grant] = {}
        self.refresh_tokens: dict[str, Grant] = {}
        self.access_token_seconds = access_token_seconds
        self.refresh_token_seconds = refresh_token_seconds
        self.subscriptions: dict[str, dict[str, str]] = {}  # shop id → event_type → address
        self.pushes = Outbox(self.lock, self._sign, "tiktok-sandbox-webhooks")
        self.duplicate_every = duplicate_every
        self.send_date_header = True
        self.faults = Faults()
        self.counters = Counters()
        self.log: list[LoggedRequest] = []
        self.documents_issued = 0  # shipping_documents answers (each a fresh 24-hour URL)
        self.documents_served = 0  # documents downloaded from those URLs
        # (shop id, idempotency_key) → (path, answer) of every keyed write that succeeded
        self.idempotency: dict[tuple[str, str], tuple[str, dict[str, object]]] = {}
        self.buyer_messages = buyer_messages  # what buyers write: tests keep formula-looking text in it
        self.redirect_url: str | None = None  # the app's redirect URL, as registered in Partner Center
        self._events = 0
        self.app = create_app(self)

    def now(self) -> int:
        return int(self.clock.now())

    # -- driving the world ------------------------------------------------------------------------

    def add_shop(
        self, name: str, region: str = "US", *, orders: int = 0, history_days: int = 30, seller: str = "Sandbox Seller"
    ) -> Shop:
        """A shop with `orders` seeded orders (deterministic for a given sandbox seed and call order); `seller`
        is the account that authorizes it on the consent page."""
        with self.lock:
            shop = new_shop(self.rng, self.ids, name, region, seller=seller, buyer_messages=self.buyer_messages)
            self.shops[shop.shop_id] = shop
            seed_orders(self.rng, self.ids, shop, orders, now=self.now(), history_days=history_days)
            return shop

    def add_orders(self, shop_id: str, count: int) -> list[Order]:
        """New orders placed in the last few minutes (UNPAID or just paid), announced by webhook."""
        with self.lock:
            shop = self.shops[shop_id]
            before = set(shop.orders)
            seed_orders(self.rng, self.ids, shop, count, now=self.now(), history_days=0)
            created = [o for oid, o in shop.orders.items() if oid not in before]
            for order in created:
                self._order_event(shop, order, self.now())
            return created

    def advance(self, seconds: float) -> None:
        """Move the sandbox clock; every order transition passed on the way fires its webhook."""
        with self.lock:
            old = self.now()
            self.clock.offset += seconds
            new = self.now()
            for shop in self.shops.values():
                for order in shop.orders.values():
                    for when, _ in order.plan:
                        if old < when <= new:
                            self._order_event(shop, order, when)
                after_sales.passed(self, shop, old, new)

    def update_order(
        self, shop_id: str, order_id: str, *, seller_note: str | None = None, street: str | None = None
    ) -> None:
        """The order changes without moving on: the seller edits its note in Seller Center (TikTok sends no
        webhook for that), or the buyer changes the street (announced by RECIPIENT_ADDRESS_UPDATE)."""
        with self.lock:
            shop, now = self.shops[shop_id], self.now()
            order = shop.orders[order_id]
            order.touched = max(now, order.update_time(now))
            if seller_note is not None:
                order.seller_note = seller_note
            if street is not None:
                order.street = street
                self.emit(shop, "RECIPIENT_ADDRESS_UPDATE", {"order_id": order_id, "update_time": order.touched})

    # -- fulfilment: what the carrier, the warehouse and TikTok's logistics do ------------------------

    def add_ready_orders(self, shop_id: str, count: int, *, tiktok_shipped: bool = True) -> list[Order]:
        """Orders paid long enough ago to ship now (past the ON_HOLD hour), all TikTok- or seller-shipped."""
        with self.lock:
            shop, now = self.shops[shop_id], self.now()
            made = []
            for _ in range(count):
                order = make_order(self.rng, self.ids, shop, now - 3 * HOUR, fate="normal", split=False)
                order.plan = [(w, s) for w, s in order.plan if s in ("UNPAID", "ON_HOLD", "AWAITING_SHIPMENT")]
                order.plan = [(min(w, now - HOUR), s) for w, s in order.plan]
                option = shop.tiktok_option_id if tiktok_shipped else shop.seller_option_id
                for package_id in order.package_ids():
                    package = shop.packages[package_id]
                    package.shipping_type = "TIKTOK" if tiktok_shipped else "SELLER"
                    package.delivery_option_id = option
                    package.ship_time, package.tracking_number = None, ""
                order.touched = now  # just became ready: an incremental sync from now on sees it
                self._order_event(shop, order, now)
                made.append(order)
            return made

    def break_address(self, shop_id: str, order_id: str, broken: bool = True) -> None:
        """The carrier cannot use the buyer's address: shipping the order on TikTok fails until it is fixed."""
        with self.lock:
            self.shops[shop_id].orders[order_id].address_fault = broken

    def break_label(self, shop_id: str, package_id: str) -> None:
        """TikTok cannot create this package's label, so shipping it fails."""
        with self.lock:
            self.shops[shop_id].packages[package_id].label_fault = True

    def retire_carrier(self, shop_id: str, name: str) -> None:
        """TikTok stops offering a carrier for every delivery option of the shop."""
        with self.lock:
            shop = self.shops[shop_id]
            shop.retired |= {i for i, n in (shop.providers | shop.express_providers).items() if n == name}

    def fail_delivery(self, shop_id: str, order_id: str) -> None:
        """Delivery attempts fail and the parcel is returned to the sender; it is never delivered."""
        with self.lock:
            order = self.shops[shop_id].orders[order_id]
            order.delivery_fault = True
            now = self.now()
            order.plan = [(w, s) for w, s in order.plan if w <= now or s not in ("DELIVERED", "COMPLETED")]

    def delay_delivery(self, shop_id: str, order_id: str, seconds: int) -> None:
        """The carrier runs late: delivery (and completion) move `seconds` later."""
        with self.lock:
            order, now = self.shops[shop_id].orders[order_id], self.now()
            order.delivery_delay += seconds
            order.plan = [(w + seconds if s in ("DELIVERED", "COMPLETED") and w > now else w, s) for w, s in order.plan]

    def same_buyer(self, shop_id: str, order_ids: Sequence[str]) -> None:
        """Several orders placed by one buyer, so TikTok offers to combine them (where the market combines)."""
        with self.lock:
            orders = [self.shops[shop_id].orders[o] for o in order_ids]
            for order in orders[1:]:
                order.user_id = orders[0].user_id

    def set_stock(self, shop_id: str, seller_sku: str, on_hand: int) -> None:
        """Units of a SKU on the shop's shelf (the inventory endpoint subtracts what orders hold)."""
        with self.lock:
            shop = self.shops[shop_id]
            shop.on_hand[next(s.sku_id for s in shop.catalog if s.seller_sku == seller_sku)] = on_hand

    def issue_auth_code(
        self, shop_ids: Sequence[str], seller_name: str = "Sandbox Seller", scopes: Sequence[str] = SCOPES
    ) -> str:
        """What TikTok puts on the consent redirect; single use, valid 30 minutes. `scopes` are the API
        packages the seller grants (leave out `seller.return_refund.basic` for a shop without after-sales)."""
        with self.lock:
            region = self.shops[shop_ids[0]].market.region
            authorization = Authorization(
                f"open_{secrets.token_hex(8)}", seller_name, region, list(shop_ids), scopes=tuple(scopes)
            )
            code = f"code_{secrets.token_urlsafe(24)}"
            self.codes[code] = Grant(authorization, self.now() + AUTH_CODE_SECONDS)
            return code

    def expire_access_tokens(self) -> None:
        with self.lock:
            for grant in self.access_tokens.values():
                grant.expires_at = min(grant.expires_at, self.now() - 1)

    def revoke(self, open_id: str | None = None) -> None:
        """The seller (or TikTok) ends the authorization: every token of it stops working."""
        with self.lock:
            for grant in [*self.access_tokens.values(), *self.refresh_tokens.values()]:
                authorization = grant.authorization
                if open_id in (None, authorization.open_id) and not authorization.revoked:
                    authorization.revoked = True
                    for shop_id in authorization.shop_ids:
                        self.emit(self.shops[shop_id], "SELLER_DEAUTHORIZATION", {"message": "deauthorized"})

    def issue_tokens(self, authorization: Authorization) -> dict[str, object]:
        access, refresh = f"TTP_{secrets.token_urlsafe(24)}", f"TTR_{secrets.token_urlsafe(24)}"
        now = self.now()
        self.access_tokens[access] = Grant(authorization, now + self.access_token_seconds)
        self.refresh_tokens[refresh] = Grant(authorization, now + self.refresh_token_seconds)
        return {
            "access_token": access,
            "access_token_expire_in": now + self.access_token_seconds,
            "refresh_token": refresh,
            "refresh_token_expire_in": now + self.refresh_token_seconds,
            "open_id": authorization.open_id,
            "seller_name": authorization.seller_name,
            "seller_base_region": authorization.region,
            "user_type": 0,
            "granted_scopes": list(authorization.scopes),
        }

    # -- after-sales: what buyers do ------------------------------------------------------------------

    def request_cancellation(
        self, shop_id: str, order_id: str, *, reason: str = "No longer needed", text: str = ""
    ) -> Case:
        """The buyer asks to cancel an order not yet shipped (granted at once in the ON_HOLD hour)."""
        with self.lock:
            shop = self.shops[shop_id]
            return after_sales.open_cancellation(
                self, shop, shop.orders[order_id], reason=reason, text=text, now=self.now()
            )

    def request_return(
        self,
        shop_id: str,
        order_id: str,
        *,
        return_type: str = "RETURN_AND_REFUND",
        reason: str = "Wrong size",
        text: str = "",
        line_ids: Sequence[str] | None = None,
    ) -> Case:
        """The buyer asks for a refund (REFUND), a return (RETURN_AND_REFUND) or a REPLACEMENT."""
        with self.lock:
            shop = self.shops[shop_id]
            order = shop.orders[order_id]
            return after_sales.open_return(
                self, shop, order, return_type=return_type, reason=reason, text=text, line_ids=line_ids, now=self.now()
            )

    def add_returns(self, shop_id: str, count: int) -> int:
        """Seed `count` refund and return requests on shipped orders (no webhooks: they are history)."""
        with self.lock:
            return len(after_sales.seed_returns(self, self.shops[shop_id], count, self.now()))

    def ship_return(self, shop_id: str, case_id: str) -> None:
        """The buyer drops the parcel off: it reaches the seller a day later, and the seller's 48 h start then."""
        with self.lock:
            shop = self.shops[shop_id]
            after_sales.buyer_ships(self, shop, shop.cases[case_id], self.now())

    def withdraw_request(self, shop_id: str, case_id: str) -> None:
        with self.lock:
            shop = self.shops[shop_id]
            after_sales.withdraw(self, shop, shop.cases[case_id], self.now())

    def case_status(self, shop_id: str, case_id: str) -> str:
        with self.lock:
            return self.shops[shop_id].cases[case_id].status_at(self.now())

    # -- webhooks ---------------------------------------------------------------------------------

    def _order_event(self, shop: Shop, order: Order, when: int) -> None:
        status = order.status_at(when)
        data = {"order_id": order.order_id, "order_status": status, "is_on_hold_order": status == "ON_HOLD",
                "update_time": when}  # fmt: skip
        self.emit(shop, "ORDER_STATUS_CHANGE", data)

    def emit(self, shop: Shop, event_type: str, data: dict[str, object]) -> None:
        """Queue a signed event if the shop subscribed; TikTok's own whitespace, some sent twice."""
        address = self.subscriptions.get(shop.shop_id, {}).get(event_type)
        if not address:
            return
        self._events += 1
        envelope = {"type": EVENT_CODES[event_type], "tts_notification_id": str(self.ids.new("73")),
                    "shop_id": shop.shop_id, "timestamp": self.now(), "data": data}  # fmt: skip
        body = json.dumps(envelope, ensure_ascii=False).encode()  # ", " and ": " separators, not canonical
        copies = 2 if self.duplicate_every and self._events % self.duplicate_every == 0 else 1
        self.outbox.extend(Delivery(address, body) for _ in range(copies))

    def _sign(self, delivery: Delivery) -> dict[str, str]:
        return {"Authorization": signature(self.app_key, self.app_secret, delivery.body)}

    def deliver_webhooks(self, max_attempts: int = 4) -> int:
        """POST every queued event now; failures stay queued for the next call (TikTok retries too)."""
        return self.pushes.deliver(max_attempts)

    def start_webhook_pump(self, interval_seconds: float = 0.5) -> None:
        """Deliver queued webhooks from a background thread until `stop_webhook_pump`."""
        self.pushes.start_pump(interval_seconds)

    def stop_webhook_pump(self) -> None:
        self.pushes.stop_pump()

    # -- serving ----------------------------------------------------------------------------------

    def reset_counters(self) -> None:
        with self.lock:
            self.counters = Counters()
            self.log.clear()

    def start(self) -> RunningServer:
        """Serve on a loopback port; the `Date` header reads the sandbox clock, as TikTok's reads its own."""
        return start_on_clock(self.app, self.clock.now, lambda: self.send_date_header)


__all__ = ["HOUR", "Faults", "TikTokShopSandbox"]
