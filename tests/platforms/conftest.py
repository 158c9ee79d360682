"""A running TikTok Shop sandbox and a client connected to it through the real consent flow."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from backend.platforms.base import PlatformShop, TokenSet
from backend.platforms.http import RetryPolicy
from backend.platforms.tiktok.client import TikTokClient
from backend.platforms.tiktok.oauth import TikTokAuthClient
from backend.platforms.tokens import RotatingTokens
from backend.sandbox.server import RunningServer
from backend.sandbox.tiktok_shop import TikTokShopSandbox


@dataclass
class Connection:
    sandbox: TikTokShopSandbox
    client: TikTokClient
    tokens: RotatingTokens
    shops: list[PlatformShop]
    rotated: list[TokenSet] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)

    @property
    def shop(self) -> PlatformShop:
        return self.shops[0]


@pytest.fixture
def sandbox() -> TikTokShopSandbox:
    return TikTokShopSandbox(seed=7)


@pytest.fixture
def server(sandbox: TikTokShopSandbox) -> Iterator[RunningServer]:
    running = sandbox.start()
    yield running
    running.stop()


def _connect(sandbox: TikTokShopSandbox, server: RunningServer, shop_ids: list[str]) -> Connection:
    """Consent → code exchange → client, with sleeps recorded instead of slept."""
    sleeps: list[float] = []
    retry = RetryPolicy(sleep=sleeps.append, random=lambda: 0.5)
    auth = TikTokAuthClient(sandbox.app_key, sandbox.app_secret, base_url=server.url, retry=retry)
    rotated: list[TokenSet] = []
    tokens = RotatingTokens(auth, auth.exchange_code(sandbox.issue_auth_code(shop_ids)), rotated.append)
    client = TikTokClient(sandbox.app_key, sandbox.app_secret, tokens, base_url=server.url, retry=retry)
    return Connection(sandbox, client, tokens, client.authorized_shops(), rotated, sleeps)


@pytest.fixture
def connect(sandbox: TikTokShopSandbox, server: RunningServer) -> Iterator[Callable[[list[str]], Connection]]:
    """Connect a client to the given sandbox shops (closed at teardown)."""
    made: list[Connection] = []

    def factory(shop_ids: list[str]) -> Connection:
        made.append(_connect(sandbox, server, shop_ids))
        return made[-1]

    yield factory
    for connection in made:
        connection.client.close()


@pytest.fixture
def us(sandbox: TikTokShopSandbox, connect: Callable[[list[str]], Connection]) -> Connection:
    return connect([sandbox.add_shop("Acme US", "US", orders=150).shop_id])
