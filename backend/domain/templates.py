"""Exception templates: typed fields, who handles them, the resolution target and the customer message.

Templates are data (schemas/templates/*.json); this module checks what JSON Schema cannot (that every
message placeholder names a field or a context value, that the handler is a real role) and renders
the customer message by plain `{name}` substitution: no format-string attribute access, no Jinja,
each value formatted by its field's type for the message's language.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from backend.domain.phrases import Phrase

LANGUAGES = ("en", "zh-Hans")
# Values every message may use besides the template's own fields, filled from the order.
CONTEXT_NAMES = frozenset({"order_id", "shop_name"})
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")
MONEY_PLACES = 2
# Not %B: that follows the process locale, and a customer message must not.
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
YES_NO = {"en": ("yes", "no"), "zh-Hans": ("是", "否")}
TRUE_TEXT = frozenset({"true", "yes", "y", "1", "是"})
FALSE_TEXT = frozenset({"false", "no", "n", "0", "否"})
# How a case ended, chosen by whoever resolves it; AUTOMATIC is the system's own (its cause went away).
OUTCOMES = ("solved", "refunded", "replaced", "cancelled", "declined", "no_action")
AUTOMATIC = "automatic"
# Buyers shipped to here read Simplified Chinese; elsewhere their own words may show it.
CHINESE_REGIONS = frozenset({"CN"})
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


class TemplateError(ValueError):
    """A template document is inconsistent (found at load time, so start-up stops)."""


class FieldError(ValueError):
    """Field values that do not fit the template; `problems` maps each field name to why."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {why}" for name, why in problems.items()))
        self.problems = dict(problems)


@dataclass(frozen=True)
class MessageContext:
    """What a message needs from the order besides the fields."""

    order_id: str
    shop_name: str = ""
    currency: str = "USD"

    def values(self) -> dict[str, str]:
        return {"order_id": self.order_id, "shop_name": self.shop_name}


@dataclass(frozen=True)
class Choice:
    value: str
    label: Mapping[str, str]


def _clean_text(value: str) -> str:
    """Trim and drop control characters (keeping newlines): the text ends up in a customer message."""
    return "".join(c for c in value.strip() if c == "\n" or unicodedata.category(c) != "Cc")


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str  # text | integer | money | date | choice | boolean
    label: Mapping[str, str]
    required: bool = False
    max_length: int = 500
    minimum: int | None = None
    choices: tuple[Choice, ...] = ()

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> FieldSpec:
        return cls(
            name=doc["name"],
            type=doc["type"],
            label=dict(doc["label"]),
            required=bool(doc.get("required", False)),
            max_length=int(doc.get("max_length", 500)),
            minimum=doc.get("minimum"),
            choices=tuple(Choice(c["value"], dict(c["label"])) for c in doc.get("choices", ())),
        )

    def parse(self, raw: Any) -> Any:
        """The stored (JSON-safe) form of `raw`, or ValueError saying why it does not fit."""
        parser = getattr(self, f"_parse_{self.type}")
        result: Any = parser(raw)
        return result

    def _parse_text(self, raw: Any) -> str:
        if not isinstance(raw, str):
            raise ValueError("must be text")
        text = _clean_text(raw)
        if len(text) > self.max_length:
            raise ValueError(f"must be {self.max_length} characters or fewer")
        return text

    def _parse_integer(self, raw: Any) -> int:
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            raise ValueError("must be a whole number")
        try:
            number = int(raw.strip()) if isinstance(raw, str) else raw
        except ValueError:
            raise ValueError("must be a whole number") from None
        if self.minimum is not None and number < self.minimum:
            raise ValueError(f"must be at least {self.minimum}")
        return number

    def _parse_money(self, raw: Any) -> str:
        # Floats are refused: 0.1 + 0.2 is how refunds end up a cent off.
        if isinstance(raw, bool) or not isinstance(raw, int | str | Decimal):
            raise ValueError('must be an amount written as text, e.g. "12.50"')
        try:
            amount = Decimal(raw.strip()) if isinstance(raw, str) else Decimal(raw)
        except InvalidOperation:
            raise ValueError("must be an amount, e.g. 12.50") from None
        exponent = amount.as_tuple().exponent
        if not amount.is_finite() or amount < 0 or (isinstance(exponent, int) and exponent < -MONEY_PLACES):
            raise ValueError(f"must be a positive amount with at most {MONEY_PLACES} decimals")
        return str(amount)

    def _parse_date(self, raw: Any) -> str:
        if isinstance(raw, datetime):
            raise ValueError("must be a date (YYYY-MM-DD), not a time")
        if isinstance(raw, date):
            return raw.isoformat()
        if not isinstance(raw, str):
            raise ValueError("must be a date (YYYY-MM-DD)")
        try:
            return date.fromisoformat(raw.strip()).isoformat()
        except ValueError:
            raise ValueError("must be a date (YYYY-MM-DD)") from None

    def _parse_choice(self, raw: Any) -> str:
        for choice in self.choices:
            if raw == choice.value or (isinstance(raw, str) and raw in choice.label.values()):
                return choice.value
        raise ValueError(f"must be one of: {', '.join(c.value for c in self.choices)}")

    def _parse_boolean(self, raw: Any) -> bool:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in TRUE_TEXT | FALSE_TEXT:
            return raw.strip().lower() in TRUE_TEXT
        raise ValueError("must be yes or no")

    def display(self, stored: Any, language: str, currency: str) -> str:
        """`stored` as a customer reads it in `language`."""
        if self.type == "money":
            return f"{currency} {Decimal(stored):,.2f}"
        if self.type == "date":
            day = date.fromisoformat(stored)
            return (
                f"{day.year}年{day.month}月{day.day}日" if language == "zh-Hans" else f"{day:%B} {day.day}, {day.year}"
            )
        if self.type == "choice":
            return next(c.label[language] for c in self.choices if c.value == stored)
        if self.type == "boolean":
            yes, no = YES_NO[language]
            return yes if stored else no
        return str(stored)


def buyer_language(region_code: str | None, buyer_text: str | None) -> str:
    """The language a buyer message is first offered in: Chinese if the buyer wrote in it or lives
    where it is read, else English (whoever copies it can switch)."""
    if HAN.search(buyer_text or "") or (region_code or "").upper() in CHINESE_REGIONS:
        return "zh-Hans"
    return "en"


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@dataclass(frozen=True)
class Template:
    key: str
    label: Mapping[str, str]
    handler_role: str
    resolution_target: timedelta
    fields: tuple[FieldSpec, ...]
    message: Mapping[str, tuple[str, ...]] = field(repr=False)

    @classmethod
    def from_document(cls, doc: Mapping[str, Any], roles: Iterable[str]) -> Template:
        """Build from a schema-valid document and check what the schema cannot."""
        template = cls(
            key=doc["key"],
            label=dict(doc["label"]),
            handler_role=doc["handler_role"],
            resolution_target=timedelta(hours=float(doc["resolution_target_hours"])),
            fields=tuple(FieldSpec.from_document(f) for f in doc["fields"]),
            message={lang: tuple(lines) for lang, lines in doc["message"].items()},
        )
        if template.handler_role not in set(roles):
            raise TemplateError(f"handler_role {template.handler_role!r} is not a role in schemas/roles.json")
        names = [f.name for f in template.fields]
        if len(set(names)) != len(names):
            raise TemplateError("field names must be unique")
        if clash := CONTEXT_NAMES & set(names):
            raise TemplateError(f"field names {sorted(clash)} are reserved for the order's own values")
        known = CONTEXT_NAMES | set(names)
        for lang, lines in template.message.items():
            for line in lines:
                if unknown := set(PLACEHOLDER.findall(line)) - known:
                    raise TemplateError(f"message {lang} names unknown fields {sorted(unknown)} in {line!r}")
                if "{" in PLACEHOLDER.sub("", line) or "}" in PLACEHOLDER.sub("", line):
                    raise TemplateError(f"message {lang} has a stray brace in {line!r}")
        return template

    def spec(self, name: str) -> FieldSpec:
        return next(f for f in self.fields if f.name == name)

    def validate(self, raw: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
        """The stored form of `raw`'s fields; `partial` lets required fields wait (a case raised
        from the sheet's dropdown carries no details yet)."""
        problems: dict[str, str] = {}
        if unknown := set(raw) - {f.name for f in self.fields}:
            problems.update({name: "is not a field of this template" for name in sorted(unknown)})
        stored: dict[str, Any] = {}
        for spec in self.fields:
            value = raw.get(spec.name)
            if _is_empty(value):
                if spec.required and not partial:
                    problems[spec.name] = "is required"
                continue
            try:
                stored[spec.name] = spec.parse(value)
            except ValueError as exc:
                problems[spec.name] = str(exc)
        if problems:
            raise FieldError(problems)
        return stored

    def missing(self, stored: Mapping[str, Any]) -> list[str]:
        """Required fields still empty (a dropdown-raised case before someone fills it in)."""
        return [f.name for f in self.fields if f.required and _is_empty(stored.get(f.name))]

    def render(self, stored: Mapping[str, Any], language: str, context: MessageContext) -> str:
        """The customer message; a line naming an empty optional field is left out."""
        if language not in LANGUAGES:
            raise ValueError(f"no message in {language!r}; languages are {', '.join(LANGUAGES)}")
        if missing := self.missing(stored):
            raise FieldError(dict.fromkeys(missing, "is required"))
        values = context.values()
        for spec in self.fields:
            if not _is_empty(stored.get(spec.name)):
                values[spec.name] = spec.display(stored[spec.name], language, context.currency)
        lines = []
        for line in self.message[language]:
            names = PLACEHOLDER.findall(line)
            if all(not _is_empty(values.get(n)) for n in names):
                lines.append(PLACEHOLDER.sub(lambda m: values[m.group(1)], line))
        return "\n".join(lines)


@dataclass(frozen=True)
class TemplateCatalog:
    """Every template by key; `by_label` serves the sheet's dropdown, which shows English labels."""

    templates: Mapping[str, Template]

    @classmethod
    def from_templates(cls, templates: Iterable[Template]) -> TemplateCatalog:
        by_key: dict[str, Template] = {}
        for template in templates:
            if template.key in by_key:
                raise TemplateError(f"two templates share the key {template.key!r}")
            by_key[template.key] = template
        return cls(by_key)

    def __iter__(self) -> Iterator[Template]:
        return iter(self.templates.values())

    def get(self, key: str) -> Template:
        try:
            return self.templates[key]
        except KeyError:
            raise KeyError(f"no exception template {key!r}; templates are: {', '.join(self.templates)}") from None

    def by_label(self, label: str) -> Template:
        """The template a dropdown cell names (its label in any language, or its key)."""
        wanted = label.strip()
        for template in self.templates.values():
            if wanted == template.key or wanted in template.label.values():
                return template
        raise KeyError(Phrase("no exception template labelled {label!r}", label=label))

    def dropdown_labels(self, language: str = "en") -> list[str]:
        return [t.label[language] for t in self.templates.values()]
