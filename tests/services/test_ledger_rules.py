"""The README's ledger rules on a hand-computed fixture: what is revenue, refunds, cancellations, one sign for
fees, costs in another currency at the paid date's rate, and the summaries that follow the same rules.

Every expected figure below was worked out by hand from the fixture (the arithmetic is in the comments),
not read back from the code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from backend.domain import reports
from backend.domain.profiles import project
from backend.domain.profit import LedgerEntry
from backend.models import FeeLine, FxRate, Order, Shop, Team
from backend.services import bindings
from backend.services.ledger import ledger_entries, report_orders
from backend.services.report_tabs import report_rows
from tests import factories

D = Decimal
FRI, MON = date(2026, 3, 6), date(2026, 3, 9)
SATURDAY = datetime(2026, 3, 7, 18, tzinfo=UTC)  # 10:00 in Los Angeles, 18:00 in London: Saturday in both


def at(day: date) -> datetime:
    return datetime.combine(day, SATURDAY.timetz())


def rate(session: Session, team: Team, day: date, pair: str, value: str) -> None:
    base, quote = pair.split("→")
    session.add(FxRate(team_id=team.id, day=day, base=base, quote=quote, rate=D(value), source="test"))
    session.flush()


def settle(session: Session, order: Order, *lines: tuple[str, str, str, str]) -> None:
    """Settled lines as stored: (kind, category, pool, amount), amounts in PlatformFeeLine's sign."""
    session.add_all(
        FeeLine(order_id=order.id, kind=kind, category=category, pool=pool, amount=D(amount), currency=order.currency,
                basis="settled", statement_id="S1", settled_at=SATURDAY + timedelta(days=10))
        for kind, category, pool, amount in lines
    )  # fmt: skip
    session.flush()


@dataclass
class Books:
    team: Team
    us: Shop
    uk: Shop
    orders: dict[str, Order]

    def entries(self, session: Session) -> dict[str, LedgerEntry]:
        found = ledger_entries(session, list(self.orders.values()))
        return {name: found[order.id] for name, order in self.orders.items()}


@pytest.fixture
def books(session: Session) -> Books:
    """A team reporting in USD, a US shop (USD) and a UK shop (GBP), mugs costed in USD and tea in CNY.

    US estimates: referral 6 % (platform) and transaction 2.9 % (payment) of revenue: 1.80 and 0.87 on 30.00.
    UK estimates: commission 9 % + 0.50 (platform) and transaction 2.9 % (payment): 2.75 and 0.72 on 25.00.
    """
    team = factories.team(session, reporting_currency="USD")
    us = factories.shop(session, team, region="US", currency="USD", time_zone="America/Los_Angeles")
    uk = factories.shop(session, team, region="GB", currency="GBP", time_zone="Europe/London")
    factories.sku_cost(session, team, "MUG", D("4.00"), currency="USD")
    factories.sku_cost(session, team, "TEA", D("20.00"), currency="CNY")
    rate(session, team, FRI, "CNY→USD", "0.1390")  # typed by finance: beats the cross through EUR of the same day
    rate(session, team, MON, "CNY→USD", "0.1400")
    for pair, value in (("EUR→USD", "1.0850"), ("EUR→GBP", "0.84310"), ("EUR→CNY", "7.8125")):
        rate(session, team, FRI, pair, value)  # as the ECB publishes them

    def order(
        shop: Shop, skus: tuple[str, ...], paid: datetime | None, status: str = "COMPLETED", price: str = "30.00"
    ) -> Order:
        created = (paid or SATURDAY) - timedelta(minutes=10)
        lines = [(sku, 1, D(price)) for sku in skus]
        return factories.order(session, shop, skus=lines, status=status, platform_create_time=created, paid_at=paid)

    orders = {
        "unpaid": order(us, ("MUG",), None, "UNPAID"),
        "cancelled_unpaid": order(us, ("MUG",), None, "CANCELLED"),
        "cancelled_paid": order(us, ("MUG",), SATURDAY, "CANCELLED"),
        "partly_cancelled": order(us, ("MUG", "TEA"), SATURDAY),
        "tea": order(us, ("TEA",), SATURDAY),
        "settled": order(us, ("MUG",), SATURDAY),
        "refunded": order(us, ("MUG",), SATURDAY),
        "tea_no_rate": order(us, ("TEA",), at(date(2026, 3, 4))),
        "uk": order(uk, ("MUG",), SATURDAY, price="25.00"),
        "uk_no_rate": order(uk, ("MUG",), at(date(2026, 3, 2)), price="25.00"),
    }
    tea_line = next(line for line in orders["partly_cancelled"].lines if line.seller_sku == "TEA")
    tea_line.display_status = "CANCELLED"
    settle(
        session,
        orders["settled"],
        ("subtotal_before_discount_amount", "revenue", "revenue", "30.00"),
        ("customer_paid_shipping_fee_amount", "shipping", "revenue", "-4.99"),  # the buyer paid 4.99 for shipping
        ("actual_shipping_fee_amount", "shipping", "logistics", "5.20"),
        ("referral_fee_amount", "fee", "platform", "1.80"),
        ("transaction_fee_amount", "fee", "payment", "0.87"),
    )
    settle(
        session,
        orders["refunded"],
        ("subtotal_before_discount_amount", "revenue", "revenue", "30.00"),
        ("referral_fee_amount", "fee", "platform", "1.80"),
        ("refund_subtotal_before_discount_amount", "revenue", "revenue", "-30.00"),
        ("referral_fee_refund_amount", "fee", "platform", "-1.80"),  # TikTok gives the commission back
        ("refund_administration_fee_amount", "fee", "platform", "0.36"),
    )
    return Books(team, us, uk, orders)


def test_unpaid_and_cancelled_orders_are_not_revenue(session: Session, books: Books) -> None:
    entries = books.entries(session)

    for name, basis in (("unpaid", "unpaid"), ("cancelled_unpaid", "unpaid"), ("cancelled_paid", "cancelled")):
        entry = entries[name]
        assert (entry.basis, entry.counts) == (basis, False)
        assert (entry.revenue, entry.fees_total, entry.cogs, entry.net_profit) == (D(0), D(0), D(0), D(0))
        assert entry.missing_cost_skus == () and entry.margin is None


def test_the_cancelled_part_of_an_order_earns_nothing_and_costs_no_goods(session: Session, books: Books) -> None:
    entry = books.entries(session)["partly_cancelled"]

    # 60.00 listed, the 30.00 tea line cancelled: revenue 30.00; fees 1.80 + 0.87; the mug's 4.00 only
    assert entry.basis == "estimated" and entry.revenue == D("30.00")
    assert entry.pools["platform"] == D("1.80") and entry.pools["payment"] == D("0.87")
    assert entry.cogs == D("4.00") and entry.net_profit == D("23.33") and entry.rates == ()


def test_a_cny_unit_cost_on_a_usd_order_converts_at_the_paid_dates_rate(session: Session, books: Books) -> None:
    entries = books.entries(session)
    tea = entries["tea"]

    # paid on Saturday: Friday's typed 0.1390 (not Monday's 0.1400): 20.00 CNY = 2.78 USD; 30 - 2.67 - 2.78
    assert tea.cogs == D("2.78") and tea.net_profit == D("24.55") and tea.missing_rates == ()
    assert tea.rates_label == "CNY→USD 0.139 on 2026-03-06"
    monday = factories.order(session, books.us, skus=[("TEA", 1, D("30.00"))], status="COMPLETED",
                             platform_create_time=at(MON), paid_at=at(MON))  # fmt: skip
    assert ledger_entries(session, [monday])[monday.id].cogs == D("2.80")  # 20.00 x 0.1400
    no_rate = entries["tea_no_rate"]  # paid 4 March: no CNY rate on or before it, not even through EUR
    assert no_rate.missing_rates == ("CNY→USD",) and no_rate.cogs is None and no_rate.net_profit is None
    assert no_rate.revenue == D("30.00")  # the sale still counts; only its cost is unknown


def test_settled_orders_follow_the_statement_and_fees_keep_one_sign(session: Session, books: Books) -> None:
    entries = books.entries(session)
    settled, refunded = entries["settled"], entries["refunded"]

    # revenue: items 30.00 + the buyer's shipping 4.99; logistics: the carrier's 5.20, never net of income
    assert settled.basis == "settled" and settled.revenue == D("34.99")
    assert settled.pools["logistics"] == D("5.20") and settled.fees_total == D("7.87")
    assert settled.net_profit == D("23.12") and settled.settlement_amount == D("27.12")
    assert settled.estimated_net_profit == D("23.33")  # the estimate kept beside it: 30 - 2.67 - 4.00
    # refunded in full: revenue 30 - 30; the commission given back (-1.80) against 1.80; the 0.36 admin fee
    # stays; the mug's cost stays too (nothing says it came back)
    assert refunded.revenue == D("0.00") and refunded.pools["platform"] == D("0.36")
    assert refunded.cogs == D("4.00") and refunded.net_profit == D("-4.36") and refunded.margin is None
    assert all(amount >= 0 for entry in entries.values() for amount in entry.pools.values())


def test_the_reporting_currency_converts_each_order_at_its_own_rate(session: Session, books: Books) -> None:
    entries = books.entries(session)
    uk, lost = entries["uk"], entries["uk_no_rate"]

    # GBP order, USD mug: USD→GBP = 0.84310 / 1.0850 = 0.7770506912 (via EUR): 4.00 → 3.11 GBP
    assert uk.cogs == D("3.11") and uk.net_profit == D("18.42")  # 25.00 - 2.75 - 0.72 - 3.11
    # in USD at GBP→USD 1.0850 / 0.84310 = 1.286917329: 32.17 - 3.54 - 0.93 - 4.00 (each rounded once)
    assert uk.reported is not None and uk.reporting_currency == "USD"
    assert (uk.reported.revenue, uk.reported.fees_total, uk.reported.cogs) == (D("32.17"), D("4.47"), D("4.00"))
    assert uk.reported.net_profit == D("23.70")
    assert uk.rates_label == (
        "USD→GBP 0.7770506912 on 2026-03-06 (via EUR); GBP→USD 1.286917329 on 2026-03-06 (via EUR)"
    )
    assert lost.missing_rates == ("GBP→USD", "USD→GBP") and lost.reported is None and lost.net_profit is None
    us = entries["settled"]
    assert us.reported is not None and us.reported.net_profit == us.net_profit and us.rates == ()


def test_the_summary_tabs_follow_the_same_rules(session: Session, books: Books) -> None:
    inputs = report_orders(session, list(books.orders.values()))
    months = {(r.key, r.currency): r for r in reports.by_month(inputs)}

    # counted US orders: partly cancelled, tea, settled, refunded, tea without a rate (5; not the 3 unpaid/cancelled)
    usd = months[("2026-03", "USD")]
    assert usd.orders == 5 and usd.revenue == D("124.99")  # 30 + 30 + 34.99 + 0 + 30
    assert usd.pools["platform"] == D("7.56") and usd.pools["payment"] == D("3.48")  # 1.80x4 + 0.36; 0.87x4
    assert usd.pools["logistics"] == D("5.20") and usd.fees_total == D("16.24")
    assert usd.cogs == D("14.78") and usd.net_profit == D("66.64")  # 4 + 2.78 + 4 + 4; 23.33 + 24.55 + 23.12 - 4.36
    assert usd.missing_cost_orders == 1 and usd.margin == D("0.7015")  # 66.64 / 94.99
    assert (usd.reporting_revenue, usd.reporting_net_profit, usd.missing_rate_orders) == (D("124.99"), D("66.64"), 0)
    gbp = months[("2026-03", "GBP")]
    assert (gbp.orders, gbp.revenue, gbp.net_profit, gbp.missing_cost_orders) == (2, D("50.00"), D("18.42"), 1)
    assert (gbp.reporting_revenue, gbp.reporting_net_profit, gbp.missing_rate_orders) == (D("32.17"), D("23.70"), 1)
    everything = months[("TOTAL ALL", "USD")]  # every currency in USD; the GBP order without a rate left out
    assert (everything.orders, everything.revenue, everything.net_profit) == (6, D("157.16"), D("90.34"))
    assert (everything.missing_cost_orders, everything.missing_rate_orders) == (1, 1)
    assert list(months)[-3:] == [("TOTAL", "GBP"), ("TOTAL", "USD"), ("TOTAL ALL", "USD")]
    skus = {(r.key, r.currency): r for r in reports.by_sku(inputs)}
    assert skus[("MUG", "USD")].orders == 3 and skus[("TEA", "USD")].orders == 2  # the cancelled tea line is no sale
    shops = {r.key for r in reports.by_shop(inputs)}
    assert len(shops) == 4 and reports.ALL in shops  # two shops, TOTAL (per currency), TOTAL ALL


def test_the_month_tab_shows_those_rows(session: Session, books: Books) -> None:
    profile = bindings.profile_for(session, books.team.id, "profit_by_month")
    rows = project(profile, (), now=SATURDAY + timedelta(days=1), sheet_zone="UTC",
                   reports=report_rows(session, books.team.id, profile, [], SATURDAY + timedelta(days=1)))  # fmt: skip
    shown = {row.key: dict(zip(profile.headers, row.cells, strict=True)) for row in rows}

    assert list(shown) == ["2026-03 GBP", "2026-03 USD", "TOTAL GBP", "TOTAL USD", "TOTAL ALL USD"]
    assert shown["TOTAL ALL USD"]["Net profit (reporting)"] == D("90.34")
    assert shown["2026-03 GBP"]["Orders missing a rate"] == 1
