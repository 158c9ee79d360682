"""JSON parsing with limits: size, nesting depth and number range, each refused with a reason.

`json.loads` accepts what no caller of ours can use and some it cannot survive: nesting deep enough
to exhaust the recursion limit, integers of thousands of digits, `NaN` and `Infinity`, and strings
PostgreSQL cannot store (U+0000, lone UTF-16 surrogates). Every body we parse (add-on requests,
TikTok webhooks and API answers) goes through `loads` with its own limits.

A request or an event is one thing, so it is refused whole. An API answer holds many records (a page
of orders), so with `lenient` a bad value does not cost the page: integers of any length stay integers,
other numbers out of range are kept as their text, unstorable strings are repaired, and nesting is
bounded only by the parser itself; the per-record schema check then fails only the record whose checked
field it was (or nothing, when it sat in a field OrderDeck does not read). A lenient parse walks the
tree only when the bytes hold an escape that may need repair, so a clean page costs what `json.loads` does.
"""

from __future__ import annotations

import json
import math
import re
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
    lenient: bool = False  # keep out-of-range numbers, repair strings, leave depth to the parser (see above)


# Escapes of U+0000 and of surrogates; only they (or raw surrogate bytes) can make a parsed string unstorable.
SUSPECT = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])|\xed[\xa0-\xbf]")


def _integer(limits: JsonLimits) -> Any:
    def parse(text: str) -> int:
        digits = len(text.lstrip("-"))
        if digits > limits.max_integer_digits:
            raise JsonRefused(f"a number has {digits} digits; at most {limits.max_integer_digits}")
        return int(text)

    return parse


def _number(limits: JsonLimits) -> Any:
    def parse(text: str) -> float | str:
        value = float(text)
        if math.isfinite(value) and abs(value) <= limits.max_abs_number:
            return value
        if limits.lenient:
            return text
        raise JsonRefused(f"the number {text[:40]} is out of range (at most ±{limits.max_abs_number:g})")

    return parse


def _constant(limits: JsonLimits) -> Any:
    def parse(name: str) -> str:
        if limits.lenient:
            return name
        raise JsonRefused(f"{name} is not a JSON number")

    return parse


def _storable(text: str) -> str:
    """`text` without what PostgreSQL text refuses: NUL dropped, lone surrogates as U+FFFD."""
    text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return text


def _unstorable(text: str) -> bool:
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _checked(value: Any, limits: JsonLimits, level: int = 0) -> Any:
    """`value` checked for depth and strings (refused, or repaired when lenient); containers rebuilt only
    when lenient. The depth limit sits far below the recursion limit, so recursion is safe here."""
    if isinstance(value, str):
        if not _unstorable(value):
            return value
        if limits.lenient:
            return _storable(value)
        raise JsonRefused("a string holds a NUL character (U+0000) or a lone UTF-16 surrogate, which is not text")
    if not isinstance(value, dict | list):
        return value
    if level >= limits.max_depth and not limits.lenient:
        raise JsonRefused(f"objects and arrays nest deeper than {limits.max_depth} levels")
    if isinstance(value, list):
        items = [_checked(item, limits, level + 1) for item in value]
        return items if limits.lenient else value
    pairs = {_checked(k, limits, level + 1): _checked(v, limits, level + 1) for k, v in value.items()}
    return pairs if limits.lenient else value


def loads(raw: bytes | str, limits: JsonLimits) -> Any:
    """Parse `raw` or raise JsonRefused naming the limit it passed (or why it is not JSON)."""
    if len(raw) > limits.max_bytes:
        raise JsonRefused(f"the body has {len(raw):,} bytes; at most {limits.max_bytes:,}")
    hooks = {"parse_float": _number(limits), "parse_constant": _constant(limits)}
    if not limits.lenient:
        hooks["parse_int"] = _integer(limits)
    try:
        value = json.loads(raw, **hooks)
    except RecursionError:
        limit = "the parser can follow" if limits.lenient else f"{limits.max_depth} levels"
        raise JsonRefused(f"objects and arrays nest deeper than {limit}") from None
    except JsonRefused:
        raise
    except (ValueError, TypeError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise JsonRefused(f"not JSON: {exc}") from None
    if limits.lenient and not SUSPECT.search(raw.encode() if isinstance(raw, str) else raw):
        return value
    return _checked(value, limits)
