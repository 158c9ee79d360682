"""The rules a decision typed into the after_sales tab must pass before anything is sent, the finance limit,
the scope check at connect time, and the rates report on a fixture counted by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from backend.domain.after_sales import (
    DETAIL_PREFIX,
    REAUTHORIZE,
    CaseFact,
    CaseView,
    Reason,
    SoldOrder,
    State,
    already_made,
    case_lines,
    deadline_message,
    missing_scope,
    needs_finance,
    outcome_text,
    parse_decision,
    rate_rows,
    reason_code,
    refunded,
    why_not,
)
from backend.domain.alerts import TIERS
from backend.domain.status import CaseStatus, CaseType, Decision, SellerStep
from backend.sandbox.discord import validation_errors

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def case(**overrides: object) -> CaseView:
    base = CaseView(
        case_id=1,
        external_id="5800001",
        kind="cancellation",
        type=CaseType.CANCEL,
        status=CaseStatus.REQUESTED,
        platform="TikTok Shop",
        shop_id=1,
        shop_name="Acme US",
        shop_time_zone="America/Los_Angeles",
        order_external_id="5700001",
        created_at=NOW - timedelta(hours=2),
        updated_at=NOW - timedelta(hours=2),
        currency="USD",
        refund=Decimal("42.00"),
        step=SellerStep.RESPOND,
        deadline=NOW + timedelta(hours=46),
        reasons=(Reason("seller_reject_apply_product_has_been_packed", "The product has been packed"),),
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def test_what_people_type_is_read_as_a_decision() -> None:
    assert parse_decision(" Approve ") is Decision.APPROVE
    assert parse_decision("reject") is Decision.REJECT
    assert parse_decision("yes please") is None


@pytest.mark.parametrize(
    ("overrides", "decision", "why"),
    [
        ({}, Decision.APPROVE, None),
        ({"step": None, "status": CaseStatus.COMPLETED}, Decision.APPROVE, "nothing to decide: the case is COMPLETED"),
        ({"deadline": NOW - timedelta(minutes=1)}, Decision.APPROVE, "too late"),
        ({"allowed": ("approve",), "read_only": "reject it in Seller Centre"}, Decision.REJECT, "cannot reject"),
        ({"allowed": ("approve",), "read_only": "reject it in Seller Centre"}, Decision.APPROVE, None),
        (
            {"decision": "approve", "decided_step": "RESPOND", "state": State.SENT},
            Decision.REJECT,
            "already decided: approve",
        ),
        ({"decision": "approve", "decided_step": "RESPOND", "state": State.REFUSED}, Decision.REJECT, None),
    ],
)
def test_a_decision_is_refused_for_a_case_that_cannot_take_it(
    overrides: dict[str, object], decision: Decision, why: str | None
) -> None:
    found = why_not(case(**overrides), decision, now=NOW)
    assert (found is None) if why is None else (found is not None and why in found)


def test_the_same_decision_again_is_answered_from_what_was_stored() -> None:
    sent = case(decision="approve", decided_step="RESPOND", state=State.SENT)
    assert already_made(sent, Decision.APPROVE) and not already_made(sent, Decision.REJECT)
    closed = replace(sent, step=None, status=CaseStatus.APPROVED)
    assert already_made(closed, Decision.APPROVE)
    # the return moved on to its parcel: "approve" now answers a new question
    moved = replace(sent, step=SellerStep.RECEIVE_PACKAGE, type=CaseType.RETURN_AND_REFUND)
    assert not already_made(moved, Decision.APPROVE) and moved.shown_decision == ""
    assert outcome_text(sent, NOW) == "approved on TikTok Shop by "


def test_a_reject_reason_is_one_of_the_platforms_by_text_or_code() -> None:
    assert reason_code(case(), "The product has been packed") == "seller_reject_apply_product_has_been_packed"
    assert reason_code(case(), "seller_reject_apply_product_has_been_packed") is not None
    assert reason_code(case(), "I do not feel like it") is None


def test_finance_approves_refunds_above_the_limit_in_their_currency_where_money_leaves() -> None:
    limits = {"USD": "40.00"}
    assert needs_finance(case(), Decision.APPROVE, limits) == Decimal("40.00")
    assert needs_finance(case(refund=Decimal("40.00")), Decision.APPROVE, limits) is None
    assert needs_finance(case(), Decision.REJECT, limits) is None
    assert needs_finance(case(currency="GBP"), Decision.APPROVE, limits) is None  # no limit set in GBP
    ret = case(type=CaseType.RETURN_AND_REFUND)
    assert needs_finance(ret, Decision.APPROVE, limits) is None  # letting the buyer send it back costs nothing yet
    assert needs_finance(replace(ret, step=SellerStep.RECEIVE_PACKAGE), Decision.APPROVE, limits) is not None


def test_a_grant_without_the_after_sales_permission_says_so_at_connect() -> None:
    scope = "seller.return_refund.basic"
    problem = missing_scope(scope, "TikTok Shop", ("seller.order.info",))
    assert problem is not None and problem.startswith(REAUTHORIZE)
    assert missing_scope(scope, "TikTok Shop", ("seller.order.info", scope)) is None
    assert missing_scope(scope, "TikTok Shop", ()) is None  # not told: the first call will say
    assert missing_scope("", "Shopee", ("x",)) is None


def test_only_granted_refunds_and_returns_count_as_refunded() -> None:
    assert refunded(CaseType.REFUND, CaseStatus.COMPLETED, "RETURN_OR_REFUND_REQUEST_COMPLETE")
    assert not refunded(CaseType.RETURN_AND_REFUND, CaseStatus.REQUESTED, "RETURN_OR_REFUND_REQUEST_PENDING")
    assert not refunded(CaseType.CANCEL, CaseStatus.COMPLETED, "CANCELLATION_REQUEST_COMPLETE")
    assert refunded(CaseType.REPLACEMENT, CaseStatus.APPROVED, "REPLACEMENT_REQUEST_REFUND_SUCCESS")
    assert not refunded(CaseType.REPLACEMENT, CaseStatus.COMPLETED, "REPLACEMENT_REQUEST_COMPLETE")


def test_units_are_grouped_per_sku_with_their_refunds() -> None:
    items = [{"seller_sku": "MUG", "refund": "5.00"}, {"seller_sku": "MUG", "refund": "5.00"}, {"sku_id": "9"}]
    lines = case_lines(items)
    assert [(x.seller_sku, x.quantity, x.refund) for x in lines] == [("MUG", 2, Decimal("10.00")), ("9", 1, None)]


def test_a_deadline_alert_fits_discord_and_names_no_buyer_data() -> None:
    body = deadline_message(case(buyer_words="call me on 555-0100"), TIERS[1], "https://docs.google.com/x")
    assert validation_errors(body) is None
    text = str(body)
    assert "555-0100" not in text and "42.00" not in text and "5800001" in text


def test_rates_per_month_sku_and_reason_counted_by_hand() -> None:
    orders = [
        SoldOrder("2026-01", frozenset({"MUG"})),
        SoldOrder("2026-01", frozenset({"MUG", "TEA"})),
        SoldOrder("2026-01", frozenset({"TEA"})),
        SoldOrder("2026-01", frozenset({"TEA"})),
        SoldOrder("2026-02", frozenset({"MUG"})),
        SoldOrder("2026-02", frozenset({"MUG"})),
    ]
    cases = [
        CaseFact("2026-01", True, "No longer needed", frozenset({"MUG"})),
        CaseFact("2026-01", False, "Wrong size", frozenset({"TEA"})),
        CaseFact("2026-01", False, "Wrong size", frozenset({"TEA"})),
        CaseFact("2026-02", False, "", frozenset({"MUG"})),
    ]
    rows = {r.key: r for r in rate_rows(orders, cases)}

    january = rows["2026-01"]
    assert (january.orders, january.cancellations, january.returns) == (4, 1, 2)
    assert (january.cancel_rate, january.return_rate) == (Decimal("0.2500"), Decimal("0.5000"))
    tea = rows[f"{DETAIL_PREFIX}SKU 2026-01 TEA"]  # three January orders hold TEA, two came back
    assert (tea.orders, tea.returns, tea.return_rate) == (3, 2, Decimal("0.6667"))
    size = rows[f"{DETAIL_PREFIX}reason 2026-01 Wrong size"]  # of all four January orders
    assert (size.returns, size.return_rate, size.orders) == (2, Decimal("0.5000"), None)
    assert rows[f"{DETAIL_PREFIX}reason 2026-02 (none given)"].return_rate == Decimal("0.5000")
    keys = list(rows)
    assert keys[:2] == ["2026-01", "2026-02"] and all(k.startswith(DETAIL_PREFIX) for k in keys[2:])
