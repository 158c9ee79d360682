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

from backend.domain.columns import Column, ColumnType, Source, Value
from backend.domain.phrases import Phrase, said
from backend.domain.profiles import Profile

Translate = Callable[[str], str]
SEPARATOR = ", "  # a cell listing several words (the open exceptions of an order)
QUALIFIED = re.compile(r"(.+) (\(.+\))")  # a label with its data in brackets: "This week (2026-W49)"


def words(value: Value, translate: Translate) -> Value:
    """A phrase said in the language, else a text cell translated whole, else each word it lists (a bracketed
    qualifier kept as it is); other values unchanged."""
    if not isinstance(value, str) or not value:
        return value
    if isinstance(value, Phrase):
        return said(value, translate)
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
    """Its columns and its chart's title in the language."""
    chart = replace(found.chart, title=translate(found.chart.title)) if found.chart else None
    return replace(found, columns=tuple(column(c, translate) for c in found.columns), chart=chart)
