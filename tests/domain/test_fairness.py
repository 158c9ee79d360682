"""Sharing a quota window: alone, a team gets all of it; competing, each gets its share and waits past it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from backend.domain.fairness import Window, admit, fair_share, headroom


def test_a_team_alone_on_the_quota_may_use_every_unit() -> None:
    assert all(admit(Window(capacity=8, used=n, mine=n)) for n in range(8))
    assert not admit(Window(capacity=8, used=8, mine=8))


def test_a_team_alone_lately_leaves_headroom_for_a_team_seen_within_the_hour() -> None:
    room = headroom(8)
    assert admit(Window(capacity=8, used=7 - room, mine=7 - room, dormant=True))
    assert not admit(Window(capacity=8, used=8 - room, mine=8 - room, dormant=True))
    # ...which the returning team then takes without waiting
    assert admit(Window(capacity=8, used=8 - room, rivals={1: 8 - room}))


def test_competing_teams_are_each_sure_of_their_share_and_a_team_past_it_waits() -> None:
    share = fair_share(8, 2)
    assert share == 4
    assert admit(Window(capacity=8, used=4, mine=0, rivals={1: 4}))  # within its share, whatever the other did
    # past its share: only while the other's unmet share still fits
    assert admit(Window(capacity=8, used=5, mine=5, rivals={2: 0})) is False
    assert admit(Window(capacity=8, used=5, mine=4, rivals={2: 1})) is False
    assert admit(Window(capacity=8, used=6, mine=4, rivals={2: 2})) is False
    assert admit(Window(capacity=8, used=7, mine=4, rivals={2: 3})) is False
    assert admit(Window(capacity=8, used=6, mine=2, rivals={2: 4}))  # the other is past its share: this one is not
    assert admit(Window(capacity=8, used=5, mine=1, rivals={2: 4}))


@given(
    capacity=st.integers(min_value=2, max_value=60),
    asks=st.lists(st.sampled_from(["hog", "light"]), min_size=1, max_size=200),
)
def test_a_team_asking_no_more_than_its_share_is_never_refused_however_the_other_hammers(
    capacity: int, asks: list[str]
) -> None:
    """Both teams were active in the last minute; the light one asks at most its share in the window."""
    share = fair_share(capacity, 2)
    used = {"hog": 0, "light": 0}
    for who in asks:
        other = "light" if who == "hog" else "hog"
        if who == "light" and used["light"] >= share:
            continue
        window = Window(capacity, used["hog"] + used["light"], used[who], rivals={0: used[other]})
        granted = admit(window)
        if who == "light":
            assert granted, (capacity, used)
        if granted:
            used[who] += 1
    assert used["hog"] + used["light"] <= capacity
