"""Payloads drawn from a JSON Schema, then poisoned: the shapes the poison-data tests send over HTTP.

`valid(schema, definitions)` draws instances of a schema (the keywords our schemas use: $ref, type,
properties, required, items, pattern, lengths, bounds, enum, const, anyOf, additionalProperties).
hypothesis-jsonschema would do this, but 0.23.1 calls a Hypothesis internal (`many.more()`) that
Hypothesis 6.170 no longer has. `poisoned(...)` then replaces one value anywhere in the instance by
what a buggy or hostile sender would put there: a wrong type, null, a missing key, deep nesting, a
huge number or a huge string.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

Json = Any
Schema = Mapping[str, Any]
INT64 = 2**63 - 1


def _nested(depth: int) -> Json:
    value: Json = "deep"
    for _ in range(depth):
        value = [value]
    return value


POISON: st.SearchStrategy[Json] = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from([[], {}, "", "x", -1, 0, 1.5, -0.0, "NaN", "null", "2024-01-01", "12,50", "\u0000"]),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.integers(min_value=10**19, max_value=10**25).map(str),  # numbers past 64 bits, as text
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([5, 40]).map(_nested),  # past every limit of ours; 100,000 levels: see the raw bodies
    st.sampled_from([70_000, 300]).map(lambda n: "x" * n),
    st.text(max_size=30),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


def _resolve(schema: Schema, definitions: Mapping[str, Schema]) -> Schema:
    while "$ref" in schema:
        schema = definitions[str(schema["$ref"]).rsplit("/", 1)[-1]]
    return schema


def valid(schema: Schema, definitions: Mapping[str, Schema]) -> st.SearchStrategy[Json]:
    """Instances of `schema`; `definitions` resolves `$ref`s by their last path part."""
    schema = _resolve(schema, definitions)
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(list(schema["enum"]))
    if "anyOf" in schema:
        return st.one_of([valid(part, definitions) for part in schema["anyOf"]])
    merged = dict(schema)
    for part in schema.get("allOf", ()):  # a base block the schema extends: its properties apply too
        base = _resolve(part, definitions)
        merged["properties"] = {**base.get("properties", {}), **merged.get("properties", {})}
    kinds = merged.get("type", "object")
    kinds = [kinds] if isinstance(kinds, str) else list(kinds)
    return st.one_of([_of_type(kind, merged, definitions) for kind in kinds])


def _of_type(kind: str, schema: Schema, definitions: Mapping[str, Schema]) -> st.SearchStrategy[Json]:
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        low, high = schema.get("minimum", -INT64), schema.get("maximum", INT64)
        return st.integers(min_value=low, max_value=high)
    if kind == "number":
        return st.floats(schema.get("minimum"), schema.get("maximum"), allow_nan=False, allow_infinity=False)
    if kind == "string":
        low, high = schema.get("minLength", 0), schema.get("maxLength", 40)
        text: st.SearchStrategy[str] = (
            st.from_regex(str(schema["pattern"]), fullmatch=True) if "pattern" in schema else st.text(max_size=high)
        )
        return text.filter(lambda s: low <= len(s) <= high and "\x00" not in s)
    if kind == "array":
        items = valid(schema.get("items", {"type": "string"}), definitions)
        return st.lists(items, min_size=schema.get("minItems", 0), max_size=min(schema.get("maxItems", 3), 3))
    return _object(schema, definitions)


def _object(schema: Schema, definitions: Mapping[str, Schema]) -> st.SearchStrategy[Json]:
    properties: Mapping[str, Schema] = schema.get("properties", {})
    required = set(schema.get("required", ()))
    optional = sorted(set(properties) - required)
    extra = schema.get("additionalProperties")

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Json]:
        chosen = [
            *sorted(required),
            *draw(st.lists(st.sampled_from(optional), unique=True) if optional else st.just([])),
        ]
        value = {name: draw(valid(properties.get(name, {"type": "string"}), definitions)) for name in chosen}
        if isinstance(extra, dict):
            keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12)
            value |= draw(st.dictionaries(keys, valid(extra, definitions), max_size=3))
        return value

    return build()


@st.composite
def poisoned(draw: st.DrawFn, instance: Json) -> Json:
    """`instance` with one value somewhere (or the whole) replaced by poison, or one key removed."""
    paths: list[tuple[Any, ...]] = [()]
    stack: list[tuple[tuple[Any, ...], Json]] = [((), instance)]
    while stack:
        path, value = stack.pop()
        children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for key, child in children:
            paths.append((*path, key))
            stack.append(((*path, key), child))
    path = draw(st.sampled_from(paths))
    if not path:
        return draw(POISON)
    *parents, last = path
    target = instance
    for key in parents:
        target = target[key]
    if isinstance(target, dict) and draw(st.booleans()):
        del target[last]
    else:
        target[last] = draw(POISON)
    return instance
