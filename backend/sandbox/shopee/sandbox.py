"""A local Shopee Open Platform v2 for tests, benchmarks and the demo: a plain object you drive, served over HTTP.

    sandbox = ShopeeSandbox(seed=7)
    shop = sandbox.add_shop("Acme MY", "MY", orders=300)
    code = sandbox.authorize_shop(shop.shop_id)   # or authorize_main_account(...) for cross-border
    running = sandbox.start()                      # running.url → SHOPEE_API_BASE
    sandbox.advance(6 * 3600)                      # orders move on; pushes queue up
    sandbox.deliver_pushes()                       # POSTed to the app's callback URL, signed

It checks what Shopee checks (partner id, timestamp window, signatures by API level, access tokens per
shop, single-use codes and rotating refresh tokens, 15-day windows, page and batch sizes) and answers
in Shopee's envelope with Shopee's error names.
"""

from __future__ import annotations

import json
import random
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from backend.platforms.shopee.signing import push_signature
from backend.sandbox.outbox import Outbox, Pushing
from backend.sandbox.server import RunningServer, start_on_clock
from backend.sandbox.shopee.app import SandboxError, create_app
from backend.sandbox.shopee.world import Order, Shop, new_shop, seed_orders
from backend.sandbox.tiktok.records import Counters, Delivery, Faults, LoggedRequest
from backend.sandbox.tiktok.world import DAY, HOUR, Ids
from backend.sandbox.tiktok_shop import SandboxClock

CODE_SECONDS = 10 * 60  # "valid for only once and expires after 10 minutes"
OLD_TOKEN_GRACE = 5 * 60  # "after a new access_token is generated, the old access_token is still valid for 5 minutes"


@dataclass
class Authorization:
    """One seller consent: a shop account's (one shop) or a main account's (several shops, merchants)."""

    shop_ids: set[str]
    merchant_ids: set[str]
    main_account_id: str = ""
    revoked: bool = False


@dataclass
class Grant:
    """An access or refresh token: whom it acts for and until when; a refresh token is spent per shop."""

    authorization: Authorization
    shop_ids: set[str]
    merchant_ids: set[str]
    expires_at: int
    spent_for: set[str] = field(default_factory=set)


@dataclass
class Code:
    authorization: Authorization
    who: dict[str, str]  # {"shop_id": …} or {"main_account_id": …}
    expires_at: int
    spent: bool = False


class ShopeeSandbox(Pushing):
    def __init__(
        self,
        partner_id: str = "2001887",
        partner_key: str = "sandbox-partner-key",
        *,
        seed: int = 1,
        access_token_seconds: int = 4 * HOUR,
        refresh_token_seconds: int = 30 * DAY,
    ) -> None:
        self.partner_id, self.partner_key = partner_id, partner_key
        self.lock = threading.RLock()
        self.clock = SandboxClock()
        self.rng = random.Random(seed)
        self.ids = Ids(self.rng)
        self.shops: dict[int, Shop] = {}
        self.merchants: dict[str, str] = {}  # merchant id → name
        self.main_accounts: dict[str, tuple[set[str], set[str]]] = {}  # id → (shop ids, merchant ids)
        self.codes: dict[str, Code] = {}
        self.access_tokens: dict[str, Grant] = {}
        self.refresh_tokens: dict[str, Grant] = {}
        self.access_token_seconds, self.refresh_token_seconds = access_token_seconds, refresh_token_seconds
        self.callback_url = ""
        self.push_codes: set[int] = set()
        self.pushes = Outbox(self.lock, self._sign, "shopee-sandbox-pushes")
        self.consenting: dict[str, str] | None = None  # who the consent page signs in as
        self.damage: dict[str, dict[str, Any]] = {}  # order_sn → fields served over the real ones
        self.documents: dict[tuple[str, str], str] = {}  # (order_sn, package_number) → air waybill type made
        self.faults = Faults()
        self.counters = Counters()
        self.log: list[LoggedRequest] = []
        self.send_date_header = True
        self.app = create_app(self)

    def now(self) -> int:
        return int(self.clock.now())

    # -- driving the world ------------------------------------------------------------------------

    def add_shop(self, name: str, region: str = "MY", *, orders: int = 0, history_days: int = 30) -> Shop:
        with self.lock:
            shop = new_shop(self.rng, self.ids, name, region)
            self.shops[shop.shop_id] = shop
            seed_orders(self.rng, self.ids, shop, orders, now=self.now(), history_days=history_days)
            return shop

    def add_main_account(self, shops: Iterable[Shop], merchant_name: str = "Sandbox Trading Co.") -> str:
        """A cross-border seller's main account over these shops, with one merchant."""
        with self.lock:
            account, merchant = str(self.rng.randrange(10**5, 10**6)), str(self.rng.randrange(10**6, 10**7))
            self.merchants[merchant] = merchant_name
            self.main_accounts[account] = ({str(s.shop_id) for s in shops}, {merchant})
            return account

    def add_orders(self, shop_id: int, count: int) -> list[Order]:
        """New orders placed in the last few minutes, announced by push."""
        with self.lock:
            shop = self.shops[shop_id]
            before = set(shop.orders)
            seed_orders(self.rng, self.ids, shop, count, now=self.now(), history_days=0)
            created = [o for sn, o in shop.orders.items() if sn not in before]
            for order in created:
                self.order_push(shop, order, order.create_time)
            return created

    def advance(self, seconds: float) -> None:
        """Move the clock; every order transition passed on the way pushes its new status."""
        with self.lock:
            old = self.now()
            self.clock.offset += seconds
            new = self.now()
            for shop in self.shops.values():
                for order in shop.orders.values():
                    for when, _ in order.plan:
                        if old < when <= new:
                            self.order_push(shop, order, when)

    def authorize_shop(self, shop_id: int) -> str:
        """A shop account's consent: the code the redirect carries with shop_id."""
        code, _ = self.consent({"shop_id": str(shop_id)})
        return code

    def authorize_main_account(self, main_account_id: str) -> str:
        code, _ = self.consent({"main_account_id": main_account_id})
        return code

    def consent(self, who: dict[str, str]) -> tuple[str, dict[str, str]]:
        with self.lock:
            if "main_account_id" in who:
                shops, merchants = self.main_accounts[who["main_account_id"]]
                authorization = Authorization(set(shops), set(merchants), who["main_account_id"])
            else:
                authorization = Authorization({who["shop_id"]}, set())
            code = secrets.token_hex(16)
            self.codes[code] = Code(authorization, dict(who), self.now() + CODE_SECONDS)
            return code, dict(who)

    def expire_access_tokens(self) -> None:
        with self.lock:
            for grant in self.access_tokens.values():
                grant.expires_at = min(grant.expires_at, self.now() - 1)

    def revoke(self, shop_id: int) -> None:
        """The seller cancels the authorization in Seller Centre: its tokens stop working, a push says so."""
        with self.lock:
            for grant in [*self.access_tokens.values(), *self.refresh_tokens.values()]:
                if str(shop_id) in grant.authorization.shop_ids:
                    grant.authorization.revoked = True
            self.push(self.shops[shop_id], 2, {"shop_id": shop_id, "success": 1, "extra": "authorization canceled"})

    def set_stock(self, shop_id: int, model_sku: str, on_hand: int) -> None:
        with self.lock:
            shop = self.shops[shop_id]
            shop.on_hand[next(m.model_id for m in shop.models if m.model_sku == model_sku)] = on_hand

    # -- tokens -------------------------------------------------------------------------------------

    def _issue(self, authorization: Authorization, shops: set[str], merchants: set[str]) -> dict[str, Any]:
        access, refresh, now = secrets.token_hex(16), secrets.token_hex(16), self.now()
        self.access_tokens[access] = Grant(authorization, set(shops), set(merchants), now + self.access_token_seconds)
        self.refresh_tokens[refresh] = Grant(
            authorization, set(shops), set(merchants), now + self.refresh_token_seconds
        )
        return {"access_token": access, "refresh_token": refresh, "expire_in": self.access_token_seconds}

    def token_call(self, path: str, body: dict[str, Any], now: int) -> dict[str, Any]:
        """/auth/token/get (code → first pair) and /auth/access_token/get (a shop's refresh, single use)."""
        if str(body.get("partner_id", "")) != self.partner_id:
            raise SandboxError("error_param", "Wrong parameters, detail: partner_id in the body is invalid.")
        if path.endswith("/token/get"):
            code = self.codes.get(str(body.get("code", "")))
            who = {k: str(body[k]) for k in ("shop_id", "main_account_id") if body.get(k) is not None}
            if code is None or code.spent or code.expires_at <= now or who != code.who:
                raise SandboxError("error_param", "Invalid code.", 403)
            code.spent = True
            authorization = code.authorization
            answer = self._issue(authorization, authorization.shop_ids, authorization.merchant_ids)
            if authorization.main_account_id:
                answer |= {"shop_id_list": sorted(int(s) for s in authorization.shop_ids),
                           "merchant_id_list": sorted(int(m) for m in authorization.merchant_ids)}  # fmt: skip
            return answer
        grant = self.refresh_tokens.get(str(body.get("refresh_token", "")))
        shop_id = str(body.get("shop_id", ""))
        if grant is None or grant.authorization.revoked or shop_id not in grant.shop_ids or shop_id in grant.spent_for:
            raise SandboxError("error_auth", "Invalid refresh_token.", 403)
        if grant.expires_at <= now:
            raise SandboxError("error_auth", "The refresh_token has expired.", 403)
        grant.spent_for.add(shop_id)
        for old in self.access_tokens.values():
            if old.authorization is grant.authorization and shop_id in old.shop_ids:
                old.expires_at = min(old.expires_at, now + OLD_TOKEN_GRACE)
        return self._issue(grant.authorization, {shop_id}, set()) | {
            "shop_id": int(shop_id),
            "partner_id": int(self.partner_id),
        }

    # -- pushes -------------------------------------------------------------------------------------

    def order_push(self, shop: Shop, order: Order, when: int) -> None:
        self.push(shop, 3, {"ordersn": order.order_sn, "status": order.status_at(when), "update_time": when,
                            "items": []})  # fmt: skip

    def push(self, shop: Shop, code: int, data: dict[str, Any]) -> None:
        """Queue a push if the app subscribed to its code; signed when it is sent (the URL may change)."""
        if code not in self.push_codes or not self.callback_url:
            return
        body = {"data": data, "shop_id": shop.shop_id, "code": code, "timestamp": self.now()}
        self.outbox.append(Delivery(self.callback_url, json.dumps(body).encode()))

    def _sign(self, delivery: Delivery) -> dict[str, str]:
        return {"Authorization": push_signature(self.partner_key, delivery.address, delivery.body)}

    def deliver_pushes(self, max_attempts: int = 4) -> int:
        """POST every queued push now; a non-2xx stays queued for the next call, as Shopee retries."""
        return self.pushes.deliver(max_attempts)

    def start_push_pump(self, interval_seconds: float = 0.5) -> None:
        self.pushes.start_pump(interval_seconds)

    def stop_push_pump(self) -> None:
        self.pushes.stop_pump()

    # -- serving ------------------------------------------------------------------------------------

    def reset_counters(self) -> None:
        with self.lock:
            self.counters = Counters()
            self.log.clear()

    def start(self) -> RunningServer:
        """Serve on a loopback port; the `Date` header reads the sandbox clock."""
        return start_on_clock(self.app, self.clock.now, lambda: self.send_date_header)
