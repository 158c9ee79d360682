"""Which value a sheet shows where the team's typed value and the platform's meet.

Both are kept: the platform's in the order's own columns (only ingest writes them), the team's in
`order_inputs` (only sheet edits write them), so no sync, webhook or import can erase what someone
typed. These two rules are the only place that picks between them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Shipping:
    carrier: str = ""
    tracking_number: str = ""


def shown_note(typed: str | None, platform: str | None) -> str:
    """The team's note; the platform's seller note (typed in Seller Center) only while the team has none."""
    return typed or platform or ""


def shown_shipping(typed: Shipping, platform: Shipping) -> Shipping:
    """What was typed until the platform confirms a shipment by reporting its tracking number; from then on
    the platform's values. Either side fills a field the other leaves blank."""
    first, second = (platform, typed) if platform.tracking_number else (typed, platform)
    return Shipping(first.carrier or second.carrier, first.tracking_number or second.tracking_number)
