"""What every platform sandbox does with the webhooks (pushes) it queues: POST them signed, keep the
failed ones for the next round as the platforms retry, and optionally pump them from a thread."""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx

from backend.sandbox.tiktok.records import Delivery


class Outbox:
    """Queued deliveries; `sign` gives the headers that prove a delivery came from the platform."""

    def __init__(self, lock: threading.RLock, sign: Callable[[Delivery], dict[str, str]], name: str) -> None:
        self.lock, self.sign, self.name = lock, sign, name
        self.queued: list[Delivery] = []
        self.delivered: list[Delivery] = []
        self._pump: threading.Thread | None = None
        self._pump_stop = threading.Event()

    def deliver(self, max_attempts: int = 4) -> int:
        """POST every queued delivery now; a failed one stays queued until `max_attempts`."""
        with self.lock:
            batch, self.queued = self.queued, []
        sent = 0
        with httpx.Client(timeout=5) as http:
            for delivery in batch:
                delivery.attempts += 1
                headers = {**self.sign(delivery), "Content-Type": "application/json"}
                try:
                    ok = http.post(delivery.address, content=delivery.body, headers=headers).is_success
                except httpx.HTTPError:
                    ok = False
                with self.lock:
                    if ok:
                        self.delivered.append(delivery)
                        sent += 1
                    elif delivery.attempts < max_attempts:
                        self.queued.append(delivery)
        return sent

    def start_pump(self, interval_seconds: float = 0.5) -> None:
        """Deliver from a background thread until `stop_pump`."""
        self._pump_stop.clear()

        def pump() -> None:
            while not self._pump_stop.wait(interval_seconds):
                self.deliver()

        self._pump = threading.Thread(target=pump, name=self.name, daemon=True)
        self._pump.start()

    def stop_pump(self) -> None:
        self._pump_stop.set()
        if self._pump is not None:
            self._pump.join(timeout=5)


class Pushing:
    """A sandbox's queue as tests and benchmarks read it: `outbox` (queued) and `delivered`."""

    pushes: Outbox

    @property
    def outbox(self) -> list[Delivery]:
        return self.pushes.queued

    @outbox.setter
    def outbox(self, queued: list[Delivery]) -> None:
        self.pushes.queued = queued

    @property
    def delivered(self) -> list[Delivery]:
        return self.pushes.delivered
