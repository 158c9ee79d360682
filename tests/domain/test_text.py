"""Cutting text to a limit: the start of the text, then a marker that says how long it was."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.domain.text import cut, utf16_length


def test_text_that_fits_is_left_alone() -> None:
    assert cut("short", 64) == "short"
    assert cut("x" * 50_000, 50_000) == "x" * 50_000


def test_a_60000_character_message_is_cut_to_50000_with_a_marker_saying_so() -> None:
    text = "hello " * 10_000
    fitted = cut(text, 50_000)
    assert len(fitted) <= 50_000
    assert fitted.endswith(" … [cut: 60,000 characters]")
    assert text.startswith(fitted.removesuffix(" … [cut: 60,000 characters]"))


def test_characters_that_take_two_units_are_counted_as_two() -> None:
    text = "😀" * 30_000  # 60,000 UTF-16 units in 30,000 characters
    fitted = cut(text, 50_000, measure=utf16_length)
    assert utf16_length(fitted) <= 50_000
    assert fitted.endswith("[cut: 30,000 characters]")


def test_a_limit_too_short_for_the_marker_is_refused() -> None:
    with pytest.raises(ValueError, match="no room"):
        cut("x" * 100, 32)


@given(st.text(min_size=0, max_size=400), st.integers(min_value=64, max_value=300))
def test_a_cut_always_fits_and_keeps_the_start(text: str, limit: int) -> None:
    fitted = cut(text, limit, measure=utf16_length)
    assert utf16_length(fitted) <= limit
    if fitted != text:
        start = fitted[: fitted.rindex(" … [cut: ")]
        assert text.startswith(start)
