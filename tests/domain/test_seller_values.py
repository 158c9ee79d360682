"""Which value a sheet shows where the team's typed value and the platform's meet."""

from __future__ import annotations

from backend.domain.seller_values import Shipping, shown_note, shown_shipping

TYPED = Shipping("USPS", "1Z999AA10123456784")


def test_the_teams_note_shows_and_the_platforms_only_while_the_team_has_none() -> None:
    assert shown_note("Call before delivery", "Gift: no invoice") == "Call before delivery"
    assert shown_note(None, "Gift: no invoice") == "Gift: no invoice"
    assert shown_note("", "Gift: no invoice") == "Gift: no invoice"  # a cleared note hands back to the platform's
    assert shown_note(None, None) == ""


def test_typed_shipping_shows_until_the_platform_reports_a_tracking_number() -> None:
    assert shown_shipping(TYPED, Shipping()) == TYPED
    assert shown_shipping(TYPED, Shipping("UPS", "")) == TYPED  # a carrier alone confirms nothing
    confirmed = Shipping("UPS", "UP123456789012")
    assert shown_shipping(TYPED, confirmed) == confirmed


def test_each_side_fills_what_the_other_leaves_blank() -> None:
    assert shown_shipping(Shipping("", "1Z999AA10123456784"), Shipping("UPS", "")) == Shipping(
        "UPS", "1Z999AA10123456784"
    )
    assert shown_shipping(Shipping("USPS", ""), Shipping("", "UP123456789012")) == Shipping("USPS", "UP123456789012")
    assert shown_shipping(Shipping(), Shipping()) == Shipping()
