"""A running Shopee sandbox and shop clients connected to it through the real authorization calls."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from backend.platforms.base import TokenSet
from backend.platforms.http import RetryPolicy
from backend.platforms.shopee.adapter import ShopeeShop
from backend.platforms.shopee.auth import ShopeeAuthClient, ShopRefresher
from backend.platforms.shopee.client import ShopeeClient
from backend.platforms.tokens import RotatingTokens
from backend.sandbox.server import RunningServer
from backend.sandbox.shopee import ShopeeSandbox
from backend.sandbox.shopee.world import Shop


@dataclass
class Connection:
    sandbox: ShopeeSandbox
    server: RunningServer
    auth: ShopeeAuthClient
    tokens: RotatingTokens
    shop: Shop
    shopee: ShopeeShop
    rotated: list[TokenSet] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)

    @property
    def api(self) -> ShopeeClient:
        return self.shopee.api


@pytest.fixture
def sandbox() -> ShopeeSandbox:
    return ShopeeSandbox(seed=7)


@pytest.fixture
def server(sandbox: ShopeeSandbox) -> Iterator[RunningServer]:
    running = sandbox.start()
    yield running
    running.stop()


def retry_policy(sleeps: list[float]) -> RetryPolicy:
    return RetryPolicy(sleep=sleeps.append, random=lambda: 0.5)


def shop_client(
    sandbox: ShopeeSandbox, server: RunningServer, shop: Shop, tokens: RotatingTokens, retry: RetryPolicy | None = None
) -> ShopeeShop:
    api = ShopeeClient(
        sandbox.partner_id,
        sandbox.partner_key,
        tokens,
        shop_id=str(shop.shop_id),
        base_url=server.url,
        retry=retry or RetryPolicy(sleep=lambda _s: None),
    )
    return ShopeeShop(api, shop.market.currency)


@pytest.fixture
def connect(sandbox: ShopeeSandbox, server: RunningServer) -> Iterator[Callable[[Shop], Connection]]:
    """A shop account's consent → code → tokens → a client for that shop (closed at teardown)."""
    made: list[Connection] = []

    def factory(shop: Shop) -> Connection:
        sleeps: list[float] = []
        auth = ShopeeAuthClient(
            sandbox.partner_id, sandbox.partner_key, base_url=server.url, retry=retry_policy(sleeps)
        )
        grant = auth.exchange_code(sandbox.authorize_shop(shop.shop_id), shop_id=str(shop.shop_id))
        rotated: list[TokenSet] = []
        tokens = RotatingTokens(ShopRefresher(auth, str(shop.shop_id)), grant.tokens, rotated.append, label="Shopee")
        shopee = shop_client(sandbox, server, shop, tokens, retry_policy(sleeps))
        made.append(Connection(sandbox, server, auth, tokens, shop, shopee, rotated, sleeps))
        return made[-1]

    yield factory
    for connection in made:
        connection.shopee.close()
        connection.auth.close()


@pytest.fixture
def my(sandbox: ShopeeSandbox, connect: Callable[[Shop], Connection]) -> Connection:
    return connect(sandbox.add_shop("Acme MY", "MY", orders=250, history_days=40))
