"""Shopee returns through the adapter against the sandbox: synced as after-sales cases, accepted through
the API, and everything Shopee needs evidence for left to Seller Centre."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from backend.domain.status import CaseStatus, CaseType, Decision, SellerStep
from backend.errors import PlatformRejected
from backend.platforms.base import CaseRef
from backend.platforms.registry import channel
from tests.platforms.shopee.conftest import Connection

EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def requested(my: Connection) -> str:
    """A return the sandbox's buyer just opened (the seeded ones are old and closed)."""
    now = my.sandbox.now()
    ret = next(r for r in my.shop.returns.values() if r.status_at(now) != "REQUESTED")
    ret.create_time = now - 60
    ret.plan = [(now - 60, "REQUESTED"), (now + 86_400, "ACCEPTED"), (now + 3 * 86_400, "CLOSED")]
    return ret.return_sn


def test_returns_are_cases_with_their_deadline_and_items(my: Connection) -> None:
    return_sn = requested(my)
    cases = [c for page in my.shopee.iter_case_pages(updated_from=EPOCH) for c in page.cases]

    case = next(c for c in cases if c.case_id == return_sn)
    assert (case.platform, case.type, case.status, case.step) == (
        "shopee",
        CaseType.RETURN_AND_REFUND,
        CaseStatus.REQUESTED,
        SellerStep.RESPOND,
    )
    assert case.deadline is not None and case.deadline > datetime.now(UTC)
    assert case.refund_total is not None and case.items and case.items[0].seller_sku
    assert {c.status for c in cases if c.case_id != return_sn} <= {CaseStatus.APPROVED, CaseStatus.COMPLETED}


def test_accepting_goes_through_the_api_and_rejecting_stays_in_seller_centre(my: Connection) -> None:
    return_sn = requested(my)
    ref = CaseRef(return_sn, CaseType.RETURN_AND_REFUND, SellerStep.RESPOND)
    support = channel("shopee").after_sales
    assert support.allows(ref.type, ref.step, Decision.APPROVE)
    assert not support.allows(ref.type, ref.step, Decision.REJECT) and "Seller Centre" in support.why_read_only

    with pytest.raises(PlatformRejected, match="Seller Centre"):
        my.shopee.decide(ref, Decision.REJECT, reason="x", idempotency_key="k")
    my.shopee.decide(ref, Decision.APPROVE, idempotency_key="k")

    order_sn = next(r.order_sn for r in my.shop.returns.values() if r.return_sn == return_sn)
    [case] = my.shopee.get_cases([order_sn]).cases
    assert case.status is CaseStatus.APPROVED and case.step is None
