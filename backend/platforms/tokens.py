"""Access tokens that rotate: every platform's refresh hands out a new pair and spends the old one.

`RotatingTokens` gives a client its current access token and, when the platform says it is stale,
refreshes once and hands the new pair to `on_rotate` (which persists it) before anyone uses it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol

from backend.errors import AuthorizationLost
from backend.platforms.base import TokenSet


class TokenSource(Protocol):
    """Where a client gets its access token; `refresh` rotates it (and persists the new pair)."""

    def access_token(self) -> str: ...

    def refresh(self, stale_access_token: str) -> str: ...


class Refresher(Protocol):
    """A platform's refresh call: the old refresh token is spent once this returns."""

    def refresh(self, refresh_token: str) -> TokenSet: ...


class RotatingTokens:
    """A TokenSource over a TokenSet: refreshes on demand and reports each rotation to `on_rotate`.

    `on_rotate` should persist the pair atomically (the old refresh token is dead once the platform
    rotates it). A lock keeps two threads from spending the same refresh token.
    """

    def __init__(
        self,
        refresher: Refresher,
        tokens: TokenSet,
        on_rotate: Callable[[TokenSet], None] = lambda _: None,
        *,
        label: str = "the platform",
    ) -> None:
        self._refresher = refresher
        self.tokens = tokens
        self._on_rotate = on_rotate
        self._label = label
        self._lock = threading.Lock()

    def access_token(self) -> str:
        return self.tokens.access_token

    def refresh(self, stale_access_token: str) -> str:
        """Refresh unless another thread already replaced `stale_access_token`."""
        with self._lock:
            if self.tokens.access_token != stale_access_token:
                return self.tokens.access_token
            try:
                fresh = self._refresher.refresh(self.tokens.refresh_token)
            except AuthorizationLost as exc:
                seller = self.tokens.seller_name or self.tokens.grant_id or "this seller"
                raise AuthorizationLost(
                    f"{self._label} refused the refresh token for {seller} ({exc.message}); "
                    "the seller must reconnect the shop",
                    platform_code=exc.platform_code,
                    request_id=exc.request_id,
                ) from exc
            self._on_rotate(fresh)
            self.tokens = fresh
            return fresh.access_token
