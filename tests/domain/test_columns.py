"""The column catalogue: classes, formats and values as a sheet will show them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backend.catalog import role_policy
from backend.domain.access import Sensitivity
from backend.domain.case_columns import case_columns
from backend.domain.columns import KEY_COLUMNS, ColumnType, Formula, Grain, Kind, Source, build_catalogue, serial
from backend.domain.sheet_plan import cell_data
from backend.domain.views import Deadlines
from tests.factories import order_view

CATALOGUE = build_catalogue(
    ("Stock out", "Address problem"), case_columns(frozenset({"admin", "support"}), frozenset({"admin", "finance"}))
)


def test_every_money_column_is_sales_cost_or_purchase_and_personal_fields_are_personal() -> None:
    for column in CATALOGUE.values():
        if column.type is ColumnType.MONEY:
            assert column.sensitivity in (Sensitivity.SALES, Sensitivity.COST, Sensitivity.PURCHASE), column.key
    # What was paid to suppliers and forwarders: procurement, finance and admin see it; procurement still
    # never sees fees, revenue, COGS or profit.
    policy = role_policy()
    assert policy.roles_seeing([Sensitivity.PURCHASE]) == ("admin", "finance", "procurement")
    assert not policy.may_see("procurement", Sensitivity.COST) and not policy.may_see("procurement", Sensitivity.SALES)
    for key in ("po_unit_price", "po_domestic_shipping", "po_landed_cost", "cons_freight", "cons_duties", "cons_fees"):
        assert CATALOGUE[key].sensitivity is Sensitivity.PURCHASE, key
    for key in ("recipient_name", "recipient_phone", "recipient_address", "postal_code"):
        assert CATALOGUE[key].sensitivity is Sensitivity.PERSONAL
    # What a buyer writes and notes on orders can name a person; notes on suppliers cannot.
    assert CATALOGUE["buyer_message"].sensitivity is Sensitivity.PERSONAL
    assert CATALOGUE["note"].sensitivity is Sensitivity.PERSONAL
    assert CATALOGUE["stock_supplier_note"].sensitivity is Sensitivity.OPERATIONAL


def test_each_grain_has_a_key_column_and_input_columns_name_their_roles() -> None:
    policy = role_policy()
    for grain, key in KEY_COLUMNS.items():
        assert CATALOGUE[key].kind is Kind.KEY and grain in CATALOGUE[key].grains
    for column in CATALOGUE.values():
        if column.is_input:
            assert column.editable_by and all(policy.is_role(r) for r in column.editable_by), column.key
    assert CATALOGUE["tracking_number"].editable_by == {"warehouse"}
    assert CATALOGUE["unit_cost"].editable_by == {"finance"}
    assert CATALOGUE["case_decision"].editable_by == {"admin", "support"}


def test_serial_counts_local_days_since_1899_12_30() -> None:
    assert serial(datetime(2026, 1, 1, tzinfo=UTC), "UTC") == 46023.0
    # 18:00 UTC is 01:00 the next day in Bangkok (UTC+7).
    assert serial(datetime(2026, 1, 1, 18, tzinfo=UTC), "Asia/Bangkok") == 46024 + 1 / 24


def test_countdown_is_a_formula_over_the_deadline_in_the_sheets_own_zone() -> None:
    deadline = datetime(2026, 1, 1, 12, tzinfo=UTC)
    view = order_view(deadlines=Deadlines(rts_sla_at=deadline))
    in_london = CATALOGUE["sla_countdown"].value(Source(view=view, sheet_zone="Europe/London"))
    in_bangkok = CATALOGUE["sla_countdown"].value(Source(view=view, sheet_zone="Asia/Bangkok"))
    assert isinstance(in_london, Formula) and isinstance(in_bangkok, Formula)
    assert in_london.text == f"={round(serial(deadline, 'Europe/London'), 6)}-NOW()"
    assert in_bangkok.text.endswith("-NOW()") and in_bangkok != in_london


def test_on_hold_orders_say_do_not_pick() -> None:
    view = order_view(status="ON_HOLD")
    assert CATALOGUE["pick_status"].value(Source(view=view)) == "ON HOLD - do not pick"
    assert CATALOGUE["pick_status"].value(Source(view=order_view())) == "AWAITING_SHIPMENT"


def test_ship_by_falls_back_from_rts_sla_to_shipping_due() -> None:
    due = datetime(2026, 1, 3, tzinfo=UTC)
    view = order_view(deadlines=Deadlines(shipping_due_at=due, tts_sla_at=due + timedelta(days=2)))
    assert CATALOGUE["ship_by"].value(Source(view=view)) == due


def test_buyer_text_is_a_string_value_even_when_it_looks_like_a_formula() -> None:
    view = order_view(buyer_message='=IMPORTXML("http://x","//a")')
    value = CATALOGUE["buyer_message"].value(Source(view=view))
    assert isinstance(value, str)
    assert cell_data(value) == {"userEnteredValue": {"stringValue": '=IMPORTXML("http://x","//a")'}}


def test_exception_column_offers_the_template_labels_as_a_dropdown() -> None:
    column = CATALOGUE["exception"]
    assert column.type is ColumnType.ENUM and column.is_input
    assert column.enum_values == ("Stock out", "Address problem")
    assert Grain.ORDER in column.grains
