"""Sharing one quota window between teams: a team alone may use all of it; teams that compete are each
guaranteed an equal share, and a team past its share takes a unit only while the others' unmet shares
still fit.

Pure: the Sheets budget (backend/sheets/budget.py) reads every team's use of the window under a lock
and asks `admit`; a team refused here waits for the next window, the others do not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Window:
    """One quota window as one team sees it when it asks for a unit."""

    capacity: int  # units the window hands out in all
    used: int  # units handed out so far, to every team
    mine: int = 0  # of which to the asking team
    rivals: Mapping[int, int] = field(default_factory=dict)  # teams that used the quota lately → their use here
    dormant: bool = False  # some other team used it within the hour, though not lately
    mine_now: int = 0  # of `mine`, units handed out to the asking team in the current ten-second window


def fair_share(capacity: int, teams: int) -> int:
    """Units each of `teams` competing teams is sure of (at least one, so nobody starves outright)."""
    return max(1, capacity // teams)


def headroom(capacity: int) -> int:
    """Units a team on its own leaves free while others used the quota within the hour, so they need not wait."""
    return max(1, capacity // 4)


def admit(window: Window) -> bool:
    """Whether the asking team may take one more unit of this window now."""
    if window.used >= window.capacity:
        return False
    share = fair_share(window.capacity, 1 + len(window.rivals))
    if window.rivals and window.mine < share:
        return True
    unmet = sum(max(0, share - used) for used in window.rivals.values())
    kept = unmet + (headroom(window.capacity) if window.dormant else 0)
    return window.used + 1 + kept <= window.capacity
