"""/openapi.json: the add-on API described from the same marshmallow schemas that check requests.

A small generator instead of a dependency: the field kinds the schemas use map to JSON Schema, and
`addon.ENDPOINTS` is the route table, so the document cannot drift from what the handlers accept.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from marshmallow import Schema, fields, validate

from backend.api import addon
from backend.services.addon import ACTIONS

bp = Blueprint("openapi", __name__)

SIMPLE: tuple[tuple[type[fields.Field[Any]], dict[str, Any]], ...] = (
    (fields.Email, {"type": "string", "format": "email"}),
    (fields.String, {"type": "string"}),
    (fields.Integer, {"type": "integer"}),
    (fields.Float, {"type": "number"}),
    (fields.Decimal, {"type": "string", "format": "decimal"}),
    (fields.Boolean, {"type": "boolean"}),
)
ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "action"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "action": {"type": "string", "enum": ["retry", "fail", "reauthorize"]},
                "detail": {"type": "object"},
            },
        }
    },
}


def _validators(field: fields.Field[Any], out: dict[str, Any]) -> None:
    for v in field.validators:
        if isinstance(v, validate.Length):
            low, high = ("minItems", "maxItems") if out.get("type") == "array" else ("minLength", "maxLength")
            if v.min is not None:
                out[low] = v.min
            if v.max is not None:
                out[high] = v.max
        elif isinstance(v, validate.Range):
            if v.min is not None:
                out["minimum"] = v.min
            if v.max is not None:
                out["maximum"] = v.max
        elif isinstance(v, validate.Regexp):
            out["pattern"] = v.regex.pattern
        elif isinstance(v, validate.OneOf):
            out["enum"] = list(v.choices)


def field_schema(field: fields.Field[Any], components: dict[str, Any]) -> dict[str, Any]:
    """JSON Schema of one marshmallow field; nested schemas become components."""
    out: dict[str, Any]
    if isinstance(field, fields.Nested):
        nested = field.nested if isinstance(field.nested, type) else type(field.nested)
        out = {"$ref": f"#/components/schemas/{component(nested, components)}"}
    elif isinstance(field, fields.List):
        out = {"type": "array", "items": field_schema(field.inner, components)}
    elif isinstance(field, fields.Dict):
        values = field_schema(field.value_field, components) if field.value_field else {}
        out = {"type": "object", "additionalProperties": values}
    else:
        out = next((dict(s) for kind, s in SIMPLE if isinstance(field, kind)), {})
    _validators(field, out)
    if field.allow_none and out:
        out = {"anyOf": [out, {"type": "null"}]}
    return out


def component(schema: type[Schema], components: dict[str, Any]) -> str:
    name = schema.__name__.removesuffix("Schema")
    if name not in components:
        components[name] = {}  # reserve first: a schema may refer to itself
        declared = schema._declared_fields
        components[name] = {
            "type": "object",
            "properties": {key: field_schema(f, components) for key, f in declared.items()},
            "required": sorted(k for k, f in declared.items() if f.required),
        }
        if schema.__doc__:
            components[name]["description"] = schema.__doc__.strip().splitlines()[0]
    return name


def _operation(endpoint: addon.Endpoint, components: dict[str, Any]) -> dict[str, Any]:
    who = "any verified Google identity" if endpoint.action is None else _roles(endpoint.action)
    op: dict[str, Any] = {
        "summary": endpoint.summary,
        "description": f"Allowed: {who}.",
        "security": [{"googleIdToken": []}],
        "responses": {
            "200": {"description": "OK", "content": {"application/json": {"schema": _reply(endpoint, components)}}},
            **{
                code: {
                    "description": text,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                }
                for code, text in (
                    ("400", "invalid request"),
                    ("401", "missing or invalid identity token"),
                    ("403", "role may not do this"),
                    ("404", "not found in the caller's team"),
                )
            },
        },
    }
    if endpoint.body is not None:
        name = component(endpoint.body, components)
        if endpoint.method == "GET":
            props = components[name]["properties"]
            op["parameters"] = [
                {"name": k, "in": "query", "required": k in components[name]["required"], "schema": s}
                for k, s in props.items()
            ]
        else:
            ref = {"$ref": f"#/components/schemas/{name}"}
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref}}}
    return op


def _reply(endpoint: addon.Endpoint, components: dict[str, Any]) -> dict[str, Any]:
    if endpoint.reply is None:
        return {"type": "object"}
    return {"$ref": f"#/components/schemas/{component(endpoint.reply, components)}"}


def _roles(action: str) -> str:
    allowed = ACTIONS[action]
    return "every member" if allowed is None else ", ".join(sorted(allowed))


@cache
def document() -> dict[str, Any]:
    components: dict[str, Any] = {"Error": ERROR}
    paths: dict[str, Any] = {}
    for endpoint in addon.ENDPOINTS:
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = _operation(endpoint, components)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "OrderDeck add-on API",
            "version": "1",
            "description": "Called by the Google Sheets add-on with the user's Google identity token. "
            "A person in several teams names one with the X-OrderDeck-Team header.",
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": components,
            "securitySchemes": {"googleIdToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


@bp.get("/openapi.json")
def openapi_json() -> ResponseReturnValue:
    return jsonify(document()), 200
