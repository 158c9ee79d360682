"""Exception templates: the shipped files load, fields are typed, messages render in both languages."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from backend.catalog import SCHEMAS_DIR, exception_templates, load_json
from backend.domain.templates import FieldError, MessageContext, Template, TemplateError

ROLES = ("admin", "support", "procurement", "warehouse")
CONTEXT = MessageContext(order_id="576460752303423999", shop_name="Acme UK", currency="GBP")


def doc(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "key": "sample",
        "label": {"en": "Sample", "zh-Hans": "示例"},
        "handler_role": "support",
        "resolution_target_hours": 6,
        "fields": [
            {
                "name": "sku",
                "type": "text",
                "required": True,
                "max_length": 8,
                "label": {"en": "SKU", "zh-Hans": "SKU"},
            },
            {"name": "qty", "type": "integer", "minimum": 1, "label": {"en": "Qty", "zh-Hans": "数量"}},
            {"name": "refund", "type": "money", "label": {"en": "Refund", "zh-Hans": "退款"}},
            {"name": "on", "type": "date", "label": {"en": "On", "zh-Hans": "日期"}},
            {"name": "shipped", "type": "boolean", "label": {"en": "Shipped", "zh-Hans": "已发货"}},
        ],
        "message": {
            "en": ["Order {order_id}: {sku}.", "Refund {refund} on {on}.", "Shipped: {shipped}."],
            "zh-Hans": ["订单 {order_id}：{sku}。", "{on} 退款 {refund}。", "已发货：{shipped}。"],
        },
    }
    return base | overrides


def test_every_shipped_template_loads_with_a_handler_and_both_languages() -> None:
    catalog = exception_templates()
    assert {t.key: t.handler_role for t in catalog} == {
        "address_problem": "support",
        "customer_cancellation": "support",
        "damaged_or_wrong_item": "support",
        "return_request": "support",
        "shipping_delay": "warehouse",
        "stock_out": "procurement",
    }
    for template in catalog:
        assert template.resolution_target.total_seconds() > 0
        filled = {f.name: _example(f.type, f.choices[0].value if f.choices else None) for f in template.fields}
        stored = template.validate(filled)
        for language in ("en", "zh-Hans"):
            text = template.render(stored, language, CONTEXT)
            assert CONTEXT.order_id in text
            assert "{" not in text and "}" not in text


def _example(kind: str, choice: str | None) -> Any:
    return {"text": "TS-01", "integer": "2", "money": "9.90", "date": "2026-03-20", "boolean": True}.get(kind, choice)


def test_stock_out_message_in_english_and_chinese() -> None:
    template = exception_templates().get("stock_out")
    stored = template.validate({"seller_sku": " TS-RED-M ", "quantity_short": "2", "restock_date": "2026-03-20"})
    assert stored == {"seller_sku": "TS-RED-M", "quantity_short": 2, "restock_date": "2026-03-20"}
    assert template.render(stored, "en", CONTEXT).splitlines()[:2] == [
        "Hello, we are sorry: an item in order 576460752303423999 (TS-RED-M) is temporarily out of stock.",
        "We expect new stock on March 20, 2026 and will ship as soon as it arrives.",
    ]
    assert (
        template.render(stored, "zh-Hans", CONTEXT).splitlines()[1] == "预计 2026年3月20日 到货，到货后我们将尽快发货。"
    )


def test_a_line_naming_an_empty_optional_field_is_left_out() -> None:
    template = exception_templates().get("stock_out")
    stored = template.validate({"seller_sku": "TS-01", "quantity_short": 1})
    text = template.render(stored, "en", CONTEXT)
    assert "restock" not in text.lower()
    assert len(text.splitlines()) == 2


def test_typed_formatting_money_choice_boolean() -> None:
    template = Template.from_document(doc(), ROLES)
    stored = template.validate({"sku": "A1", "refund": "1234.5", "on": "2026-01-02", "shipped": "no"})
    assert stored["refund"] == "1234.5" and stored["shipped"] is False
    assert template.render(stored, "en", CONTEXT).splitlines()[1:] == [
        "Refund GBP 1,234.50 on January 2, 2026.",
        "Shipped: no.",
    ]
    assert template.render(stored, "zh-Hans", CONTEXT).splitlines()[1:] == [
        "2026年1月2日 退款 GBP 1,234.50。",
        "已发货：否。",
    ]
    cancellation = exception_templates().get("customer_cancellation")
    stored = cancellation.validate({"reason": "您改变了主意", "already_shipped": "yes"})  # a label picks its choice
    assert stored["reason"] == "changed_mind"
    assert "because you changed your mind" in cancellation.render(stored, "en", CONTEXT)


def test_field_values_are_checked_and_every_problem_is_named() -> None:
    template = Template.from_document(doc(), ROLES)
    with pytest.raises(FieldError) as caught:
        template.validate({"sku": "TOO-LONG-SKU", "qty": "0", "refund": 1.1, "on": "20/03/2026", "colour": "red"})
    assert caught.value.problems == {
        "colour": "is not a field of this template",
        "sku": "must be 8 characters or fewer",
        "qty": "must be at least 1",
        "refund": 'must be an amount written as text, e.g. "12.50"',
        "on": "must be a date (YYYY-MM-DD)",
    }
    with pytest.raises(FieldError) as caught:
        template.validate({"refund": "-1"})
    assert caught.value.problems == {
        "sku": "is required",
        "refund": "must be a positive amount with at most 2 decimals",
    }
    with pytest.raises(FieldError):
        template.validate({"sku": "A", "refund": "1.005"})


def test_partial_fields_wait_for_details_and_cannot_render_yet() -> None:
    template = Template.from_document(doc(), ROLES)
    stored = template.validate({}, partial=True)
    assert template.missing(stored) == ["sku"]
    with pytest.raises(FieldError):
        template.render(stored, "en", CONTEXT)


def test_substitution_is_plain_text_not_a_format_string() -> None:
    template = Template.from_document(doc(), ROLES)
    stored = template.validate({"sku": "{on}"})
    assert template.render(stored, "en", MessageContext("{__class__}")).splitlines()[0] == "Order {__class__}: {on}."
    stored = template.validate({"sku": "A\x00\x1b[31m"})
    assert stored["sku"] == "A[31m"


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"handler_role": "pilot"}, "not a role"),
        ({"message": {"en": ["{nope}"], "zh-Hans": ["x"]}}, "unknown fields ['nope']"),
        ({"message": {"en": ["{sku.__class__}"], "zh-Hans": ["x"]}}, "stray brace"),
        ({"fields": [{"name": "order_id", "type": "text", "label": {"en": "x", "zh-Hans": "x"}}]}, "reserved"),
    ],
)
def test_inconsistent_templates_are_refused(overrides: dict[str, Any], problem: str) -> None:
    with pytest.raises(TemplateError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        Template.from_document(doc(**overrides), ROLES)


def test_the_schema_refuses_a_choice_field_without_choices() -> None:
    bad = doc(fields=[{"name": "why", "type": "choice", "label": {"en": "Why", "zh-Hans": "原因"}}])
    with pytest.raises(jsonschema.ValidationError) as caught:
        jsonschema.validate(bad, load_json(SCHEMAS_DIR / "exception_template.schema.json"))
    assert list(caught.value.absolute_path) == ["fields", 0]


def test_dropdown_labels_find_their_template() -> None:
    catalog = exception_templates()
    assert "Stock-out" in catalog.dropdown_labels()
    assert catalog.by_label("Stock-out").key == "stock_out"
    assert catalog.by_label("缺货").key == "stock_out"
    with pytest.raises(KeyError):
        catalog.by_label("Lost parcel")
