"""Loads the data files in schemas/ once, validated against their JSON Schemas.

Variation lives in these files (roles, column profiles, exception templates, fee pools), so a
malformed file must stop start-up with a message naming the file and the problem.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from backend.config import PROJECT_ROOT, ConfigError
from backend.domain.access import RolePolicy
from backend.domain.templates import Template, TemplateCatalog, TemplateError

SCHEMAS_DIR = PROJECT_ROOT / "schemas"


def load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path.relative_to(PROJECT_ROOT)}: {exc}") from None


def validated(path: Path, schema_name: str) -> Any:
    """Load `path` and check it against schemas/`schema_name`."""
    doc = load_json(path)
    try:
        jsonschema.validate(doc, load_json(SCHEMAS_DIR / schema_name))
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(top)"
        raise ConfigError(f"{path.relative_to(PROJECT_ROOT)} at {where}: {exc.message}") from None
    return doc


@cache
def role_policy() -> RolePolicy:
    try:
        return RolePolicy.from_document(validated(SCHEMAS_DIR / "roles.json", "roles.schema.json"))
    except ValueError as exc:
        raise ConfigError(f"schemas/roles.json: {exc}") from None


@dataclass(frozen=True)
class Market:
    currency: str
    time_zone: str
    authorize_url: str


@cache
def markets() -> dict[str, Market]:
    """Region code → currency, time zone and consent page (unknown regions fall back to UTC/USD)."""
    doc = validated(SCHEMAS_DIR / "markets.json", "markets.schema.json")
    default_url = str(doc["default_authorize_url"])
    return {
        region: Market(spec["currency"], spec["time_zone"], spec.get("authorize_url", default_url))
        for region, spec in doc["markets"].items()
    }


def market(region: str) -> Market:
    found = markets().get(region.upper())
    if found is not None:
        return found
    return Market("USD", "UTC", str(load_json(SCHEMAS_DIR / "markets.json")["default_authorize_url"]))


@cache
def currencies() -> dict[str, str]:
    """ISO 4217 code → the currency's name (schemas/currencies.json)."""
    doc = validated(SCHEMAS_DIR / "currencies.json", "currencies.schema.json")
    return {str(code): str(name) for code, name in doc["currencies"].items()}


@cache
def exception_templates() -> TemplateCatalog:
    """Every template in schemas/templates/ (file name = key), checked against its schema and the roles."""
    templates = []
    for path in sorted((SCHEMAS_DIR / "templates").glob("*.json")):
        doc = validated(path, "exception_template.schema.json")
        try:
            if doc["key"] != path.stem:
                raise TemplateError(f"key {doc['key']!r} differs from the file name")
            templates.append(Template.from_document(doc, role_policy().roles))
        except TemplateError as exc:
            raise ConfigError(f"{path.relative_to(PROJECT_ROOT)}: {exc}") from None
    return TemplateCatalog.from_templates(templates)
