"""A profile in a spreadsheet's language: headers, dropdown choices and the words of enum and word columns
(statuses, states, open exceptions, report labels) through a translate function; keys, types and numbers stay
as they are.

Pure: the caller passes gettext for the language (backend/i18n.py). English is the identity, so an
English sheet is written exactly as before. The header text and choices feed the tab's fingerprint,
so a change of language rewrites the tab at the next push.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from backend.domain.columns import Column, ColumnType, Source, Value
from backend.domain.profiles import Profile

Translate = Callable[[str], str]
SEPARATOR = ", "  # a cell listing several words (the open exceptions of an order)
QUALIFIED = re.compile(r"(.+) (\(.+\))")  # a label with its data in brackets: "This week (2026-W49)"


def words(value: Value, translate: Translate) -> Value:
    """A text cell translated whole, else each word it lists (a bracketed qualifier kept as it is); other values
    unchanged."""
    if not isinstance(value, str) or not value:
        return value
    whole = _word(value, translate)
    return whole if whole != value else SEPARATOR.join(_word(part, translate) for part in value.split(SEPARATOR))


def _word(part: str, translate: Translate) -> str:
    qualified = QUALIFIED.fullmatch(part)
    if qualified is None or translate(part) != part:
        return translate(part)
    return f"{translate(qualified[1])} {qualified[2]}"


def _translated_value(value: Callable[[Source], Value], translate: Translate) -> Callable[[Source], Value]:
    return lambda source: words(value(source), translate)


def column(col: Column, translate: Translate) -> Column:
    if col.type is not ColumnType.ENUM and not col.words:
        return replace(col, header=translate(col.header))
    return replace(
        col,
        header=translate(col.header),
        enum_values=tuple(translate(v) for v in col.enum_values),
        value=_translated_value(col.value, translate),
    )


def profile(found: Profile, translate: Translate) -> Profile:
    return replace(found, columns=tuple(column(c, translate) for c in found.columns))


class Phrase(str):
    """A note said in English (it is that text) that keeps its message and arguments, so a sheet in another
    language gets it in its own words: `said(phrase, translate)`. Arguments that are phrases are said too."""

    message: str
    args: dict[str, Any]

    def __new__(cls, message: str, **args: Any) -> Phrase:
        made = super().__new__(cls, message.format(**args))
        made.message, made.args = message, args
        return made

    def __reduce__(self) -> tuple[Callable[..., Phrase], tuple[str, dict[str, Any]]]:
        """Copied or pickled as a phrase, never re-made from its English text (which may hold braces)."""
        return _phrase, (self.message, self.args)


def _phrase(message: str, args: dict[str, Any]) -> Phrase:
    return Phrase(message, **args)


def said(text: str, translate: Translate) -> str:
    """`text` in the language of `translate`: a phrase by its message, a plain note as a whole."""
    if not isinstance(text, Phrase):
        return translate(text)
    args = {k: said(v, translate) if isinstance(v, Phrase) else v for k, v in text.args.items()}
    return translate(text.message).format(**args)
