"""Fee lines into pools by data, and order-time estimates shaped like settlements."""

from __future__ import annotations

from decimal import Decimal

from backend.catalog import SCHEMAS_DIR, validated
from backend.domain.fees import FeePoolMap, FeeRate, OrderAmounts, estimate_lines, merged_rates, pool_sums
from backend.domain.profit import POOLS
from backend.platforms.base import FeeCategory

POOLS_MAP = FeePoolMap.from_document(validated(SCHEMAS_DIR / "fee_pools.json", "fee_pools.schema.json"))


def test_the_issues_pools_come_from_the_fee_table() -> None:
    pool = POOLS_MAP.pool
    assert pool("platform_commission_amount", FeeCategory.FEE) == "platform"
    assert pool("referral_fee_amount", FeeCategory.FEE) == "platform"
    assert pool("credit_card_handling_fee_amount", FeeCategory.FEE) == "payment"
    assert pool("affiliate_ads_commission_amount", FeeCategory.FEE) == "marketing"
    assert pool("campaign_resource_fee", FeeCategory.FEE) == "marketing"
    assert pool("actual_shipping_fee_amount", FeeCategory.SHIPPING) == "logistics"
    assert pool("shipping_fee_discount_amount", FeeCategory.SHIPPING) == "revenue"  # TikTok pays it: income
    assert pool("sst_amount", FeeCategory.TAX) == "tax"
    assert pool("subtotal_before_discount_amount", FeeCategory.REVENUE) == "revenue"


def test_an_unknown_fee_lands_in_other_and_market_overrides_apply() -> None:
    assert POOLS_MAP.pool("brand_new_fee_2027_amount", FeeCategory.FEE) == "other"
    assert POOLS_MAP.pool("SOME_NEW_ADJUSTMENT", FeeCategory.ADJUSTMENT) == "other"
    assert POOLS_MAP.pool("SHIPPING_FEE_ADJUSTMENT", FeeCategory.ADJUSTMENT) == "logistics"
    assert POOLS_MAP.pool("dt_handling_fee_amount", FeeCategory.FEE, "ID") == "payment"
    assert POOLS_MAP.pool("dt_handling_fee_amount", FeeCategory.FEE, "US") == "platform"


def test_estimate_follows_the_rates_and_taxes_fees_last() -> None:
    amounts = OrderAmounts(
        "MYR", gross=Decimal("100.00"), seller_discount=Decimal("10.00"), buyer_shipping=Decimal("4.90")
    )
    rates = merged_rates(
        [FeeRate("platform_commission_amount", "revenue", Decimal("0.05"))],
        [FeeRate("sst_amount", "fees", Decimal("0.06"))],
        [FeeRate("platform_commission_amount", "revenue", Decimal("0.06"), Decimal("0.50"))],  # shop over market
    )
    lines = {line.kind: line for line in estimate_lines(amounts, rates, POOLS_MAP, "MY")}

    assert lines["platform_commission_amount"].amount == Decimal("5.90")  # 6 % of 90 + 0.50
    assert lines["sst_amount"].amount == Decimal("0.35")  # 6 % of 5.90, half-even
    assert lines["sst_amount"].category == FeeCategory.TAX
    revenue, pools = pool_sums(lines.values())
    assert revenue == Decimal("94.90")  # items less the seller's discount, plus the shipping the buyer paid
    assert set(pools) == set(POOLS)
    assert pools["logistics"] == Decimal("0.00")  # income is never a negative fee
    assert pools["platform"] == Decimal("5.90") and pools["tax"] == Decimal("0.35")


def test_a_zero_rate_books_no_line() -> None:
    amounts = OrderAmounts("JPY", gross=Decimal("1000"), seller_discount=Decimal(0), buyer_shipping=Decimal(0))
    lines = estimate_lines(amounts, [FeeRate("platform_commission_amount", "revenue")], POOLS_MAP, "JP")
    assert [line.kind for line in lines] == ["subtotal_before_discount_amount"]
