"""The sandbox's request plumbing: TikTok's error as an exception, the per-request context, the route
table's rows and keyset paging behind an opaque token, shared by every group of handlers."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import request

from backend.sandbox.tiktok.records import Authorization
from backend.sandbox.tiktok.world import Shop

if TYPE_CHECKING:
    from backend.sandbox.tiktok_shop import TikTokShopSandbox

PAGE_SIZE_MAX = 100
TOKEN_PREFIX = b"\xfb\xff"  # base64 "+/": every page token needs URL-encoding, as TikTok's do


class SandboxError(Exception):
    def __init__(self, code: int, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass
class Ctx:
    sb: TikTokShopSandbox
    authorization: Authorization
    shop_or_none: Shop | None
    args: dict[str, str]
    body: dict[str, Any]
    params: dict[str, str]
    now: int

    @property
    def shop(self) -> Shop:
        if self.shop_or_none is None:
            raise SandboxError(106013, "Missing identifier. The shop_cipher query parameter is required.")
        return self.shop_or_none


Handler = Callable[[Ctx], dict[str, Any]]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    shop_scoped: bool = True
    scope: str = ""  # the API package a token must have been granted ("" = any)


# -- paging -------------------------------------------------------------------------------------


def paginate(
    ctx: Ctx,
    items: list[Any],
    key: Callable[[Any], list[Any]],
    descending: bool = False,
    *,
    sizes: tuple[int, int] = (1, PAGE_SIZE_MAX),
) -> tuple[list[Any], str]:
    """Keyset paging behind an opaque token; page_size is required and bounded like the endpoint's."""
    raw_size = ctx.args.get("page_size", "")
    low, high = sizes
    if not raw_size.isdigit() or not low <= int(raw_size) <= high:
        raise SandboxError(36009004, f"Invalid param: page_size must be between {low} and {high}.")
    items = sorted(items, key=key, reverse=descending)
    token = ctx.args.get("page_token")
    if token:
        try:
            scope, last = json.loads(base64.b64decode(token, validate=True)[len(TOKEN_PREFIX) :])
        except (ValueError, binascii.Error) as exc:
            raise SandboxError(36009004, "Invalid param: page_token is invalid.") from exc
        if scope != request.path:
            raise SandboxError(36009004, "Invalid param: page_token is invalid.")
        items = [i for i in items if (key(i) < last if descending else key(i) > last)]
    page = items[: int(raw_size)]
    if len(items) <= len(page):
        return page, ""
    next_token = base64.b64encode(TOKEN_PREFIX + json.dumps([request.path, key(page[-1])]).encode()).decode()
    return page, next_token


def api_route(method: str, path: str, handler: Handler, shop_scoped: bool = True, scope: str = "") -> Route:
    pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path)
    return Route(method, re.compile(f"^{pattern}$"), handler, shop_scoped, scope)
