"""JSON parsing with limits: size, nesting depth and number range, each refused with a reason.

`json.loads` accepts what no caller of ours can use and some it cannot survive: nesting deep enough
to exhaust the recursion limit, integers of thousands of digits, `NaN` and `Infinity`. Every body we
parse (add-on requests, TikTok webhooks and API answers) goes through `loads` with its own limits.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any


class JsonRefused(ValueError):
    """The text is not JSON, or passes one of the limits; the message says which."""


@dataclass(frozen=True)
class JsonLimits:
    max_bytes: int
    max_depth: int
    max_integer_digits: int  # 2**63 has 19 digits; TikTok's 64-bit ids up to 20
    max_abs_number: float  # for numbers with a fraction or an exponent


def _integer(limits: JsonLimits) -> Any:
    def parse(text: str) -> int:
        if len(text.lstrip("-")) > limits.max_integer_digits:
            raise JsonRefused(f"a number has {len(text.lstrip('-'))} digits; at most {limits.max_integer_digits}")
        return int(text)

    return parse


def _number(limits: JsonLimits) -> Any:
    def parse(text: str) -> float:
        value = float(text)
        if not math.isfinite(value) or abs(value) > limits.max_abs_number:
            raise JsonRefused(f"the number {text[:40]} is out of range (at most ±{limits.max_abs_number:g})")
        return value

    return parse


def _constant(name: str) -> Any:
    raise JsonRefused(f"{name} is not a JSON number")


def _check_tree(value: Any, max_depth: int) -> None:
    """Nesting within `max_depth`, and no string (key or value) that UTF-8 cannot hold (a lone surrogate
    such as "\\ud800" parses, then fails in the database driver); walked without recursion."""
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, str):
            _utf8(item)
            continue
        children = [*item, *item.values()] if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if level > max_depth:
            raise JsonRefused(f"objects and arrays nest deeper than {max_depth} levels")
        stack.extend((child, level + 1) for child in children)


def _utf8(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise JsonRefused("a string holds a lone UTF-16 surrogate (\\ud800-\\udfff), which is not text") from None


def loads(raw: bytes | str, limits: JsonLimits) -> Any:
    """Parse `raw` or raise JsonRefused naming the limit it passed (or why it is not JSON)."""
    if len(raw) > limits.max_bytes:
        raise JsonRefused(f"the body has {len(raw):,} bytes; at most {limits.max_bytes:,}")
    try:
        value = json.loads(raw, parse_int=_integer(limits), parse_float=_number(limits), parse_constant=_constant)
    except RecursionError:
        raise JsonRefused(f"objects and arrays nest deeper than {limits.max_depth} levels") from None
    except JsonRefused:
        raise
    except (ValueError, TypeError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise JsonRefused(f"not JSON: {exc}") from None
    _check_tree(value, limits.max_depth)
    return value
