"""Live order traffic for the demo: the TikTok sandbox's clock moves on and buyers place new orders.

Each step advances the sandbox a few minutes (orders leave ON_HOLD, get shipped, delivered…; every
transition queues its signed webhook) and now and then places new orders. The sandbox's webhook
pump delivers the events to the backend, which processes them and marks the sheets for the next push.
The sandbox runs faster than real time so that a few minutes of watching show orders move.
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
    """Steps the TikTok sandbox; `start(every)` runs steps on a thread until `stop()`."""

    def __init__(self, world: World, *, seed: int) -> None:
        self.world = world
        self.rng = random.Random(seed)  # noqa: S311 - make-believe buyers, not secrets
        self.steps = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def step(self, advance: float = ADVANCE_SECONDS, new_orders: int | None = None) -> list[str]:
        """Move the sandbox on by `advance` seconds; returns the ids of orders placed (random when None)."""
        sandbox = self.world.tiktok
        if new_orders is None:
            new_orders = self.rng.choice((1, 1, 2, 3)) if self.rng.random() < NEW_ORDER_CHANCE else 0
        created = []
        if new_orders:
            shop_id = self.rng.choice(sorted(sandbox.shops))
            created = [order.order_id for order in sandbox.add_orders(shop_id, new_orders)]
        sandbox.advance(advance)
        self.steps += 1
        self._trim()
        return created

    def _trim(self) -> None:
        sandbox, sheets = self.world.tiktok, self.world.google.sheets
        with sandbox.lock:
            del sandbox.log[:-LOG_KEEP]
            del sandbox.delivered[:-LOG_KEEP]
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
