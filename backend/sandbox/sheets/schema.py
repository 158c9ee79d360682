"""Validate request bodies against the discovery documents google-api-python-client ships.

Google rejects unknown fields and bad enum values before doing anything; so does the sandbox, with
the same message shape (`Invalid JSON payload received. Unknown name "x" at 'requests[0].add_sheet'`).
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

from backend.sandbox.sheets.errors import ApiError

_PROTO_PACKAGE = {"sheets.v4": "google.apps.sheets.v4", "drive.v3": "google.apps.drive.v3"}


@cache
def discovery(api: str) -> dict[str, Any]:
    """The bundled discovery document, e.g. `discovery("sheets.v4")`."""
    path = resources.files("googleapiclient") / "discovery_cache" / "documents" / f"{api}.json"
    return dict(json.loads(path.read_text(encoding="utf-8")))


def validate(api: str, schema_name: str, body: Any) -> None:
    """Raise a 400 INVALID_ARGUMENT ApiError if `body` does not fit the schema."""
    if not isinstance(body, dict):
        raise _violation("", "Invalid JSON payload received. Expected an object.")
    _check(api, {"$ref": schema_name}, body, "")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _join(path: str, name: str) -> str:
    return f"{path}.{_snake(name)}" if path else _snake(name)


def _check(api: str, schema: dict[str, Any], value: Any, path: str) -> None:
    if "$ref" in schema:
        ref = schema["$ref"]
        _check_object(api, ref, discovery(api)["schemas"][ref], value, path)
        return
    kind = schema.get("type")
    if value is None or kind == "any":
        return
    if kind == "array":
        if not isinstance(value, list):
            raise _violation(path, f"Invalid value at '{path}', expected a list")
        for i, item in enumerate(value):
            _check(api, schema["items"], item, f"{path}[{i}]")
    elif kind == "object":
        if not isinstance(value, dict):
            raise _violation(path, f"Invalid value at '{path}', expected an object")
        if "properties" in schema:
            _check_object(api, "", schema, value, path)
        elif "additionalProperties" in schema:
            for key, item in value.items():
                _check(api, schema["additionalProperties"], item, f"{path}[{key}]")
    else:
        _check_scalar(api, schema, value, path)


_SCALARS = {"integer": "TYPE_INT32", "number": "TYPE_DOUBLE", "boolean": "TYPE_BOOL"}


def _check_scalar(api: str, schema: dict[str, Any], value: Any, path: str) -> None:
    kind = schema.get("type")
    if kind == "string":
        _check_string(api, schema, value, path)
        return
    ok = {
        "integer": not isinstance(value, bool) and _is_integer(value),
        "number": not isinstance(value, bool) and isinstance(value, int | float),
        "boolean": isinstance(value, bool),
    }.get(str(kind), True)
    if not ok:
        raise _violation(path, f"Invalid value at '{path}' ({_SCALARS[str(kind)]}), {json.dumps(value)}")


def _check_object(api: str, name: str, schema: dict[str, Any], value: Any, path: str) -> None:
    if not isinstance(value, dict):
        raise _violation(path, f"Invalid value at '{path}' ({name}), {json.dumps(value)}")
    properties = schema.get("properties", {})
    for key, item in value.items():
        if key not in properties:
            where = f" at '{path}'" if path else ""
            raise _violation(path, f'Invalid JSON payload received. Unknown name "{key}"{where}: Cannot find field.')
        _check(api, properties[key], item, _join(path, key))


def _check_string(api: str, schema: dict[str, Any], value: Any, path: str) -> None:
    if schema.get("format") in {"int64", "uint64"} and _is_integer(value):
        return
    if not isinstance(value, str):
        raise _violation(path, f"Invalid value at '{path}' (TYPE_STRING), {json.dumps(value)}")
    if "enum" in schema and value not in schema["enum"]:
        type_name = f"type.googleapis.com/{_PROTO_PACKAGE.get(api, api)}"
        raise _violation(path, f"Invalid value at '{path}' ({type_name}), \"{value}\"")


def _is_integer(value: Any) -> bool:
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return value.is_integer()
    return isinstance(value, str) and re.fullmatch(r"-?\d+", value) is not None


def _violation(path: str, message: str) -> ApiError:
    return ApiError(
        400,
        message,
        details=[
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [{"field": path, "description": message}],
            }
        ],
    )
