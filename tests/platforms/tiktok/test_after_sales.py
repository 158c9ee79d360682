"""TikTok's Return & Refund API through the real client against the sandbox: requests move through their
statuses on the sandbox clock, TikTok approves what nobody answered, refuses what a status does not
allow, and acts once per idempotency key."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial

import pytest

from backend.domain.status import CaseStatus, CaseType, Decision, SellerStep
from backend.errors import CaseRefused, ScopeDenied
from backend.platforms.base import CaseRef, PlatformCase
from backend.sandbox.tiktok.world import DAY, HOUR
from backend.sandbox.tiktok_shop import TikTokShopSandbox
from tests.platforms.conftest import Connection

EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def order_in(sandbox: TikTokShopSandbox, shop_id: str, *statuses: str) -> str:
    now = sandbox.now()
    return next(o.order_id for o in sandbox.shops[shop_id].orders.values() if o.status_at(now) in statuses)


def case_of(connection: Connection, case_id: str) -> PlatformCase:
    page = connection.client.get_cases(connection.shop.shop_ref, [order_for(connection, case_id)])
    return next(c for c in page.cases if c.case_id == case_id)


def order_for(connection: Connection, case_id: str) -> str:
    return connection.sandbox.shops[connection.shop.shop_id].cases[case_id].order_id


def order_status(connection: Connection, order_id: str) -> str:
    return connection.client.get_orders(connection.shop.shop_ref, [order_id]).orders[0].status


def ref(case: PlatformCase) -> CaseRef:
    assert case.step is not None
    return CaseRef(case.case_id, case.type, case.step)


def test_a_cancel_request_carries_its_deadline_and_approving_it_cancels_the_order_once(us: Connection) -> None:
    order_id = order_in(us.sandbox, us.shop.shop_id, "AWAITING_SHIPMENT")
    request = us.sandbox.request_cancellation(us.shop.shop_id, order_id, reason="No longer needed", text="sorry!")

    found = [c for p in us.client.iter_case_pages(us.shop.shop_ref, updated_from=EPOCH) for c in p.cases]
    case = next(c for c in found if c.case_id == request.case_id)
    assert (case.type, case.status, case.step) == (CaseType.CANCEL, CaseStatus.REQUESTED, SellerStep.RESPOND)
    assert case.deadline == datetime.fromtimestamp(request.create_time + 2 * DAY, UTC)
    assert (case.reason, case.buyer_words, case.order_id) == ("No longer needed", "sorry!", order_id)
    assert case.refund_total is not None and case.refund_total > 0 and case.items

    us.client.decide(us.shop.shop_ref, ref(case), Decision.APPROVE, idempotency_key="od-1")
    us.client.decide(us.shop.shop_ref, ref(case), Decision.APPROVE, idempotency_key="od-1")  # a retry: acts once

    assert us.sandbox.counters.replayed_writes == 1
    assert case_of(us, case.case_id).status is CaseStatus.APPROVED
    assert order_status(us, order_id) == "CANCELLED"
    with pytest.raises(CaseRefused, match="cannot approve"):  # a new decision on a decided case
        us.client.decide(us.shop.shop_ref, ref(case), Decision.APPROVE, idempotency_key="od-2")
    us.sandbox.advance(HOUR + 1)
    assert case_of(us, case.case_id).status is CaseStatus.COMPLETED


def test_rejecting_needs_one_of_tiktoks_reasons_and_the_order_goes_on(us: Connection) -> None:
    order_id = order_in(us.sandbox, us.shop.shop_id, "AWAITING_SHIPMENT")
    case = case_of(us, us.sandbox.request_cancellation(us.shop.shop_id, order_id).case_id)

    reasons = us.client.reject_reasons(us.shop.shop_ref, case.case_id)
    assert "seller_reject_apply_product_has_been_packed" in [r.code for r in reasons]
    with pytest.raises(CaseRefused, match="reject reason is invalid"):
        us.client.decide(us.shop.shop_ref, ref(case), Decision.REJECT, reason="because", idempotency_key="k1")
    us.client.decide(us.shop.shop_ref, ref(case), Decision.REJECT, reason=reasons[0].code, idempotency_key="k2")

    assert case_of(us, case.case_id).status is CaseStatus.CANCELLED
    us.sandbox.advance(3 * DAY)  # past the deadline: nothing is auto-approved any more
    assert order_status(us, order_id) != "CANCELLED"


def test_tiktok_approves_a_request_nobody_answered_at_its_deadline(us: Connection) -> None:
    order_id = order_in(us.sandbox, us.shop.shop_id, "AWAITING_SHIPMENT")
    case_id = us.sandbox.request_cancellation(us.shop.shop_id, order_id).case_id

    us.sandbox.advance(2 * DAY - 60)
    assert case_of(us, case_id).status is CaseStatus.REQUESTED
    us.sandbox.advance(61)
    assert case_of(us, case_id).status is CaseStatus.APPROVED
    assert order_status(us, order_id) == "CANCELLED"


def test_a_return_is_approved_shipped_back_received_and_refunded(us: Connection) -> None:
    order_id = order_in(us.sandbox, us.shop.shop_id, "DELIVERED", "COMPLETED")
    case_id = us.sandbox.request_return(us.shop.shop_id, order_id, return_type="RETURN_AND_REFUND").case_id
    case = case_of(us, case_id)
    assert (case.type, case.status, case.step) == (CaseType.RETURN_AND_REFUND, CaseStatus.REQUESTED, SellerStep.RESPOND)

    us.client.decide(us.shop.shop_ref, ref(case), Decision.APPROVE, idempotency_key="a1")
    assert case_of(us, case_id).status is CaseStatus.AWAITING_BUYER_SHIPMENT
    us.sandbox.ship_return(us.shop.shop_id, case_id)
    shipped = case_of(us, case_id)
    assert (shipped.status, shipped.step) == (CaseStatus.BUYER_SHIPPED, SellerStep.RECEIVE_PACKAGE)
    assert shipped.return_tracking.startswith("RT")
    assert shipped.deadline is not None and shipped.deadline - datetime.now(UTC) > timedelta(days=2.9)

    us.client.decide(us.shop.shop_ref, ref(shipped), Decision.APPROVE, idempotency_key="a2")
    assert case_of(us, case_id).status is CaseStatus.APPROVED
    us.sandbox.advance(HOUR + 1)
    refunded = case_of(us, case_id)
    assert refunded.status is CaseStatus.COMPLETED and refunded.refund_total == case.refund_total
    records = us.client.case_records(us.shop.shop_ref, ref(case))
    assert [r.event for r in records][-1] == "RETURN_OR_REFUND_REQUEST_COMPLETE"


def test_a_returned_parcel_is_rejected_with_a_parcel_reason(us: Connection) -> None:
    order_id = order_in(us.sandbox, us.shop.shop_id, "DELIVERED", "COMPLETED")
    case_id = us.sandbox.request_return(us.shop.shop_id, order_id).case_id
    us.client.decide(us.shop.shop_ref, ref(case_of(us, case_id)), Decision.APPROVE, idempotency_key="b1")
    us.sandbox.ship_return(us.shop.shop_id, case_id)
    shipped = case_of(us, case_id)

    reasons = [r.code for r in us.client.reject_reasons(us.shop.shop_ref, case_id)]
    assert reasons and all(code.startswith("reverse_reject_return_parcel") for code in reasons)
    us.client.decide(us.shop.shop_ref, ref(shipped), Decision.REJECT, reason=reasons[0], idempotency_key="b2")
    assert case_of(us, case_id).status is CaseStatus.PACKAGE_REJECTED


def test_a_status_that_does_not_allow_a_decision_is_refused(us: Connection) -> None:
    order_id = order_in(us.sandbox, us.shop.shop_id, "DELIVERED", "COMPLETED")
    case = case_of(us, us.sandbox.request_return(us.shop.shop_id, order_id, return_type="REFUND").case_id)
    us.client.decide(us.shop.shop_ref, ref(case), Decision.APPROVE, idempotency_key="c1")

    wrong_step = CaseRef(case.case_id, case.type, SellerStep.RESPOND)
    with pytest.raises(CaseRefused, match="cannot reject application"):
        us.client.decide(us.shop.shop_ref, wrong_step, Decision.REJECT, reason="x", idempotency_key="c2")
    mismatched = CaseRef(case.case_id, CaseType.RETURN_AND_REFUND, SellerStep.RESPOND)
    with pytest.raises(CaseRefused, match="not match"):
        us.client.decide(us.shop.shop_ref, mismatched, Decision.APPROVE, idempotency_key="c3")


def test_the_seller_cancels_a_line_refund_is_calculated_and_eligibility_is_told(us: Connection) -> None:
    shop = us.sandbox.shops[us.shop.shop_id]
    now = us.sandbox.now()
    order = next(o for o in shop.orders.values() if o.status_at(now) == "AWAITING_SHIPMENT" and len(o.lines) > 1)
    line = order.lines[0].line_id

    estimate = us.client.refund_estimate(
        us.shop.shop_ref, order.order_id, request_type=CaseType.CANCEL, line_ids=[line]
    )
    assert estimate.total > Decimal(0) and estimate.shipping == Decimal(0)
    case = us.client.cancel_order(
        us.shop.shop_ref, order.order_id, reason="Out of stock", line_ids=[line], idempotency_key="s1"
    )
    assert case is not None and case.initiator == "SELLER" and [i.line_id for i in case.items] == [line]
    assert case.refund_total == estimate.total
    cancelled = us.client.get_orders(us.shop.shop_ref, [order.order_id]).orders[0]
    assert cancelled.status == "AWAITING_SHIPMENT"
    assert [item.display_status for item in cancelled.line_items if item.line_id == line] == ["CANCELLED"]
    blocked = [e for e in us.client.eligibility(us.shop.shop_ref, order.order_id) if line in e.line_ids]
    assert blocked and not any(e.eligible for e in blocked)


def test_a_shop_authorized_without_return_and_refund_is_refused_that_api_alone(
    sandbox: TikTokShopSandbox, connect: Callable[[list[str]], Connection], monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = sandbox.add_shop("Old app US", "US", orders=20)
    without = partial(sandbox.issue_auth_code, scopes=("seller.authorization.info", "seller.order.info"))
    monkeypatch.setattr(sandbox, "issue_auth_code", without)
    connection = connect([shop.shop_id])

    assert len(connection.client.get_orders(connection.shop.shop_ref, list(shop.orders)[:3]).orders) == 3
    with pytest.raises(ScopeDenied):
        list(connection.client.iter_case_pages(connection.shop.shop_ref, updated_from=EPOCH))
