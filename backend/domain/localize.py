"""A profile in a spreadsheet's language: headers, dropdown choices and the words of enum columns
(statuses, states, open exceptions) through a translate function; keys, types and numbers stay as they are.

Pure: the caller passes gettext for the language (backend/i18n.py). English is the identity, so an
English sheet is written exactly as before. The header text and choices feed the tab's fingerprint,
so a change of language rewrites the tab at the next push.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from backend.domain.columns import Column, ColumnType, Source, Value
from backend.domain.profiles import Profile

Translate = Callable[[str], str]
SEPARATOR = ", "  # a cell listing several words (the open exceptions of an order)


def words(value: Value, translate: Translate) -> Value:
    """Each listed word of a text cell translated; other values unchanged."""
    if not isinstance(value, str) or not value:
        return value
    return SEPARATOR.join(translate(part) for part in value.split(SEPARATOR))


def _translated_value(value: Callable[[Source], Value], translate: Translate) -> Callable[[Source], Value]:
    return lambda source: words(value(source), translate)


def column(col: Column, translate: Translate) -> Column:
    if col.type is not ColumnType.ENUM:
        return replace(col, header=translate(col.header))
    return replace(
        col,
        header=translate(col.header),
        enum_values=tuple(translate(v) for v in col.enum_values),
        value=_translated_value(col.value, translate),
    )


def profile(found: Profile, translate: Translate) -> Profile:
    return replace(found, columns=tuple(column(c, translate) for c in found.columns))
