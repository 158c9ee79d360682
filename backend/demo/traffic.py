"""Live order traffic for the demo: the TikTok and Shopee sandboxes' clocks move on and buyers order.

Each step advances both sandboxes a few minutes (orders leave ON_HOLD, get shipped, delivered…; every
transition queues its signed webhook or push) and now and then places new orders on one of the shops.
The sandboxes' pumps deliver the events to the backend, which processes them and marks the sheets for
the next push. The sandboxes run faster than real time so that a few minutes of watching show orders move.
"""

from __future__ import annotations

import random
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from backend.demo.world import World

ADVANCE_SECONDS = 120.0  # sandbox time per step: with a 3 s step, one sandbox hour every 1.5 minutes
NEW_ORDER_CHANCE = 0.4
LOG_KEEP = 500  # the sandboxes log every request; a long demo keeps only the recent ones


class Traffic:
    """Steps the sandboxes; `start(every)` runs steps on a thread until `stop()`."""

    def __init__(self, world: World, *, seed: int) -> None:
        self.world = world
        self.rng = random.Random(seed)  # noqa: S311 - make-believe buyers, not secrets
        self.steps = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def step(self, advance: float = ADVANCE_SECONDS, new_orders: int | None = None) -> list[str]:
        """Move the sandboxes on by `advance` seconds; returns the ids of orders placed (random when None)."""
        sandbox, shopee = self.world.tiktok, self.world.shopee
        if new_orders is None:
            new_orders = self.rng.choice((1, 1, 2, 3)) if self.rng.random() < NEW_ORDER_CHANCE else 0
        created = []
        if new_orders:
            shops = [("tiktok", s) for s in sorted(sandbox.shops)] + [("shopee", str(s)) for s in sorted(shopee.shops)]
            platform, shop_id = self.rng.choice(shops)
            if platform == "shopee":
                created = [order.order_sn for order in shopee.add_orders(int(shop_id), new_orders)]
            else:
                created = [order.order_id for order in sandbox.add_orders(shop_id, new_orders)]
        sandbox.advance(advance)
        shopee.advance(advance)
        self.steps += 1
        self._trim()
        return created

    def _trim(self) -> None:
        sandbox, shopee, sheets = self.world.tiktok, self.world.shopee, self.world.google.sheets
        with sandbox.lock:
            del sandbox.log[:-LOG_KEEP]
            del sandbox.delivered[:-LOG_KEEP]
        with shopee.lock:
            del shopee.log[:-LOG_KEEP]
            del shopee.delivered[:-LOG_KEEP]
        with sheets.lock:
            del sheets.log[:-LOG_KEEP]

    def start(self, every: float) -> None:
        def run() -> None:
            while not self._stop.wait(every):
                self.step()

        self._thread = threading.Thread(target=run, name="demo-traffic", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
