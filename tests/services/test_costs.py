"""SKU unit costs: CSV import with line-numbered errors, and a past-dated change re-prices exactly its orders."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.errors import InvalidInput
from backend.models import SheetBinding, SkuCost, Spreadsheet, Team
from backend.services.costs import import_costs, parse_costs_csv
from backend.services.ledger import ledger_entries
from tests.services.test_ledger import add_cost, make_order, make_shop

HEADER = "seller_sku,unit_cost,currency,effective_from\n"


def test_a_bad_file_imports_nothing_and_names_every_bad_line() -> None:
    text = (
        HEADER
        + "MUG,4.00,USD,2026-01-01\nLID,-1,USD,2026-01-01\n,2,USD,2026-01-01\n"
        + "MUG,4.5,usd,01/03/2026\nMUG,4.10,USD,2026-01-01\n"
    )

    with pytest.raises(InvalidInput) as caught:
        parse_costs_csv(text)

    message = caught.value.message
    assert message.startswith("no costs imported")
    assert "line 3: unit_cost '-1' must be a number ≥ 0" in message
    assert "line 4: seller_sku is required" in message
    assert "line 5: effective_from '01/03/2026' must be a date as YYYY-MM-DD" in message
    assert "line 6: MUG from 2026-01-01 repeats line 2" in message


def test_a_missing_column_is_named() -> None:
    with pytest.raises(InvalidInput, match=r"line 1: missing column.*effective_from"):
        parse_costs_csv("seller_sku,unit_cost,currency\nMUG,1,USD\n")


def test_a_past_dated_cost_reprices_exactly_the_orders_in_its_window(session: Session) -> None:
    shop = make_shop(session)
    add_cost(session, shop, "MUG", "4.00", date(2026, 1, 1))
    add_cost(session, shop, "MUG", "6.00", date(2026, 5, 1))
    orders = {
        "jan": make_order(session, shop, "C1", datetime(2026, 1, 20, 20, tzinfo=UTC), ["MUG"]),
        "mar": make_order(session, shop, "C2", datetime(2026, 3, 5, 20, tzinfo=UTC), ["MUG", "MUG"]),
        "apr_bundle": make_order(
            session,
            shop,
            "C3",
            datetime(2026, 4, 9, 20, tzinfo=UTC),
            ["SET"],
            bundle=[{"seller_sku": "MUG", "sku_id": "id-MUG", "count": 3}],
        ),
        "may": make_order(session, shop, "C4", datetime(2026, 5, 2, 20, tzinfo=UTC), ["MUG"]),
        "other_sku": make_order(session, shop, "C5", datetime(2026, 3, 5, 20, tzinfo=UTC), ["LID"]),
    }
    session.add(spreadsheet := Spreadsheet(team_id=shop.team_id, google_id="sheet-1", audience_role="finance"))
    session.flush()
    session.add(
        binding := SheetBinding(
            spreadsheet_id=spreadsheet.id,
            tab_title="Profit",
            profile_key="finance",
            created_by="fin@x.test",
            dirty=False,
        )
    )
    session.flush()
    before = ledger_entries(session, list(orders.values()))

    changes = import_costs(
        session,
        session.get_one(Team, shop.team_id),
        HEADER + "MUG,5.00,USD,2026-03-01\nMUG,6.00,USD,2026-05-01\n",
        actor="fin@x.test",
    )
    after = ledger_entries(session, list(orders.values()))

    changed = {name for name, o in orders.items() if before[o.id].net_profit != after[o.id].net_profit}
    assert changed == {"mar", "apr_bundle"}
    assert changes.affected_order_ids == sorted(orders[n].id for n in changed)
    assert (changes.created, changes.updated, changes.unchanged) == (1, 0, 1)
    assert after[orders["mar"].id].cogs == Decimal("10.00") and after[orders["apr_bundle"].id].cogs == Decimal("15.00")
    assert binding.dirty and changes.dirty_bindings == 1  # the finance sheet is re-pushed


def test_cli_imports_costs_for_a_team(runner: FlaskCliRunner, session: Session, tmp_path: Path) -> None:
    assert runner.invoke(args=["team", "create", "Acme Trading", "--admin", "founder@acme.test"]).exit_code == 0
    good = tmp_path / "costs.csv"
    good.write_text(HEADER + "MUG,4.00,USD,2026-01-01\nTEA,350,JPY,2026-02-01\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "MUG,four,USD,2026-01-01\n", encoding="utf-8")

    result = runner.invoke(args=["costs", "import", str(good), "--team", "Acme Trading"])
    assert result.exit_code == 0, result.output
    assert "2 new, 0 changed, 0 unchanged" in result.output
    failed = runner.invoke(args=["costs", "import", str(bad), "--team", "Acme Trading"])
    assert failed.exit_code != 0 and "line 2: unit_cost 'four'" in failed.output
    rows = session.execute(select(SkuCost.seller_sku, SkuCost.unit_cost, SkuCost.currency)).all()
    assert sorted(rows) == [("MUG", Decimal("4.00"), "USD"), ("TEA", Decimal("350"), "JPY")]
