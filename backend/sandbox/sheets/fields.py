"""Field masks: `fields=` partial responses and the `fields` of Sheets update requests share one grammar."""

from __future__ import annotations

import copy
from typing import Any

# A parsed mask: name → sub-mask, None = the whole value.
Mask = dict[str, "Mask | None"]


def parse(mask: str) -> Mask:
    """Parse `a.b,c(d,e/f),g` (dots and slashes both descend, parentheses group)."""
    tree, rest = _parse_list(mask.replace(" ", ""), 0)
    if rest != len(mask.replace(" ", "")):
        raise ValueError(f"unbalanced field mask: {mask!r}")
    return tree


def _parse_list(text: str, i: int) -> tuple[Mask, int]:
    tree: Mask = {}
    while i < len(text) and text[i] != ")":
        path: list[str] = []
        name = ""
        while i < len(text) and text[i] not in ",()":
            if text[i] in "./":
                path.append(name)
                name = ""
            else:
                name += text[i]
            i += 1
        path.append(name)
        sub: Mask | None = None
        if i < len(text) and text[i] == "(":
            sub, i = _parse_list(text, i + 1)
            if i >= len(text) or text[i] != ")":
                raise ValueError(f"unbalanced field mask: {text!r}")
            i += 1
        _insert(tree, [p for p in path if p], sub)
        if i < len(text) and text[i] == ",":
            i += 1
    return tree, i


def _insert(tree: Mask, path: list[str], sub: Mask | None) -> None:
    if not path:
        return
    head, *rest = path
    if not rest:
        existing = tree.get(head, {}) if head in tree else None
        tree[head] = None if sub is None or (head in tree and existing is None) else {**(existing or {}), **sub}
        return
    node = tree.get(head)
    if head in tree and node is None:
        return
    child: Mask = node if node is not None else {}
    tree[head] = child
    _insert(child, rest, sub)


def select(value: Any, mask: Mask | None) -> Any:
    """Keep only the masked parts of a response (lists are masked element-wise)."""
    if mask is None or "*" in mask:
        return value
    if isinstance(value, list):
        return [select(v, mask) for v in value]
    if not isinstance(value, dict):
        return value
    return {k: select(value[k], sub) for k, sub in mask.items() if k in value}


def merge(target: dict[str, Any], source: dict[str, Any], mask: Mask | None) -> dict[str, Any]:
    """Return `target` with the masked fields taken from `source` (absent in source = cleared)."""
    if mask is None or "*" in mask:
        return copy.deepcopy(source)
    result = dict(target)
    for key, sub in mask.items():
        if key not in source:
            result.pop(key, None)
        elif sub is None or not isinstance(source[key], dict):
            result[key] = copy.deepcopy(source[key])
        else:
            result[key] = merge(result.get(key) or {}, source[key], sub)
            if not result[key]:
                del result[key]
    return result
