"""The five order review flags, with their thresholds from schemas/review_flags.json."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from backend.catalog import SCHEMAS_DIR, validated
from backend.domain.review import ReviewOrder, ReviewRules, address_fingerprint, review_flags

T = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
RULES = ReviewRules.from_document(validated(SCHEMAS_DIR / "review_flags.json", "review_flags.schema.json"))
HOME = address_fingerprint("Jordan Buyer1", "555-0101", "1 Market Street", "10001")


def order(order_id: int, **overrides: Any) -> ReviewOrder:
    fields: dict[str, Any] = {
        "order_id": order_id,
        "external_id": f"57{order_id}",
        "status": "AWAITING_SHIPMENT",
        "created_at": T,
        "buyer": f"buyer-{order_id}",
        "address_key": address_fingerprint(f"Buyer {order_id}", "", f"{order_id} Elm Street", ""),
        "quantities": {"A": 1},
        "packages": frozenset({f"P{order_id}"}),
    }
    fields.update(overrides)
    return ReviewOrder(**fields)


def test_the_rules_are_data() -> None:
    assert RULES.duplicate_window == timedelta(hours=24)
    assert RULES.quantity_minimum == 5


def test_same_buyer_and_address_within_the_window_is_a_possible_duplicate_and_a_combine_candidate() -> None:
    first = order(1, buyer="u1", address_key=HOME)
    second = order(2, buyer="u1", address_key=HOME, created_at=T + timedelta(hours=3))
    later = order(3, buyer="u1", address_key=HOME, created_at=T + timedelta(days=3), status="DELIVERED")
    flags = review_flags([first, second, later, order(4)], RULES)
    assert flags[1] == ("possible duplicate", "combine with 1 other order")
    assert flags[2] == ("possible duplicate", "combine with 1 other order")
    assert flags[3] == ()  # shipped long after: neither a duplicate nor packable together
    assert flags[4] == ()


def test_orders_already_in_one_package_are_not_combine_candidates() -> None:
    both = frozenset({"P9"})
    flags = review_flags(
        [order(1, buyer="u1", address_key=HOME, packages=both), order(2, buyer="u1", address_key=HOME, packages=both)],
        RULES,
    )
    assert "combine with 1 other order" not in flags[1]


def test_a_quantity_far_above_the_skus_usual_is_flagged() -> None:
    usual = [order(i, quantities={"A": 1}) for i in range(1, 8)]
    flags = review_flags([*usual, order(20, quantities={"A": 12, "B": 2})], RULES)
    assert flags[20] == ("unusual quantity: 12 × A",)
    assert review_flags([order(30, quantities={"A": 5})], RULES)[30] == ()  # at the minimum: not unusual


def test_a_buyer_message_and_an_address_change_are_flagged() -> None:
    flags = review_flags([order(1, buyer_message="  please gift wrap "), order(2, address_changed=True)], RULES)
    assert flags[1] == ("buyer message",)
    assert flags[2] == ("address changed after payment",)
    assert review_flags([order(3, buyer_message="   ")], RULES)[3] == ()


def test_the_fingerprint_ignores_case_and_spacing_but_not_the_address() -> None:
    assert address_fingerprint("Jordan  buyer1", "555-0101", "1 market street", "10001") == HOME
    assert address_fingerprint("Jordan Buyer1", "555-0101", "2 Market Street", "10001") != HOME
    assert address_fingerprint(None, "", None) == ""
