"""Handing packages over, as the pack list shows it (pure): the handover choices a dropdown offers, waves of
packages marked ready together, and what a row says when a package did not ship.

A wave is the packages marked in one pass of the pack list (one edit of the sheet). The platform ships a
batch with one handover, so a pass that mixes shops, delivery options or handovers becomes one wave per
(shop, delivery option, handover), each in the order its rows were marked.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from backend.domain.phrases import Phrase
from backend.platforms.fulfilment import Handover, HandoverChoices, HandoverMethod, PickupSlot, ShipProblem

DROP_OFF = "Drop-off"
T = TypeVar("T")
SlotLabel = Callable[[PickupSlot, str], str]  # a pickup slot as the dropdown says it, on a zone's clock

# What happened, and what to do, per problem; the platform's own words follow in the row's note.
ADVICE: Mapping[ShipProblem, str] = {
    ShipProblem.ALREADY_SHIPPED: "Already shipped: nothing was sent again.",
    ShipProblem.SLOT_EXPIRED: "That pickup slot has passed: pick a later slot or Drop-off.",
    ShipProblem.SLOT_MISSING: "Pickup needs a slot: pick one from the list.",
    ShipProblem.ADDRESS: "The carrier cannot use the buyer's address: ask the buyer to correct it, then mark it again.",
    ShipProblem.LABEL: "The platform could not create the label: mark it again in a few minutes.",
    ShipProblem.ON_HOLD: "The order is in its buyer-cancellation hour: wait for it to end, then mark it again.",
    ShipProblem.CANCELLED: "The order was cancelled: do not ship it.",
    ShipProblem.AFTER_SALE: "The buyer asked to cancel or return: answer the request first.",
    ShipProblem.CARRIER: "The platform no longer offers that carrier: pick one from the list.",
    ShipProblem.NOT_READY: "The order cannot be shipped in its current status.",
    ShipProblem.RETRY: "The platform did not answer: mark it again in a few minutes.",
    ShipProblem.OTHER: "The platform refused: see its message, fix what it says, then mark it again.",
}


@dataclass(frozen=True)
class ShipState:
    """What the pack list shows about one package's handover and labels."""

    handover: str = ""  # the handover last picked for it (the input cell's value)
    tracking: str = ""  # the tracking number (typed, for a seller-shipped package, or the platform's)
    state: str = ""  # "Shipped" or what went wrong and what to do
    label: str = ""  # a link to its label, once shipped by the platform (personal data: it shows the address)
    wave: str = ""  # "Wave 12: 3 of 50"
    wave_label: str = ""  # a link to one PDF of every label of the wave, in wave order
    delivery_option: str = ""
    handover_list: str = ""  # the list key of its handover choices (platform-shipped, still to ship)
    carrier_list: str = ""  # the list key of its carrier choices (seller-shipped, still to ship)
    together: str = ""  # what the platform allows: "combine with …", "split by SKU", "combined: …"


def slot_label(slot: PickupSlot, zone: str) -> str:
    """ "Pickup Tue 24 Nov 09:00–12:00" on the shop's clock: what the warehouse picks from the dropdown."""
    start, end = slot.start.astimezone(ZoneInfo(zone)), slot.end.astimezone(ZoneInfo(zone))
    return f"Pickup {start:%a %d %b %H:%M}–{end:%H:%M}"


def choice_labels(
    choices: HandoverChoices, zone: str, *, drop_off: str = DROP_OFF, label: SlotLabel = slot_label
) -> dict[str, Handover]:
    """Dropdown label → handover, drop-off first, in the words given (English unless a sheet speaks another
    language); only slots that have not ended are offered."""
    found: dict[str, Handover] = {}
    if choices.drop_off:
        found[drop_off] = Handover(HandoverMethod.DROP_OFF)
    if choices.pickup:
        for slot in choices.slots:
            found[label(slot, zone)] = Handover(HandoverMethod.PICKUP, slot)
    return found


def still_open(labels: Mapping[str, Handover], now: datetime) -> dict[str, Handover]:
    return {k: h for k, h in labels.items() if h.slot is None or h.slot.end > now}


SHIPPING = "Shipping…"  # what a package's row says while its wave is with the platform


def advice(problem: ShipProblem, message: str) -> str:
    """The row's words for a problem: what happened and what to do, then the platform's own message (said as it
    came, in brackets)."""
    if message and problem is not ShipProblem.ALREADY_SHIPPED:
        return Phrase("{advice} ({message})", advice=Phrase(ADVICE[problem]), message=message)
    return Phrase(ADVICE[problem])


def kept(problem: str | None, message: str) -> str:
    """A package's kept message (stored as English text) as a phrase again, so a sheet in another language says
    our words in its own and the platform's as they came: `advice` read back, else the message as it is."""
    if message == SHIPPING:
        return Phrase(SHIPPING)
    found = next((p for p in ShipProblem if str(p) == problem), None)
    if found is None:
        return message
    words = ADVICE[found]
    if message == words:
        return Phrase(words)
    platform = message.removeprefix(f"{words} (").removesuffix(")")
    return advice(found, platform) if message == f"{words} ({platform})" else message


def waves(marks: Iterable[tuple[Hashable, T]]) -> list[list[T]]:
    """Group marked packages by their (shop, option, handover) key, keeping the order rows were marked in."""
    grouped: dict[Hashable, list[T]] = {}
    for key, item in marks:
        grouped.setdefault(key, []).append(item)
    return list(grouped.values())


def wave_label(number: int, position: int, size: int) -> str:
    return Phrase("Wave {number}: {position} of {size}", number=number, position=position, size=size)


def shipped(status: str | None) -> str:
    """ "Shipped", or "Shipped: in transit" with the order's status once it has one past shipping."""
    return Phrase("Shipped: {status}", status=Phrase(status.replace("_", " ").lower())) if status else Phrase("Shipped")


def together(package_id: str, orders: Sequence[str], groups: Iterable[Sequence[str]], skus: int) -> str:
    """What the pack list says the platform would allow: combine with a buyer's other orders, or split."""
    if len(orders) > 1:
        return Phrase("combined: {orders} (Split to ship apart)", orders=", ".join(orders))
    others = [o for g in groups if orders and orders[0] in g for o in g if o not in orders]
    if others:
        return Phrase("same buyer: Combine with {orders}", orders=", ".join(others))
    return "Split by SKU possible" if skus > 1 else ""
