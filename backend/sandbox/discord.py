"""A local Discord webhook endpoint that answers like Discord does, for tests and the demo.

`POST /api/webhooks/{id}/{token}` checks the payload against Discord's documented limits (400 with
code 50035 and the nested `errors` object; 50006 for an empty message), keeps a per-webhook
rate-limit bucket with the X-RateLimit-* headers and answers 429 with `retry_after` when a caller
does not respect it, returns 404 code 10015 for an unknown webhook, 204 (or the message object with
`?wait=true`) on success, and can be switched into an outage (503s) to test that nothing is lost.
"""

from __future__ import annotations

import hashlib
import json
import math
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, request

from backend.domain import alerts
from backend.sandbox.server import RunningServer, start

EPOCH_MS = 1_420_070_400_000  # Discord's snowflake epoch (2015-01-01)
EMBED_LIMITS = {"title": alerts.TITLE_MAX, "description": alerts.DESCRIPTION_MAX, "url": 2048}
USERNAME_MAX = 80


@dataclass
class Webhook:
    id: str
    token: str
    name: str
    channel_id: str


@dataclass
class Bucket:
    """A fixed window: `limit` requests per `window` seconds, counted from the window's first request."""

    limit: int
    window: float
    started: float = 0.0
    used: int = 0

    def roll(self, now: float) -> None:
        if now >= self.started + self.window:
            self.started, self.used = now, 0

    def reset_after(self, now: float) -> float:
        return max(round(self.started + self.window - now, 3), 0.0)


@dataclass
class Received:
    webhook_id: str
    body: dict[str, Any]
    message: dict[str, Any]


def _error(tree: dict[str, Any], path: list[str | int], code: str, message: str) -> None:
    node = tree
    for part in path:
        node = node.setdefault(str(part), {})
    node.setdefault("_errors", []).append({"code": code, "message": message})


def _check_string(tree: dict[str, Any], path: list[str | int], value: Any, limit: int, *, required: bool) -> None:
    if value is None:
        if required:
            _error(tree, path, "BASE_TYPE_REQUIRED", "This field is required")
    elif not isinstance(value, str):
        _error(tree, path, "BASE_TYPE_STRING", f'Could not interpret "{value}" as string.')
    elif len(value) > limit:
        _error(tree, path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")
    elif required and not value.strip():
        _error(tree, path, "BASE_TYPE_REQUIRED", "This field is required")


def _check_embed(tree: dict[str, Any], path: list[str | int], embed: Any) -> None:
    if not isinstance(embed, dict):
        _error(tree, path, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        return
    for key, limit in EMBED_LIMITS.items():
        _check_string(tree, [*path, key], embed.get(key), limit, required=False)
    color = embed.get("color")
    if color is not None and (not isinstance(color, int) or isinstance(color, bool) or not 0 <= color <= 0xFFFFFF):
        _error(tree, [*path, "color"], "NUMBER_TYPE_MAX", "int value should be <= 16777215 and >= 0.")
    if "timestamp" in embed:
        try:
            datetime.fromisoformat(str(embed["timestamp"]))
        except ValueError:
            _error(tree, [*path, "timestamp"], "DATE_TYPE_PARSE", f"Could not parse {embed['timestamp']}.")
    for part, key, limit in (("footer", "text", alerts.FOOTER_MAX), ("author", "name", alerts.AUTHOR_MAX)):
        if part in embed:
            _check_string(tree, [*path, part, key], (embed[part] or {}).get(key), limit, required=True)
    fields = embed.get("fields", [])
    if not isinstance(fields, list):
        _error(tree, [*path, "fields"], "BASE_TYPE_ARRAY", "Must be an array.")
        return
    if len(fields) > alerts.FIELDS_MAX:
        _error(tree, [*path, "fields"], "BASE_TYPE_MAX_LENGTH", f"Must be {alerts.FIELDS_MAX} or fewer in length.")
    for i, item in enumerate(fields):
        pair = item if isinstance(item, dict) else {}
        _check_string(tree, [*path, "fields", i, "name"], pair.get("name"), alerts.FIELD_NAME_MAX, required=True)
        _check_string(tree, [*path, "fields", i, "value"], pair.get("value"), alerts.FIELD_VALUE_MAX, required=True)


def validation_errors(body: Any) -> dict[str, Any] | None:
    """Discord's answer to a body it would refuse, or None when it would post it."""
    if not isinstance(body, dict):
        return {"code": 50109, "message": "The request body contains invalid JSON."}
    tree: dict[str, Any] = {}
    _check_string(tree, ["content"], body.get("content"), alerts.CONTENT_MAX, required=False)
    _check_string(tree, ["username"], body.get("username"), USERNAME_MAX, required=False)
    embeds = body.get("embeds") or []
    if not isinstance(embeds, list):
        _error(tree, ["embeds"], "BASE_TYPE_ARRAY", "Must be an array.")
        embeds = []
    if len(embeds) > alerts.EMBEDS_MAX:
        _error(tree, ["embeds"], "BASE_TYPE_MAX_LENGTH", f"Must be {alerts.EMBEDS_MAX} or fewer in length.")
    for i, embed in enumerate(embeds):
        _check_embed(tree, ["embeds", i], embed)
    if not tree and sum(alerts.embed_chars(e) for e in embeds) > alerts.EMBED_TOTAL_MAX:
        _error(tree, ["embeds"], "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")
    if tree:
        return {"code": 50035, "message": "Invalid Form Body", "errors": tree}
    if not body.get("content") and not embeds:
        return {"code": 50006, "message": "Cannot send an empty message"}
    return None


@dataclass
class DiscordFake:
    """The fake's state; `app()` serves it. Tests flip `outage` and read `received`."""

    limit: int = 5
    window: float = 2.0
    clock: Callable[[], float] = time.time
    outage: bool = False
    webhooks: dict[str, Webhook] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    rejected: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    requests: int = 0  # every call, answered or not: shows that enqueueing never reaches Discord
    _buckets: dict[str, Bucket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _sequence: int = 0

    def reset(self) -> None:
        """Forget webhooks, messages, buckets and any outage (tests share one running server)."""
        with self._lock:
            self.webhooks.clear()
            self.received.clear()
            self.rejected.clear()
            self._buckets.clear()
            self.outage = False
            self.requests = 0

    def create_webhook(self, name: str = "OrderDeck", channel_id: str = "100") -> Webhook:
        with self._lock:
            self._sequence += 1
            hook = Webhook(self._snowflake(), secrets.token_urlsafe(48), name, channel_id)
            self.webhooks[hook.id] = hook
        return hook

    def _snowflake(self) -> str:
        return str(((int(self.clock() * 1000) - EPOCH_MS) << 22) + self._sequence)

    def messages(self, webhook_id: str | None = None) -> list[dict[str, Any]]:
        return [r.body for r in self.received if webhook_id is None or r.webhook_id == webhook_id]

    def execute(self, webhook_id: str, token: str, raw: bytes, wait: bool) -> tuple[int, Any, dict[str, str]]:
        """Status, JSON body (None for 204) and headers for one execute-webhook call."""
        with self._lock:
            self.requests += 1
        hook = self.webhooks.get(webhook_id)
        if hook is None:
            return 404, {"code": 10015, "message": "Unknown Webhook"}, {}
        if not secrets.compare_digest(hook.token, token):
            return 401, {"code": 50027, "message": "Invalid Webhook Token"}, {}
        if self.outage:
            return 503, {"message": "upstream connect error or disconnect/reset before headers"}, {}
        with self._lock:
            now = self.clock()
            bucket = self._buckets.setdefault(webhook_id, Bucket(self.limit, self.window))
            bucket.roll(now)
            reset_after = bucket.reset_after(now)
            headers = {
                "X-RateLimit-Limit": str(bucket.limit),
                "X-RateLimit-Reset": f"{bucket.started + bucket.window:.3f}",
                "X-RateLimit-Reset-After": f"{reset_after:.3f}",
                "X-RateLimit-Bucket": hashlib.sha256(webhook_id.encode()).hexdigest()[:32],
            }
            if bucket.used >= bucket.limit:
                headers |= {"X-RateLimit-Remaining": "0", "X-RateLimit-Scope": "user"}
                headers["Retry-After"] = str(math.ceil(reset_after))
                body = {"message": "You are being rate limited.", "retry_after": reset_after, "global": False}
                return 429, body, headers
            try:
                payload = json.loads(raw)
            except ValueError:
                payload = None
            problem = validation_errors(payload)
            if problem is not None:
                self.rejected.append((400, problem))
                return 400, problem, headers
            bucket.used += 1
            headers["X-RateLimit-Remaining"] = str(bucket.limit - bucket.used)
            self._sequence += 1
            message = self._message(hook, payload)
            self.received.append(Received(webhook_id, payload, message))
        return (200, message, headers) if wait else (204, None, headers)

    def _message(self, hook: Webhook, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": self._snowflake(),
            "type": 0,
            "channel_id": hook.channel_id,
            "content": body.get("content", ""),
            "author": {"id": hook.id, "username": body.get("username") or hook.name, "bot": True},
            "embeds": [{"type": "rich", **e} for e in body.get("embeds") or []],
            "attachments": [],
            "mentions": [],
            "tts": bool(body.get("tts", False)),
            "timestamp": datetime.fromtimestamp(self.clock(), UTC).isoformat(),
            "webhook_id": hook.id,
        }

    def app(self) -> Flask:
        app = Flask("discord-sandbox")

        @app.post("/api/webhooks/<webhook_id>/<token>")
        @app.post("/api/v10/webhooks/<webhook_id>/<token>")
        def execute_webhook(webhook_id: str, token: str) -> Response:
            wait = request.args.get("wait", "false").lower() == "true"
            status, body, headers = self.execute(webhook_id, token, request.get_data(), wait)
            text = "" if body is None else json.dumps(body)
            return Response(text, status=status, headers=headers, content_type="application/json")

        return app


def webhook_url(server: RunningServer, hook: Webhook) -> str:
    return f"{server.url}/api/webhooks/{hook.id}/{hook.token}"


def start_discord(fake: DiscordFake | None = None) -> tuple[DiscordFake, RunningServer]:
    """Start a fake Discord on a free loopback port (the demo and tests call this)."""
    fake = fake or DiscordFake()
    return fake, start(fake.app())
