"""Profiles: the built-ins suit their audiences, bad profiles are refused, projection filters and sorts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from backend.catalog import role_policy
from backend.domain.access import Sensitivity
from backend.domain.profiles import ProfileRejected, check_shown_to, day_totals, parse_profile, project
from backend.domain.views import Deadlines
from backend.services.bindings import builtin_profiles, catalogue, check_profile_document
from tests.factories import NOW, ledger, order_view, sku_line


def doc(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "key": "custom",
        "audience_role": "viewer",
        "grain": "order",
        "columns": ["order_id", "status"],
    }
    base.update(overrides)
    return base


def test_builtin_profiles_show_only_what_their_audience_may_see() -> None:
    profiles = builtin_profiles()
    assert {"sla_watch", "profit_ledger", "customer_service", "agency_view", "sku_costs"} <= set(profiles)
    assert profiles["sla_watch"].sensitivities <= {Sensitivity.OPERATIONAL, Sensitivity.PERSONAL}
    assert Sensitivity.SALES not in profiles["sla_watch"].sensitivities
    assert profiles["agency_view"].sensitivities == {Sensitivity.OPERATIONAL, Sensitivity.SALES}
    assert not {Sensitivity.SALES, Sensitivity.COST} & profiles["customer_service"].sensitivities
    ledger_columns = {c.key for c in profiles["profit_ledger"].columns}
    assert {"revenue", "fees_total", "cogs", "net_profit", "margin", "profit_basis"} <= ledger_columns


def test_a_profile_showing_more_than_its_audience_may_see_is_refused_naming_every_column() -> None:
    with pytest.raises(ProfileRejected) as caught:
        check_profile_document(doc(columns=["order_id", "net_profit", "recipient_phone", "total_amount"]))
    assert caught.value.problems == [
        "column 'net_profit' is cost data, which the viewer role may not see",
        "column 'recipient_phone' is personal data, which the viewer role may not see",
    ]


def test_unknown_columns_wrong_grain_and_bad_sort_are_refused() -> None:
    with pytest.raises(ProfileRejected) as caught:
        parse_profile(
            doc(columns=["order_id", "nope", "unit_cost"], sort=[{"column": "created_at"}]), catalogue(), role_policy()
        )
    assert caught.value.problems == [
        "unknown column 'nope'",
        "column 'unit_cost' has no value per order",
        "sort column 'created_at' is not in the profile",
    ]


def test_schema_errors_name_the_field() -> None:
    with pytest.raises(Exception, match="grain"):
        check_profile_document(doc(grain="week"))


def test_key_column_always_comes_first() -> None:
    profile = check_profile_document(doc(columns=["status"]))
    assert [c.key for c in profile.columns] == ["order_id", "status"]


def test_a_finance_profile_in_a_warehouse_spreadsheet_is_refused_in_a_sentence_a_seller_reads() -> None:
    with pytest.raises(ProfileRejected) as caught:
        check_shown_to(
            builtin_profiles()["profit_ledger"],
            "warehouse",
            role_policy(),
            who="This spreadsheet for Warehouse / 3PL",
            fix="choose a profile made for Warehouse / 3PL",
        )
    assert caught.value.message == (
        "This spreadsheet for Warehouse / 3PL cannot show sales figures or fees, costs and profit (Revenue, "
        "Fees total, COGS and 17 more), which only Admin or Finance may see: choose a profile made for "
        "Warehouse / 3PL."
    )
    assert "column 'net_profit' is cost data, which the warehouse role may not see" in caught.value.problems


def test_a_custom_profile_showing_too_much_says_which_columns_to_untick() -> None:
    with pytest.raises(ProfileRejected) as caught:
        check_profile_document(doc(columns=["order_id", "net_profit", "total_amount"]))
    assert caught.value.message == (
        "A profile for Agency client cannot show fees, costs and profit (Net profit), which only Admin or "
        "Finance may see: untick those columns."
    )


def test_sla_watch_lists_one_row_per_sku_soonest_deadline_first_and_skips_shipped_and_old_orders() -> None:
    profile = builtin_profiles()["sla_watch"]
    late = order_view(deadlines=Deadlines(rts_sla_at=NOW + timedelta(hours=40)), lines=(sku_line(seller_sku="A"),))
    soon = order_view(
        deadlines=Deadlines(rts_sla_at=NOW + timedelta(hours=2)),
        lines=(sku_line(seller_sku="B", quantity=3), sku_line(seller_sku="C")),
    )
    held = order_view(
        status="ON_HOLD", deadlines=Deadlines(rts_sla_at=NOW + timedelta(hours=10)), lines=(sku_line(seller_sku="D"),)
    )
    shipped = order_view(status="IN_TRANSIT")
    old = order_view(created_at=NOW - timedelta(days=45))
    rows = project(profile, [late, soon, held, shipped, old], now=NOW, sheet_zone="Asia/Bangkok")
    assert [r.key for r in rows] == [
        f"{soon.external_id}/B",
        f"{soon.external_id}/C",
        f"{held.external_id}/D",
        f"{late.external_id}/A",
    ]
    status = profile.index_of("pick_status")
    quantity = profile.index_of("quantity")
    assert rows[0].cells[quantity] == 3
    assert rows[2].cells[status] == "ON HOLD - do not pick"


def test_no_cell_of_the_agency_view_carries_cost_or_personal_values() -> None:
    view = order_view(
        recipient_name="Private Person", ledger=ledger(net_profit=Decimal("123.45"), cogs=Decimal("98.76"))
    )
    rows = project(builtin_profiles()["agency_view"], [view], now=NOW, sheet_zone="UTC")
    cells = {str(c) for c in rows[0].cells}
    assert "Private Person" not in cells and "123.45" not in cells and "98.76" not in cells
    assert "500.00" in cells


def test_day_totals_keep_currencies_apart() -> None:
    day = datetime(2026, 3, 1, 5, tzinfo=UTC)
    views = [
        order_view(created_at=day, currency="THB", ledger=ledger(revenue=Decimal("100.00"))),
        order_view(created_at=day, currency="THB", ledger=ledger(revenue=Decimal("50.00"), net_profit=None, cogs=None)),
        order_view(created_at=day, currency="USD", shop_time_zone="America/New_York", ledger=ledger(currency="USD")),
    ]
    totals = {(t.day.isoformat(), t.currency): t for t in day_totals(views)}
    assert set(totals) == {("2026-03-01", "THB"), ("2026-03-01", "USD")}
    thb = totals[("2026-03-01", "THB")]
    assert (thb.orders, thb.revenue, thb.net_profit, thb.missing_costs) == (2, Decimal("150.00"), Decimal("240.00"), 1)
